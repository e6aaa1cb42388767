"""Writes the demo grounding pack's held-out sets as files, with their boxes, for `inspect`.

  /usr/bin/python3 training/grounding/heldout.py OUT [--config training/configs/defects-grounding.yaml]

OUT/truth.json: {domain: [{path, boxes: [[x1, y1, x2, y2, label], ...]}]} in image pixels, the
same images and boxes build.py scores the card on (domains.py, same code and seeds):
- pcb: DeepPCB test.txt (paths into ../shared/data, nothing copied);
- ct: the battery pack's first N test views, written to OUT/ct/ as the 16-bit PNGs the battery
  pack writes (value * 65535), so the app reads what build.py evaluated;
- surface: surface-pitting-ae's test-series photos (paths into ../shared/data).
`--every K` keeps every K-th image of each domain's list (the same images, generated the same way:
the full set is drawn, then thinned), the fast test's pinned subset.
`npm run bench -- heldout` runs this on the full sets, inspects OUT with the pack and compares AP
with models/defects-grounding/evaluation.json; tests/unit/grounding/heldout.test.ts does it on the
every-3rd subset against pinned figures.
"""
import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.common import REPO, load_config  # noqa: E402
from domains import battery_views, bsdata, read_deeppcb  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--config", default=str(REPO / "training/configs/defects-grounding.yaml"))
    ap.add_argument("--domains", default="pcb,ct,surface")
    ap.add_argument("--every", type=int, default=1)
    args = ap.parse_args()
    cfg = load_config(args.config)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    hw = tuple(cfg["model"]["image_hw"])
    phrases = cfg["data"]["phrases"]
    doms = args.domains.split(",")
    truth = {}

    def rows(items, path_of):
        return [{"path": str(path_of(it)), "boxes": [[*map(float, b[:4]), phrases[int(b[4])]] for b in it["boxes_orig"]]} for it in items]

    if "pcb" in doms:
        truth["pcb"] = rows(read_deeppcb("test.txt", hw)[::args.every], lambda it: it["path"])
    if "ct" in doms:
        d = out / "ct"
        d.mkdir(exist_ok=True)
        items = battery_views("test", cfg["data"]["ct_test_views"], cfg, hw)[::args.every]
        for it in items:
            it["path"] = d / f"{it['name']}.png"
            cv2.imwrite(str(it["path"]), it["v16"])
        truth["ct"] = rows(items, lambda it: it["path"])
    if "surface" in doms:
        truth["surface"] = rows(bsdata("test", cfg, hw, np.random.default_rng(cfg["seed"]))[::args.every], lambda it: it["path"])
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(json.dumps({k: len(v) for k, v in truth.items()}))


if __name__ == "__main__":
    main()
