"""A full 576² held-out slice with one inserted void cluster: the tiled-inference fixture.

Why: the porosity pack sees 112-320 px views; tiling (docs/PACKS.md "Tiling") must find a void
anywhere in a whole slice. The void is inserted the same way as the training views' (voids.py)
into slice 2 — which the model never trained on — at a seeded spot of the winding; the mask and
its box are written beside the image so tests can check where the region lands.

Run: /usr/bin/python3 training/battery_ct/tiled_slice.py [OUT_DIR]   (default tests/fixtures/tiling)
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from battery_ct.voids import cell_region, insert_voids, load_slice  # noqa: E402
from lib.common import load_config, require_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/fixtures/tiling"
    cfg = load_config(ROOT / "training/configs/battery-ct-porosity.yaml")
    d = require_data(cfg["data"]["slices"])
    img, winding = load_slice(d / "im_2.png", d / "mask_2.png")
    region = cell_region(winding, cfg["data"]["region_close_px"], cfg["data"]["region_erode_px"])
    # One spot off-centre in the winding (upper right quadrant), far from the tile grid's origin.
    spot = np.zeros_like(region)
    spot[150:200, 370:420] = True
    vcfg = dict(cfg["view"]["voids"], count=[2, 2], radius_px=[6, 8], cluster_spread_px=6)
    rng = np.random.default_rng(15)
    res = insert_voids(img, region & spot, rng, vcfg, min_radius_px=6)
    if res is None:
        raise SystemExit("no void inserted")
    view, mask = res
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "slice2-void.png"), np.round(view * 65535).astype(np.uint16))
    cv2.imwrite(str(out / "slice2-void-mask.png"), mask.astype(np.uint8) * 255)
    ys, xs = np.nonzero(mask)
    box = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
    json.dump({"source": "battery-xct/slices/im_2.png (held out), voids.insert_voids, seed 15",
               "width": int(view.shape[1]), "height": int(view.shape[0]), "voidBox": box,
               "voidPixels": int(mask.sum())}, open(out / "slice2-void.json", "w"), indent=1)
    print(box, int(mask.sum()))


if __name__ == "__main__":
    main()
