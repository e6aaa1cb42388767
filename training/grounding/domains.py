"""The three domains of the demo grounding pack, as (image, boxes) items at the model's input size.

Every image is brought to what the app feeds the model: 8-bit (16-bit CT as value / 65535 * 255,
rounded, as src/core/engine/image.ts + grounding/preprocess.ts do), then PIL bilinear to the fixed
input size of preprocessor_config.json (PIL is what HF Python and our preprocess.ts use). Boxes are
kept twice: in original image pixels (what `inspect` reports and the card is scored on) and at
input size (training targets). Class ids: DeepPCB 1-6, 7 porosity, 8 pitting.

- pcb:      DeepPCB (MIT) train.txt / test.txt, boxes as annotated.
- ct:       the battery pack's own generator (training/battery_ct): real 16-bit winding slices
            with inserted voids; train views from slice 1 (rotated), held-out = the battery pack's
            test views (right half of slice 2, its seed), boxes = connected components of the void
            masks that generator returns.
- surface:  BSData (CC BY-SA 4.0) ball-screw photos; boxes = connected components of the labelme
            pitting polygons rasterised at the photo's resolution; held-out = surface-pitting-ae's
            test series (its eval set), training = every other series (never an "ambiguous" photo).
"""
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.common import REPO, SHARED_DATA, load_config  # noqa: E402

POROSITY, PITTING = 7, 8


def to_input(img8, hw):
    """PIL bilinear to (h, w), as the app's preprocess does (8-bit in, 8-bit out)."""
    h, w = hw
    if img8.shape[0] == h and img8.shape[1] == w:
        return img8
    return np.asarray(Image.fromarray(img8).resize((w, h), Image.BILINEAR))


def mask_boxes(mask, cls, min_area):
    """Connected components of a boolean mask -> [x1, y1, x2, y2, cls] in the mask's pixels."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    out = [[x, y, x + w, y + h, cls] for x, y, w, h, a in stats[1:] if a >= min_area]
    return np.array(out, np.float32).reshape(-1, 5)


def scaled(boxes, sx, sy):
    b = boxes.copy()
    b[:, [0, 2]] *= sx
    b[:, [1, 3]] *= sy
    return b


def item(name, domain, img8, boxes, hw, path=None):
    """The original 8-bit image is kept; `input_image` resizes on use (memory: ~1000 images)."""
    return {"name": name, "domain": domain, "path": path, "orig_hw": img8.shape[:2], "orig": img8,
            "boxes_orig": boxes, "boxes": scaled(boxes, hw[1] / img8.shape[1], hw[0] / img8.shape[0])}


def input_image(it, hw):
    return to_input(it["orig"], hw)


def read_deeppcb(split, hw):
    root = SHARED_DATA / "deeppcb"
    out = []
    for line in (root / split).read_text().split("\n"):
        if not line.strip():
            continue
        img, ann = line.split()
        stem = img[: -len(".jpg")]
        rows = [r.replace(",", " ").split() for r in (root / ann).read_text().split("\n")]
        boxes = np.array([[float(v) for v in r] for r in rows if len(r) == 5], np.float32).reshape(-1, 5)
        path = root / f"{stem}_test.jpg"
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        it = item(stem, "pcb", gray, boxes, hw, path)
        it["temp"] = root / f"{stem}_temp.jpg"
        out.append(it)
    return out


def ct_to8(view01):
    """A CT view as the app reads the 16-bit PNG the battery pack writes: round(v*65535)/65535*255."""
    v16 = np.round(view01 * 65535).astype(np.uint16)
    return np.round(v16.astype(np.float64) / 65535 * 255).astype(np.uint8), v16


def battery_views(split, n, cfg_g, hw):
    """split "train": n views from the battery pack's training slices (rotations), its own RNG
    stream (seed from our config); "test": the battery pack's first n test views, exactly as
    training/eval_sets.py regenerates them (same seed, same draw order)."""
    from battery_ct.build import load_slices, make_set
    from battery_ct.voids import rotate
    cfg = load_config(REPO / "training/configs/battery-ct-porosity.yaml")
    if split == "train":
        slices = []
        for idx in cfg["data"]["train_slices"]:
            img, region = load_slices(cfg, idx)
            n_rot = cfg["data"]["rotations_deg"]
            slices += [rotate(img, region, 360.0 * r / n_rot) for r in range(n_rot)]
        rng = np.random.default_rng(cfg_g["seed"] + 7)
        x, y, m = make_set(slices, rng, cfg, n)
    else:
        held_img, held_region = load_slices(cfg, cfg["data"]["heldout_slice"])
        held = [(held_img, held_region)]
        H, W = held_img.shape
        ev = cfg["eval"]
        rng = np.random.default_rng(cfg["seed"] + 1)
        crop = [cfg["view"]["crop_px"][0], min(cfg["view"]["crop_px"][1], W // 2)]
        make_set(held, rng, cfg, ev["val_views"], (0, H, 0, W // 2), crop=crop)
        x, y, m = make_set(held, rng, cfg, ev["test_views"], (0, H, W // 2, W), crop=crop)
        x, y, m = x[:n], y[:n], m[:n]
    out = []
    for i, (v, lab, mask) in enumerate(zip(x, y, m)):
        img8, v16 = ct_to8(v[0])
        boxes = mask_boxes(mask, POROSITY, cfg_g["data"]["min_box_area_px"]["ct"]) if lab else np.zeros((0, 5), np.float32)
        it = item(f"ct_{split}_{i:03d}", "ct", img8, boxes, hw)
        it["v16"] = v16
        it["defective"] = bool(lab)
        out.append(it)
    return out


def bsdata(split, cfg_g, hw, rng):
    """split "test": surface-pitting-ae's test series (pitted + normal photos); "train": the other
    series' pitted photos (and the other rig's labelled photos) plus a sample of their normals."""
    from surface_ae.data import classify_photos, pitting_mask
    cfg = load_config(REPO / "training/configs/surface-pitting-ae.yaml")
    root = SHARED_DATA / cfg["data"]["root"]
    test_s = set(cfg["data"]["test_series"])
    photos = sorted(classify_photos(root).items())
    if split == "test":
        chosen = [(s, st) for s, (ser, st) in photos if ser in test_s and st in ("normal", "pitting")]
    else:
        pits = [(s, "pitting") for s, (ser, st) in photos if ser not in test_s and (st == "pitting" or (st == "other-rig" and (root / "labels" / f"{s}.json").exists()))]
        normals = [(s, st) for s, (ser, st) in photos if ser not in test_s and st == "normal"]
        k = min(len(normals), cfg_g["data"]["surface_train_normals"])
        normals = [normals[i] for i in sorted(rng.choice(len(normals), k, replace=False))]
        chosen = pits + normals
    out = []
    for stem, st in chosen:
        path = root / "images" / f"{stem}.jpg"
        rgb = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        boxes = np.zeros((0, 5), np.float32)
        if st == "pitting":
            m = pitting_mask(root, stem, rgb.shape[:2], rgb.shape[:2])
            boxes = mask_boxes(m, PITTING, cfg_g["data"]["min_box_area_px"]["surface"])
        it = item(stem, "surface", rgb, boxes, hw, path)
        it["defective"] = st == "pitting"
        out.append(it)
    return out
