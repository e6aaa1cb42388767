"""Builds the held-out labelled sets the shipped packs are evaluated on by `inspector evaluate`.

Run: /usr/bin/python3 training/eval_sets.py [OUT]   (default OUT: /tmp/inspector-eval-sets)

Nothing from ../shared/data is copied into the repository: CSV manifests point at the shared files
by absolute path, and only derived files (generated CT views, masks rasterised from polygons) are
written, into OUT. The splits are the builds' own, re-derived with the same code and seeds, so no
training or threshold-choice image is in a test set:
- battery-ct-porosity/: the 500 test views (right half of held-out slice 2, half with synthetic voids),
  regenerated with training/battery_ct/build.py's generator and seed; one folder per class + masks/.
- chest-xray-pneumonia/labels.csv: the patient-grouped test split (157 images).
- surface-pitting-ae/labels.csv: the test series' photos (173 normal, 99 pitted), with a mask column:
  the labelme pitting polygons rasterised at the photo's resolution.
- defects-grounding-{pcb,ct,surface}/annotations.json: COCO JSON of the grounding pack's held-out
  domains — DeepPCB test.txt (its `x1 y1 x2 y2 type` boxes), the battery CT views with inserted voids,
  the BSData test photos — written by training/grounding/heldout.py (the build's code and seeds),
  category names = the prompt's phrases, so `evaluate` scores each box class as the card does.

  /usr/bin/python3 training/eval_sets.py OUT [--only chest,surface,battery,grounding] [--every K]
      [--grounding-domains pcb,ct,surface]
  (--every K keeps every K-th image of each grounding domain: the fast test's subset.)
"""
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from lib.common import REPO, SHARED_DATA, load_config  # noqa: E402


def battery(out):
    from battery_ct.build import load_slices, make_set
    cfg = load_config(REPO / "training/configs/battery-ct-porosity.yaml")
    held_img, held_region = load_slices(cfg, cfg["data"]["heldout_slice"])
    held = [(held_img, held_region)]
    H, W = held_img.shape
    ev = cfg["eval"]
    rng_eval = np.random.default_rng(cfg["seed"] + 1)
    crop = [cfg["view"]["crop_px"][0], min(cfg["view"]["crop_px"][1], W // 2)]
    # Same draws in the same order as the build: validation (left half) first, then test (right half).
    make_set(held, rng_eval, cfg, ev["val_views"], (0, H, 0, W // 2), crop=crop)
    xt, yt, mt = make_set(held, rng_eval, cfg, ev["test_views"], (0, H, W // 2, W), crop=crop)
    d = out / "battery-ct-porosity"
    for sub in ("normal", "porosity", "masks"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    for i, (x, y, m) in enumerate(zip(xt, yt, mt)):
        name = f"view_{i:03d}.png"
        cv2.imwrite(str(d / ("porosity" if y else "normal") / name), np.round(x[0] * 65535).astype(np.uint16))
        if y:
            cv2.imwrite(str(d / "masks" / name), m.astype(np.uint8) * 255)
    print(f"battery-ct-porosity: {len(yt)} test views ({int(yt.sum())} with voids) in {d}")


def chest(out):
    from chest_xray.build import patient_split
    cfg = load_config(REPO / "training/configs/chest-xray-pneumonia.yaml")
    root = SHARED_DATA / cfg["data"]["root"]
    sets = patient_split(cfg, root)
    d = out / "chest-xray-pneumonia"
    d.mkdir(parents=True, exist_ok=True)
    classes = cfg["data"]["classes"]
    with open(d / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        for rel, y in sets["test"]:
            w.writerow([str(root / rel), classes[y]])
    print(f"chest-xray-pneumonia: {len(sets['test'])} test images in {d / 'labels.csv'}")


def surface(out):
    from surface_ae.data import classify_photos, pitting_mask
    cfg = load_config(REPO / "training/configs/surface-pitting-ae.yaml")
    root = SHARED_DATA / cfg["data"]["root"]
    test_s = set(cfg["data"]["test_series"])
    d = out / "surface-pitting-ae"
    (d / "masks").mkdir(parents=True, exist_ok=True)
    n = [0, 0]
    with open(d / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "mask"])
        for stem, (series, status) in sorted(classify_photos(root).items()):
            if series not in test_s or status not in ("normal", "pitting"):
                continue
            img = root / "images" / f"{stem}.jpg"
            mask = ""
            if status == "pitting":
                h, wd = cv2.imread(str(img), cv2.IMREAD_GRAYSCALE).shape
                m = pitting_mask(root, stem, (h, wd), (h, wd))
                mask = str(d / "masks" / f"{stem}.png")
                cv2.imwrite(mask, m.astype(np.uint8) * 255)
            w.writerow([str(img), status, mask])
            n[status == "pitting"] += 1
    print(f"surface-pitting-ae: {n[0]} normal + {n[1]} pitted test photos in {d / 'labels.csv'}")


def grounding(out, every=1, domains="pcb,ct,surface"):
    import json
    import os
    import subprocess
    raw = out / "defects-grounding-heldout"
    subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "grounding" / "heldout.py"), str(raw), "--every", str(every), "--domains", domains], check=True, stdout=subprocess.DEVNULL)
    truth = json.loads((raw / "truth.json").read_text())
    phrases = json.loads((Path(__file__).resolve().parents[1] / "models/defects-grounding/evaluation.json").read_text())["phrases"]
    names = [phrases[k] for k in sorted(phrases, key=int)]
    for domain, rows in truth.items():
        d = out / f"defects-grounding-{domain}"
        d.mkdir(parents=True, exist_ok=True)
        images, anns = [], []
        for i, r in enumerate(rows, start=1):
            h, w = cv2.imread(r["path"], cv2.IMREAD_UNCHANGED).shape[:2]
            # Relative to the annotations file: COCO file_name is a relative path.
            images.append({"id": i, "file_name": os.path.relpath(r["path"], d), "width": w, "height": h})
            for x1, y1, x2, y2, label in r["boxes"]:
                anns.append({"id": len(anns) + 1, "image_id": i, "category_id": names.index(label) + 1,
                             "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
        doc = {"images": images, "annotations": anns, "categories": [{"id": k + 1, "name": n} for k, n in enumerate(names)]}
        (d / "annotations.json").write_text(json.dumps(doc) + "\n")
        print(f"defects-grounding-{domain}: {len(images)} images, {len(anns)} boxes in {d / 'annotations.json'}")


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="/tmp/inspector-eval-sets")
    ap.add_argument("--only", default="chest,surface,battery,grounding")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--grounding-domains", default="pcb,ct,surface")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = args.only.split(",")
    if "chest" in only:
        chest(out)
    if "surface" in only:
        surface(out)
    if "battery" in only:
        battery(out)
    if "grounding" in only:
        grounding(out, args.every, args.grounding_domains)
