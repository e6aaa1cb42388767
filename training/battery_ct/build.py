"""Builds the battery-ct-porosity pack: views, training, threshold, evaluation, ONNX, card.

Run: nice -n 10 /usr/bin/python3 training/battery_ct/build.py training/configs/battery-ct-porosity.yaml
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from battery_ct.voids import cell_region, load_slice, rotate, sample_view  # noqa: E402
from lib import metrics  # noqa: E402
from lib.common import (limit_threads, load_config, log, require_data, save_json, seed_everything,  # noqa: E402
                        training_seconds, work_dir)  # noqa: E402
from lib.nets import NarrowResNet, cam_for  # noqa: E402
from lib.onnx_export import export  # noqa: E402

CLASSES = ["normal", "porosity"]


def load_slices(cfg, index):
    d = require_data(cfg["data"]["slices"])
    img, winding = load_slice(d / f"im_{index}.png", d / f"mask_{index}.png")
    region = cell_region(winding, cfg["data"]["region_close_px"], cfg["data"]["region_erode_px"])
    return img, region


def make_set(slices, rng, cfg, n, bounds=None, crop=None):
    vcfg = dict(cfg["view"])
    if crop:
        vcfg["crop_px"] = crop
    xs, ys, masks = [], [], []
    while len(xs) < n:
        defective = len(xs) % 2 == 1
        s = sample_view(slices, rng, vcfg, vcfg["input_size"], defective, bounds)
        if s is None:
            continue
        xs.append(s[0])
        ys.append(int(defective))
        masks.append(s[1] if s[1] is not None else np.zeros_like(s[0], bool))
    return np.stack(xs)[:, None], np.array(ys), np.stack(masks)


def augment(batch, rng):
    # Small gain/offset jitter: other scanners and reconstructions will not match this one's levels.
    g = rng.uniform(0.85, 1.15, (len(batch), 1, 1, 1)).astype(np.float32)
    o = rng.uniform(-0.05, 0.05, (len(batch), 1, 1, 1)).astype(np.float32)
    out = np.clip(batch * g + o, 0, 1)
    flip = rng.random(len(batch)) < 0.5
    out[flip] = out[flip, :, :, ::-1]
    return np.ascontiguousarray(out)


def predict(net, x, bs=64):
    net.eval()
    ps = []
    with torch.no_grad():
        for i in range(0, len(x), bs):
            ps.append(torch.softmax(net(torch.from_numpy(x[i:i + bs])), 1)[:, 1].numpy())
    return np.concatenate(ps)


def localisation(net, x, y, masks, tol):
    """Share of CAM energy inside the void mask and pointing-game hits, on defective views."""
    size = x.shape[-1]
    shares, hits, base_share, base_point = [], [], [], []
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    for i in np.nonzero(y == 1)[0]:
        cam = cam_for(net, torch.from_numpy(x[i:i + 1]), 1)
        up = F.interpolate(cam[:, None], size=(size, size), mode="bilinear", align_corners=False)[0, 0].numpy()
        m = masks[i]
        total = up.sum()
        shares.append(float(up[m].sum() / total) if total > 0 else 0.0)
        yx = np.unravel_index(int(np.argmax(up)), up.shape)
        hit_zone = cv2.dilate(m.astype(np.uint8), k) > 0
        hits.append(float(hit_zone[yx]))
        # Baselines: a uniform map puts mask-area share of its energy in the mask; a point drawn
        # uniformly at random hits the tolerance zone with probability equal to its area share.
        base_share.append(float(m.mean()))
        base_point.append(float(hit_zone.mean()))
    return np.array(shares), np.array(hits), np.array(base_share), np.array(base_point)


def write_views(d, views):
    """Views as 16-bit PNGs, the way the app reads them back (value / 65535)."""
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        f.unlink()
    for i, v in enumerate(views):
        cv2.imwrite(str(d / f"view_{i:03d}.png"), np.round(v[0] * 65535).astype(np.uint16))


def main(cfg_path):
    t0 = time.time()
    cfg = load_config(cfg_path)
    seed_everything(cfg["seed"])
    limit_threads(cfg["threads"])
    wd = work_dir(cfg["pack"])
    size = cfg["view"]["input_size"]

    # --- data: rotated copies of the training slice; held-out slice split into halves ---
    train_slices = []
    for idx in cfg["data"]["train_slices"]:
        img, region = load_slices(cfg, idx)
        n_rot = cfg["data"]["rotations_deg"]
        for r in range(n_rot):
            train_slices.append(rotate(img, region, 360.0 * r / n_rot))
    held_img, held_region = load_slices(cfg, cfg["data"]["heldout_slice"])
    held = [(held_img, held_region)]
    H, W = held_img.shape
    ev = cfg["eval"]
    rng_eval = np.random.default_rng(cfg["seed"] + 1)
    half = (ev["val_views"], (0, H, 0, W // 2)), (ev["test_views"], (0, H, W // 2, W))
    crop = [cfg["view"]["crop_px"][0], min(cfg["view"]["crop_px"][1], W // 2)]
    xv, yv, mv = make_set(held, rng_eval, cfg, half[0][0], half[0][1], crop=crop)
    xt, yt, mt = make_set(held, rng_eval, cfg, half[1][0], half[1][1], crop=crop)
    np.savez_compressed(wd / "heldout.npz", xv=xv, yv=yv, mv=mv, xt=xt, yt=yt, mt=mt)
    log(f"held-out views: val {len(yv)} (left half of slice 2), test {len(yt)} (right half)")

    # --- training ---
    mc = cfg["model"]
    net = NarrowResNet(1, mc["widths"], len(CLASSES), mc["normalise"]["mean"], mc["normalise"]["std"])
    tc = cfg["train"]
    opt = torch.optim.AdamW(net.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc["lr"], total_steps=tc["steps"], pct_start=0.15)
    rng = np.random.default_rng(cfg["seed"])
    half_b = tc["batch"] // 2
    weights = wd / "model.pt"
    reuse = "--reuse-weights" in sys.argv and weights.exists()
    for step in range(0 if reuse else tc["steps"]):
        xs, ys = [], []
        while len(xs) < tc["batch"]:
            defective = len(xs) >= half_b
            s = sample_view(train_slices, rng, cfg["view"], size, defective)
            if s is None:
                continue
            xs.append(s[0])
            ys.append(int(defective))
        xb = torch.from_numpy(augment(np.stack(xs)[:, None], rng))
        yb = torch.tensor(ys)
        net.train()
        loss = F.cross_entropy(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0 or step == tc["steps"] - 1:
            pv = predict(net, xv)
            log(f"step {step:5d} loss {loss.item():.4f} val_auc {metrics.roc_auc_score(yv, pv):.4f} t={time.time() - t0:.0f}s")
    if reuse:
        net.load_state_dict(torch.load(weights))
        log(f"--reuse-weights: evaluating {weights} without retraining")
    else:
        torch.save(net.state_dict(), weights)
    train_s = training_seconds(wd, reuse, t0)
    t_eval = time.time()

    # --- threshold from validation (left half), evaluation on test (right half) ---
    pv, pt = predict(net, xv), predict(net, xt)
    thr, val_f1 = metrics.f1_optimal_threshold(yv, pv)
    test = metrics.binary_metrics(yt, pt, thr)
    test_ci = metrics.bootstrap_ci(yt, pt, thr, seed=cfg["seed"])
    shares, hits, b_share, b_point = localisation(net, xt, yt, mt, ev["pointing_tolerance_px"])
    share_m, share_ci = metrics.mean_ci(shares, seed=cfg["seed"])
    hit_m, hit_ci = metrics.mean_ci(hits, seed=cfg["seed"])
    log(f"threshold (F1-optimal on validation, val F1 {val_f1:.3f}): {thr:.4f}")
    log(f"test: {test}")
    log(f"CAM energy in mask {share_m:.3f} {share_ci} vs uniform {b_share.mean():.3f}; pointing {hit_m:.3f} {hit_ci} vs random {b_point.mean():.3f}")

    # --- export ---
    # Logits only: the app computes Grad-CAM itself from the GAP input it finds in the graph.
    net.eval()
    export(net, torch.zeros(1, 1, size, size), wd / "model.onnx", "input", ["logits"])
    write_views(wd / "calib" / "normal", xv[yv == 0])
    results = {
        "pack": cfg["pack"], "config": cfg["_config_path"], "classes": CLASSES, "input_size": size,
        "threshold": thr, "threshold_rule": ev["threshold_rule"], "val_f1_at_threshold": val_f1,
        "test": test, "test_ci95": test_ci,
        "localisation": {
            "views": int(len(shares)), "energy_in_mask": share_m, "energy_in_mask_ci95": share_ci,
            "energy_in_mask_uniform_baseline": float(b_share.mean()),
            "pointing_game": hit_m, "pointing_game_ci95": hit_ci,
            "pointing_random_baseline": float(b_point.mean()), "pointing_tolerance_px": ev["pointing_tolerance_px"],
        },
        "val_labels": [int(v) for v in yv], "val_scores": [float(v) for v in pv],
        "train_steps": tc["steps"], "runtime_s": round(train_s + time.time() - t_eval),
        "torch": torch.__version__,
    }
    save_json(wd / "results.json", results)
    log(f"wrote {wd / 'results.json'} and {wd / 'model.onnx'} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "training/configs/battery-ct-porosity.yaml")
