"""The model card's baseline: template difference + connected components (class-agnostic).

  /usr/bin/python3 training/grounding/baseline.py training/configs/defects-grounding.yaml

The defect-free template is given (DeepPCB's premise): |test - template| > 127, opened 3 x 3,
grown by `grow` px to merge a defect's fragments, one box per component with >= 20 changed pixels,
padded by `margin` px (annotators draw loose boxes). `grow` and `margin` are chosen on the TRAIN
split (best class-agnostic AP@0.5), then the TEST split is scored once. Writes baseline.json.
"""
import itertools
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.common import load_config, require_data, save_json, work_dir  # noqa: E402
from build import read_split  # noqa: E402
from evaluate import average_precision  # noqa: E402


def boxes(test, temp, grow, margin, min_changed=20):
    diff = (cv2.absdiff(test, temp) > 127).astype(np.uint8)
    diff = cv2.morphologyEx(diff, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    grown = cv2.dilate(diff, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) if grow else diff
    n, lab, stats, _ = cv2.connectedComponentsWithStats(grown)
    changed = np.bincount(lab[diff > 0].ravel(), minlength=n)
    h, w = test.shape
    out = []
    for i in range(1, n):
        if changed[i] < min_changed:
            continue
        x, y, bw, bh, _ = stats[i]
        # The grown mask adds `grow` px per side; take it back, then pad by the margin.
        x1, y1, x2, y2 = x + grow - margin, y + grow - margin, x + bw - grow + margin, y + bh - grow + margin
        out.append({"label": "defect", "score": float(changed[i]), "box": [float(max(0, x1)), float(max(0, y1)), float(min(w, x2)), float(min(h, y2))]})
    return out


def score(items, grow, margin):
    preds, gts = {}, {}
    for it in items:
        preds[it["stem"]] = boxes(it["g_test"], it["g_temp"], grow, margin)
        gts[it["stem"]] = [{"label": "defect", "box": b[:4].tolist()} for b in it["boxes"]]
    return average_precision(preds, gts, "defect", [0.5]), average_precision(preds, gts, "defect", [0.5 + 0.05 * k for k in range(10)])


def main():
    cfg = load_config(sys.argv[1])
    root = require_data(cfg["data"]["root"])
    split = {}
    for name in ("train", "test"):
        items = read_split(root, f"{name}.txt")
        for it in items:
            it["g_test"] = cv2.imread(str(it["test"]), cv2.IMREAD_GRAYSCALE)
            it["g_temp"] = cv2.imread(str(it["temp"]), cv2.IMREAD_GRAYSCALE)
        split[name] = items
    grid = {}
    for grow, margin in itertools.product([0, 2, 4, 8], [0, 3, 6, 9, 12]):
        grid[f"{grow},{margin}"] = score(split["train"], grow, margin)[0]
        print(grow, margin, round(grid[f"{grow},{margin}"], 3), flush=True)
    best = max(grid, key=grid.get)
    grow, margin = map(int, best.split(","))
    ap50, ap5095 = score(split["test"], grow, margin)
    out = {"grow": grow, "margin": margin, "train_ap50": grid[best], "test_ap50": ap50, "test_ap50_95": ap5095, "grid_train_ap50": grid}
    save_json(work_dir(cfg["pack"]) / "baseline.json", out)
    print(out)


if __name__ == "__main__":
    main()
