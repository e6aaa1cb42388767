"""BSData ball-screw photos: which ones count as pitting-free, the grouped split, polygon masks.

The 710 unlabelled photos are only *probably* pitting-free. BSData is a time series: each
(spindle position, camera angle) series was photographed repeatedly while the drive ran, and
pitting, once it appears, stays and grows. So an unlabelled photo taken *before* the first
labelled photo of its series is pitting-free by the annotators' own record, while an unlabelled
photo taken *after* pitting was first annotated in its series is suspicious (a missed label or a
pit out of frame) and is excluded from both training and evaluation.
"""
import json
import os
from collections import defaultdict

import cv2
import numpy as np


def parse_name(stem):
    """'01_200828110014_277500_315_crop_2' -> (series key '277500_315', timestamp '200828110014')."""
    p = stem.split("_")
    if p[0] != "01" or len(p) < 4:
        return None, None
    return f"{p[2]}_{p[3]}", p[1]


def classify_photos(root):
    """Returns {stem: (series, status)} with status in normal / pitting / ambiguous / other-rig."""
    stems = sorted(f[:-4] for f in os.listdir(root / "images") if f.endswith(".jpg"))
    labelled = {f[:-5] for f in os.listdir(root / "labels") if f.endswith(".json")}
    series = defaultdict(list)
    out = {}
    for s in stems:
        key, ts = parse_name(s)
        if key is None:
            # KGT* photos come from a different rig with no chronology; all of them are labelled.
            out[s] = (None, "other-rig")
            continue
        series[key].append((ts, s))
    for key, items in series.items():
        items.sort()
        first_pit = min((ts for ts, s in items if s in labelled), default=None)
        for ts, s in items:
            if s in labelled:
                status = "pitting"
            elif first_pit is None or ts < first_pit:
                status = "normal"
            else:
                status = "ambiguous"
            out[s] = (key, status)
    return out


def pitting_mask(root, stem, orig_hw, out_hw):
    """Rasterises the labelme polygons of a photo at the model's resolution."""
    h, w = orig_hw
    oh, ow = out_hw
    mask = np.zeros((oh, ow), np.uint8)
    with open(root / "labels" / f"{stem}.json", encoding="utf-8") as f:
        doc = json.load(f)
    for shape in doc["shapes"]:
        pts = np.array(shape["points"], np.float64) * [ow / w, oh / h]
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def load_rgb(root, stem, out_hw):
    bgr = cv2.imread(str(root / "images" / f"{stem}.jpg"), cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    oh, ow = out_hw
    # Bilinear with half-pixel centres, as the app's engine resizes: scores here match the app's.
    return rgb, cv2.resize(rgb, (ow, oh), interpolation=cv2.INTER_LINEAR)
