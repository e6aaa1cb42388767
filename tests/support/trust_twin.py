"""Test inputs for the trust figure (tests/unit/explain/trust.test.ts), issue #15 §3.

  twin MODEL OUT SEED   the same ONNX graph with re-initialised weights: every float initializer
                        with more than one value gets a seeded random permutation of its own
                        values (same shapes and value distribution per tensor, so activations stay
                        in range, but no learned structure — the "randomised model" sanity check
                        of Adebayo et al. 2018).
  views OUT N [SPLIT]   the battery build's own held-out views (slice 2; training/battery_ct/build.py
                        draws, in its order), first N defective ones, as 16-bit PNGs. SPLIT: test
                        (right half, default) or val (left half: where the figure's settings were chosen).
"""
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def twin(src, out, seed):
    import onnx
    from onnx import numpy_helper

    m = onnx.load(src)
    rng = np.random.default_rng(int(seed))
    for init in m.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype.kind != "f" or a.size < 2:
            continue
        b = rng.permutation(a.ravel()).reshape(a.shape).astype(a.dtype)
        init.CopyFrom(numpy_helper.from_array(b, init.name))
    onnx.save(m, out)


def views(out, n, split="test"):
    import cv2
    sys.path.insert(0, str(REPO / "training"))
    from battery_ct.build import load_slices, make_set
    from lib.common import load_config

    cfg = load_config(REPO / "training/configs/battery-ct-porosity.yaml")
    img, region = load_slices(cfg, cfg["data"]["heldout_slice"])
    H, W = img.shape
    ev = cfg["eval"]
    rng = np.random.default_rng(cfg["seed"] + 1)
    crop = [cfg["view"]["crop_px"][0], min(cfg["view"]["crop_px"][1], W // 2)]
    held = [(img, region)]
    xv, yv, _ = make_set(held, rng, cfg, ev["val_views"], (0, H, 0, W // 2), crop=crop)  # the build's order: validation first
    if split == "val":
        xt, yt = xv, yv
    else:
        xt, yt, _ = make_set(held, rng, cfg, 2 * int(n), (0, H, W // 2, W), crop=crop)
    Path(out).mkdir(parents=True, exist_ok=True)
    for k, i in enumerate(np.nonzero(yt == 1)[0][: int(n)]):
        cv2.imwrite(str(Path(out) / f"test_{k:03d}.png"), np.round(np.clip(xt[i, 0], 0, 1) * 65535).astype(np.uint16))


if __name__ == "__main__":
    {"twin": twin, "views": views}[sys.argv[1]](*sys.argv[2:])
