"""Pores/voids inserted into real 16-bit CT slices of a wound Li-ion cell, with known masks.

Why synthetic defects in real slices: the public scans show healthy windings only, so the
defect class is made by inserting gas voids whose size, shape and contrast follow what porosity
looks like in cell CT: low-attenuation pockets (grey level near the cell's empty core or the
surrounding air), elongated along the winding because gas collects between layers, soft-edged
from partial-volume blur, and carrying the scan's own noise rather than a flat fill.
"""
import cv2
import numpy as np


def load_slice(path, mask_path):
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.dtype != np.uint16:
        raise SystemExit(f"{path}: expected a 16-bit PNG")
    winding = cv2.imread(str(mask_path), cv2.IMREAD_UNCHANGED) > 0
    return img.astype(np.float32) / 65535.0, winding


def cell_region(winding, close_px, erode_px):
    """Where voids may sit: the jelly roll (layers plus the gaps between them), not the core or air."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close_px, close_px))
    filled = cv2.morphologyEx(winding.astype(np.uint8), cv2.MORPH_CLOSE, k)
    e = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (erode_px, erode_px))
    return cv2.erode(filled, e) > 0


def rotate(img, region, angle):
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    r_img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    r_reg = cv2.warpAffine(region.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST) > 0
    return r_img, r_reg


def insert_voids(view, region, rng, cfg, min_radius_px):
    """Inserts a cluster of voids into `view` (float32, 0..1) where `region` is true.

    Returns (image, hard_mask). The mask marks where the void's blend weight is >= 0.5.
    """
    h, w = view.shape
    ys, xs = np.nonzero(region)
    if len(ys) == 0:
        return None
    out = view.copy()
    mask = np.zeros((h, w), np.uint8)
    n = int(rng.integers(cfg["count"][0], cfg["count"][1] + 1))
    cy, cx = h / 2, w / 2
    anchor = int(rng.integers(len(ys)))
    for i in range(n):
        if i == 0:
            y, x = ys[anchor], xs[anchor]
        else:
            # Pores cluster: later ones land near the first, still inside the winding.
            for _ in range(20):
                y = int(ys[anchor] + rng.normal(0, cfg["cluster_spread_px"]))
                x = int(xs[anchor] + rng.normal(0, cfg["cluster_spread_px"]))
                if 0 <= y < h and 0 <= x < w and region[y, x]:
                    break
            else:
                continue
        r = float(rng.uniform(max(cfg["radius_px"][0], min_radius_px), cfg["radius_px"][1]))
        aspect = float(rng.uniform(*cfg["aspect"]))
        # Tangential orientation: the long axis follows the winding around the cell centre.
        radial = np.degrees(np.arctan2(y - cy, x - cx))
        angle = radial + 90 + rng.normal(0, 15)
        soft = np.zeros((h, w), np.float32)
        cv2.ellipse(soft, (int(x), int(y)), (max(1, int(round(r * aspect))), max(1, int(round(r)))),
                    angle, 0, 360, 1.0, -1, lineType=cv2.LINE_AA)
        sigma = float(rng.uniform(*cfg["edge_sigma_px"]))
        soft = cv2.GaussianBlur(soft, (0, 0), sigma)
        weight = soft * float(rng.uniform(*cfg["contrast"]))
        level = float(rng.uniform(*cfg["gas_level"]))
        noise = rng.normal(0, cfg["noise_std"], (h, w)).astype(np.float32)
        out = out * (1 - weight) + (level + noise) * weight
        mask |= (soft >= 0.5).astype(np.uint8)
    if mask.sum() == 0:
        return None
    return np.clip(out, 0, 1).astype(np.float32), mask.astype(bool)


def sample_view(slices, rng, cfg, input_size, defective, bounds=None):
    """One model input: a random square crop of a (rotated, flipped) slice, resized to input_size.

    bounds = (y0, y1, x0, x1) keeps the crop inside a region of the slice (held-out halves).
    Returns (view, mask_at_input_size or None).
    """
    img, region = slices[int(rng.integers(len(slices)))]
    H, W = img.shape
    y0, y1, x0, x1 = bounds if bounds else (0, H, 0, W)
    max_side = min(y1 - y0, x1 - x0)
    side = int(rng.integers(min(cfg["crop_px"][0], max_side), min(cfg["crop_px"][1], max_side) + 1))
    for _ in range(50):
        top = int(rng.integers(y0, y1 - side + 1))
        left = int(rng.integers(x0, x1 - side + 1))
        reg = region[top:top + side, left:left + side]
        if reg.mean() >= cfg["min_cell_fraction"]:
            break
    view = img[top:top + side, left:left + side]
    mask = None
    if defective:
        scale = side / input_size
        res = insert_voids(view, reg, rng, cfg["voids"], min_radius_px=cfg["voids"]["min_radius_input_px"] * scale)
        if res is None:
            return None
        view, mask = res
    view = cv2.resize(view, (input_size, input_size), interpolation=cv2.INTER_AREA)
    if mask is not None:
        mask = cv2.resize(mask.astype(np.float32), (input_size, input_size), interpolation=cv2.INTER_AREA) >= 0.5
        if mask.sum() == 0:
            return None
    return view, mask
