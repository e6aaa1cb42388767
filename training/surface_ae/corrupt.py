"""Synthetic local corruptions of normal crops for denoising-autoencoder training.

Generic, not pitting look-alikes copied from labels: darkened or colour-shifted soft blobs of a few
pixels and small patches cut from elsewhere in the same crop (CutPaste-style). The network sees
only normal photos; it learns that small local deviations are to be replaced by the surrounding
normal surface, so at test time a pit is *not* reconstructed and stands out in the residual.
"""
import cv2
import numpy as np


def corrupt(crop, rng, cfg):
    """crop: float32 HxWx3 in 0..1 (a normal photo region). Returns a corrupted copy."""
    out = crop.copy()
    h, w = crop.shape[:2]
    for _ in range(int(rng.integers(cfg["count"][0], cfg["count"][1] + 1))):
        kind = rng.choice(["dark", "colour", "paste"])
        cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
        if kind == "paste":
            s = int(rng.integers(cfg["paste_px"][0], cfg["paste_px"][1] + 1))
            sy, sx = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
            ty, tx = min(cy, h - s), min(cx, w - s)
            out[ty:ty + s, tx:tx + s] = crop[sy:sy + s, sx:sx + s]
            continue
        m = np.zeros((h, w), np.float32)
        r = rng.uniform(*cfg["blob_radius_px"])
        cv2.ellipse(m, (cx, cy), (max(1, int(r * rng.uniform(1, 2))), max(1, int(r))), float(rng.uniform(0, 180)),
                    0, 360, 1.0, -1, lineType=cv2.LINE_AA)
        m = cv2.GaussianBlur(m, (0, 0), 1.0)[..., None]
        if kind == "dark":
            out = out * (1 - m * rng.uniform(0.3, 0.8))
        else:
            colour = rng.uniform(0.1, 0.7, 3).astype(np.float32)
            out = out * (1 - m * 0.8) + colour * m * 0.8
    return np.clip(out, 0, 1).astype(np.float32)
