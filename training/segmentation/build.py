"""Builds the demo segmentation pack `surface-pitting-seg`: a tiny U-Net on BSData pitting polygons.

    nice -n 10 /usr/bin/python3 training/segmentation/build.py training/configs/surface-pitting-seg.yaml

Real data: the 394 BSData photos with labelme pitting polygons plus pitting-free photos (by the
chronology rule of surface_ae/data.py), split by (spindle position, camera angle) series so no
series is in both train and test. Output: one logit map per pixel (`logits`, 1×1×H×W; the pack
declares a sigmoid head). Evaluated on the held-out series against a simple baseline (a darkness
threshold chosen on the training split, since pits read as dark spots); writes the ONNX model,
results.json (Dice/IoU with bootstrap intervals) and reference tensors for the parity test.
"""
import hashlib
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.common import REPO, load_config, limit_threads, log, require_data, save_json, seed_everything, work_dir  # noqa: E402
from lib.onnx_export import export  # noqa: E402
from surface_ae.data import classify_photos, load_rgb, pitting_mask  # noqa: E402


class Block(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class TinyUNet(nn.Module):
    """Three levels, bilinear upsampling (exports to plain Resize), one logit channel per class."""

    def __init__(self, width, classes):
        super().__init__()
        w = width
        self.e1, self.e2, self.e3 = Block(3, w), Block(w, 2 * w), Block(2 * w, 4 * w)
        self.d2, self.d1 = Block(6 * w, 2 * w), Block(3 * w, w)
        self.head = nn.Conv2d(w, classes, 1)

    def forward(self, x):
        a = self.e1(x)
        b = self.e2(F.max_pool2d(a, 2))
        c = self.e3(F.max_pool2d(b, 2))
        u = F.interpolate(c, scale_factor=2.0, mode="bilinear", align_corners=False)
        d = self.d2(torch.cat([u, b], 1))
        u = F.interpolate(d, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.head(self.d1(torch.cat([u, a], 1)))


def split_of(key, test_mod):
    return "test" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % test_mod == 0 else "train"


def dice_iou(pred, gt):
    inter = float(np.logical_and(pred, gt).sum())
    s = float(pred.sum() + gt.sum())
    union = float(np.logical_or(pred, gt).sum())
    return (2 * inter / s if s else 1.0), (inter / union if union else 1.0)


def metrics(preds, gts, rng, n_boot=1000):
    """Pooled Dice/IoU over all test pixels, with a bootstrap over images for 95 % intervals."""
    inter = np.array([np.logical_and(p, g).sum() for p, g in zip(preds, gts)], np.float64)
    ps = np.array([p.sum() for p in preds], np.float64)
    gs = np.array([g.sum() for g in gts], np.float64)
    union = ps + gs - inter

    def stat(idx):
        return 2 * inter[idx].sum() / max(1.0, ps[idx].sum() + gs[idx].sum()), inter[idx].sum() / max(1.0, union[idx].sum())

    d, i = stat(np.arange(len(preds)))
    boots = np.array([stat(rng.integers(0, len(preds), len(preds))) for _ in range(n_boot)])
    lo, hi = np.percentile(boots, [2.5, 97.5], axis=0)
    return {"dice": round(d, 4), "dice_ci95": [round(lo[0], 4), round(hi[0], 4)], "iou": round(i, 4), "iou_ci95": [round(lo[1], 4), round(hi[1], 4)]}


def main(cfg_path):
    cfg = load_config(cfg_path)
    seed_everything(cfg["seed"])
    limit_threads(cfg["threads"])
    started = time.time()
    root = require_data("bsdata")
    wd = work_dir(cfg["pack"])
    H, W = cfg["input_hw"]
    photos = classify_photos(root)
    rng = np.random.default_rng(cfg["seed"])
    normals = sorted(s for s, (_, st) in photos.items() if st == "normal")
    normals = list(rng.choice(normals, size=min(cfg["normal_photos"], len(normals)), replace=False))
    pits = sorted(s for s, (_, st) in photos.items() if st in ("pitting", "other-rig") and (root / "labels" / f"{s}.json").exists())
    data = {"train": [], "test": []}
    for s in sorted(pits + normals):
        key = photos[s][0] or s
        full, x = load_rgb(root, s, (H, W))
        m = pitting_mask(root, s, full.shape[:2], (H, W)) if s in pits else np.zeros((H, W), bool)
        data[split_of(key, cfg["test_mod"])].append((s, x, m))
    log(f"train {len(data['train'])} test {len(data['test'])} (pitting {len(pits)}, normal {len(normals)})")

    def tensors(items):
        x = torch.from_numpy(np.stack([i[1] for i in items]).astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
        y = torch.from_numpy(np.stack([i[2] for i in items]).astype(np.float32))[:, None]
        return x, y

    xtr, ytr = tensors(data["train"])
    xte, yte = tensors(data["test"])
    model = TinyUNet(cfg["width"], 1)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=1e-4)
    pos_weight = torch.tensor([cfg["pos_weight"]])
    g = torch.Generator().manual_seed(cfg["seed"])
    for epoch in range(cfg["epochs"]):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        total = 0.0
        for k in range(0, len(perm), cfg["batch"]):
            idx = perm[k:k + cfg["batch"]]
            xb, yb = xtr[idx], ytr[idx]
            if torch.rand(1, generator=g).item() < 0.5:
                xb, yb = xb.flip(3), yb.flip(3)
            logits = model(xb)
            p = torch.sigmoid(logits)
            soft_dice = 1 - (2 * (p * yb).sum() + 1) / (p.sum() + yb.sum() + 1)
            loss = F.binary_cross_entropy_with_logits(logits, yb, pos_weight=pos_weight) + soft_dice
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        log(f"epoch {epoch + 1}/{cfg['epochs']} loss {total / len(xtr):.4f} ({time.time() - started:.0f}s)")
    train_s = time.time() - started
    model.eval()
    with torch.no_grad():
        p_te = torch.sigmoid(torch.cat([model(xte[k:k + 16]) for k in range(0, len(xte), 16)]))[:, 0].numpy()
        p_tr = torch.sigmoid(torch.cat([model(xtr[k:k + 16]) for k in range(0, len(xtr), 16)]))[:, 0].numpy()
    gts_te = [m for _, _, m in data["test"]]
    gts_tr = [m for _, _, m in data["train"]]
    # Decision threshold of the pack: the probability cut with the best pooled Dice on the training split.
    cuts = [0.3, 0.4, 0.5, 0.6, 0.7]
    best = max(cuts, key=lambda c: metrics([p > c for p in p_tr], gts_tr, rng, n_boot=1)["dice"])
    unet = metrics([p > best for p in p_te], gts_te, rng)

    # Baseline: pits are dark spots; darkness = local background (blurred grey) minus grey, cut tuned on train.
    def darkness(x):
        grey = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return cv2.GaussianBlur(grey, (0, 0), 8) - grey

    d_tr = [darkness(x) for _, x, _ in data["train"]]
    d_te = [darkness(x) for _, x, _ in data["test"]]
    bcuts = [5, 10, 15, 20, 25, 30, 40]
    bbest = max(bcuts, key=lambda c: metrics([d > c for d in d_tr], gts_tr, rng, n_boot=1)["dice"])
    baseline = metrics([d > bbest for d in d_te], gts_te, rng)
    log(f"U-Net test {unet} (cut {best}); baseline {baseline} (darkness > {bbest})")

    out = REPO / "models" / cfg["pack"]
    out.mkdir(parents=True, exist_ok=True)
    export(model, xte[:1], out / "model.onnx", "input", ["logits"], dynamic_batch=True)
    # Reference tensors for the app's parity test: two held-out photos (one with pitting), PyTorch's logits.
    fx = REPO / "tests" / "fixtures" / "segmentation"
    fx.mkdir(parents=True, exist_ok=True)
    pick = [next(i for i, (_, _, m) in enumerate(data["test"]) if m.any()), next(i for i, (_, _, m) in enumerate(data["test"]) if not m.any())]
    with torch.no_grad():
        ref_in = xte[pick].contiguous()
        ref_out = model(ref_in)
    np.save(fx / "input.npy", ref_in.numpy().astype(np.float32))
    np.save(fx / "logits.npy", ref_out.numpy().astype(np.float32))
    torch.save(model.state_dict(), wd / "model.pt")
    save_json(wd / "results.json", {
        "pack": cfg["pack"], "input_hw": [H, W], "threshold": best, "unet": unet,
        "baseline": {**baseline, "rule": f"blur(grey, sigma 8) - grey > {bbest}"},
        "split": {"train": len(data["train"]), "test": len(data["test"]),
                  "test_with_pitting": int(sum(m.any() for m in gts_te)), "rule": f"sha256(series) % {cfg['test_mod']} == 0 -> test"},
        "fixtures": [data["test"][i][0] for i in pick], "train_s": round(train_s), "config": cfg["_config_path"],
    })
    log(f"done in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main(sys.argv[1])
