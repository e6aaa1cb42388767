"""Held-out image sets for the input guard of surface-pitting-seg (`inspector pack guard`), by the
build's own selection (build.py: the same seed, the same photo classes, the same series split):
  val  — the photos of the held-out test series (never trained on): the guard is fitted on them;
  test — BSData normal photos the build never used (not among the `normal_photos` it drew), from any
         series: never seen by training nor by the guard's fit; the false alarms are measured on them.
The build holds out no validation split of its own, so the fit uses its test series; the segmentation
metrics in the model card are unaffected (the guard never changes a pixel of the model's output).
Run: nice -n 10 /usr/bin/python3 training/segmentation/guard_sets.py
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.common import WORK, load_config, log, require_data  # noqa: E402
from segmentation.build import split_of  # noqa: E402
from surface_ae.data import classify_photos  # noqa: E402

CFG = Path(__file__).resolve().parents[1] / "configs" / "surface-pitting-seg.yaml"


def fresh(d):
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        f.unlink()
    return d


def main():
    cfg = load_config(CFG)
    root = require_data("bsdata")
    photos = classify_photos(root)
    rng = np.random.default_rng(cfg["seed"])
    normals = sorted(s for s, (_, st) in photos.items() if st == "normal")
    drawn = set(rng.choice(normals, size=min(cfg["normal_photos"], len(normals)), replace=False))
    pits = sorted(s for s, (_, st) in photos.items() if st in ("pitting", "other-rig") and (root / "labels" / f"{s}.json").exists())
    used = sorted(set(pits) | drawn)
    val = [s for s in used if split_of(photos[s][0] or s, cfg["test_mod"]) == "test"]
    test = [s for s in normals if s not in drawn]
    for part, stems in (("val", val), ("test", test)):
        d = fresh(WORK / "guard" / cfg["pack"] / part)
        for s in stems:
            (d / f"{s}.jpg").symlink_to(root / "images" / f"{s}.jpg")
        log(f"{cfg['pack']}: {part} {len(stems)}")


if __name__ == "__main__":
    main()
