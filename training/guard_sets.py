"""Held-out image sets for the input guard (`inspector pack guard`), one folder per pack and split:
training/work/guard/<pack>/{val,test}/. The guard's envelope is fitted on `val` (the split each
build already holds out for its thresholds) and its false-alarm rate is measured on `test`, which
neither training nor the guard's calibration ever sees. Same splits as the builds, by the same code:
  battery-ct-porosity: views of held-out slice 2 (left half val, right half test), rng seed + 1
  chest-xray-pneumonia: the patient-grouped split (train 70 / val 15 / test 15)
  surface-pitting-ae: the held-out BSData series (val_series / test_series), normal and pitted photos
Run: nice -n 10 /usr/bin/python3 training/guard_sets.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from lib.common import WORK, load_config, log, require_data  # noqa: E402

CONFIGS = Path(__file__).resolve().parent / "configs"


def fresh(d):
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        f.unlink()
    return d


def link(d, src, name=None):
    (d / (name or src.name)).symlink_to(src)


def battery():
    from battery_ct.build import load_slices, make_set, write_views
    cfg = load_config(CONFIGS / "battery-ct-porosity.yaml")
    held_img, held_region = load_slices(cfg, cfg["data"]["heldout_slice"])
    H, W = held_img.shape
    ev = cfg["eval"]
    rng_eval = np.random.default_rng(cfg["seed"] + 1)
    crop = [cfg["view"]["crop_px"][0], min(cfg["view"]["crop_px"][1], W // 2)]
    xv, _, _ = make_set([(held_img, held_region)], rng_eval, cfg, ev["val_views"], (0, H, 0, W // 2), crop=crop)
    xt, _, _ = make_set([(held_img, held_region)], rng_eval, cfg, ev["test_views"], (0, H, W // 2, W), crop=crop)
    out = WORK / "guard" / cfg["pack"]
    write_views(out / "val", xv)
    write_views(out / "test", xt)
    log(f"battery-ct-porosity: val {len(xv)}, test {len(xt)} views of slice 2")


def chest():
    from chest_xray.build import patient_split
    cfg = load_config(CONFIGS / "chest-xray-pneumonia.yaml")
    root = require_data(cfg["data"]["root"])
    sets = patient_split(cfg, root)
    for part in ("val", "test"):
        d = fresh(WORK / "guard" / cfg["pack"] / part)
        for rel, _ in sets[part]:
            link(d, root / rel, rel.replace("/", "_"))
        log(f"chest-xray-pneumonia: {part} {len(sets[part])}")


def surface():
    from surface_ae.data import classify_photos
    cfg = load_config(CONFIGS / "surface-pitting-ae.yaml")
    root = require_data(cfg["data"]["root"])
    photos = classify_photos(root)
    for part, series in (("val", set(cfg["data"]["val_series"])), ("test", set(cfg["data"]["test_series"]))):
        d = fresh(WORK / "guard" / cfg["pack"] / part)
        stems = [s for s, (ser, status) in sorted(photos.items()) if ser in series and status in ("normal", "pitting")]
        for s in stems:
            link(d, root / "images" / f"{s}.jpg")
        log(f"surface-pitting-ae: {part} {len(stems)}")


if __name__ == "__main__":
    chest()
    surface()
    battery()
