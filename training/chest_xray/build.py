"""Builds the chest-xray-pneumonia demo pack: patient-grouped split, training from scratch
(no pretrained weights can be downloaded here), F1-optimal threshold on validation, test
metrics with bootstrap intervals, ONNX export.

Run: nice -n 10 /usr/bin/python3 training/chest_xray/build.py training/configs/chest-xray-pneumonia.yaml
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from lib import metrics  # noqa: E402
from lib.common import (limit_threads, load_config, log, require_data, save_json, seed_everything,  # noqa: E402
                        training_seconds, work_dir)  # noqa: E402
from lib.nets import NarrowResNet  # noqa: E402
from lib.onnx_export import export  # noqa: E402


def patient_split(cfg, root):
    """NIH file names are <patient>_<study>.jpg; whole patients go to one set."""
    items = []
    for label, cls in enumerate(cfg["data"]["classes"]):
        for f in sorted(os.listdir(root / cls)):
            if f.endswith(".jpg"):
                items.append((f"{cls}/{f}", label, f.split("_")[0]))
    patients = sorted({p for _, _, p in items})
    rng = np.random.default_rng(cfg["seed"])
    rng.shuffle(patients)
    s = cfg["data"]["split"]
    n_tr, n_va = int(len(patients) * s["train"]), int(len(patients) * s["val"])
    part_of = {p: "train" if i < n_tr else "val" if i < n_tr + n_va else "test" for i, p in enumerate(patients)}
    sets = {"train": [], "val": [], "test": []}
    for rel, y, p in items:
        sets[part_of[p]].append((rel, y))
    return sets


def load_set(root, items):
    x = np.stack([cv2.imread(str(root / rel), cv2.IMREAD_GRAYSCALE) for rel, _ in items])
    return x, np.array([y for _, y in items])


def eval_view(x, size):
    # As the app does it: the whole radiograph, bilinear (half-pixel centres) to the input size, 0..1.
    v = np.stack([cv2.resize(a.astype(np.float32) / 255, (size, size), interpolation=cv2.INTER_LINEAR) for a in x])
    return v[:, None]


def train_view(a, size, rng, vcfg):
    h, w = a.shape
    s = rng.uniform(*vcfg["crop_scale"])
    ch, cw = int(h * s), int(w * s)
    top, left = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    crop = a[top:top + ch, left:left + cw]
    m = cv2.getRotationMatrix2D((cw / 2, ch / 2), rng.uniform(-vcfg["rotate_deg"], vcfg["rotate_deg"]), 1.0)
    crop = cv2.warpAffine(crop, m, (cw, ch), borderMode=cv2.BORDER_REFLECT)
    v = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    # Exposure and contrast differ between sites and detectors.
    g = rng.uniform(0.8, 1.25)
    return np.clip((v - v.mean()) * rng.uniform(0.85, 1.15) + v.mean(), 0, 1) ** g


def predict(net, x, bs=64):
    net.eval()
    with torch.no_grad():
        return np.concatenate([torch.softmax(net(torch.from_numpy(x[i:i + bs])), 1)[:, 1].numpy()
                               for i in range(0, len(x), bs)])


def main(cfg_path):
    t0 = time.time()
    cfg = load_config(cfg_path)
    seed_everything(cfg["seed"])
    limit_threads(cfg["threads"])
    wd = work_dir(cfg["pack"])
    root = require_data(cfg["data"]["root"])
    sets = patient_split(cfg, root)
    size = cfg["view"]["input_size"]
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = (load_set(root, sets[k]) for k in ("train", "val", "test"))
    for k, y in (("train", y_tr), ("val", y_va), ("test", y_te)):
        log(f"{k}: {int((y == 0).sum())} normal, {int(y.sum())} pneumonia")
    ev_va, ev_te = eval_view(x_va, size), eval_view(x_te, size)

    mc, tc = cfg["model"], cfg["train"]
    net = NarrowResNet(1, mc["widths"], 2, mc["normalise"]["mean"], mc["normalise"]["std"], mc["dropout"])
    steps_per_epoch = len(x_tr) // tc["batch"]
    total = steps_per_epoch * tc["epochs"]
    opt = torch.optim.AdamW(net.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc["lr"], total_steps=total, pct_start=0.15)
    rng = np.random.default_rng(cfg["seed"])
    best_auc, best_state = -1.0, None
    weights = wd / "model.pt"
    reuse = "--reuse-weights" in sys.argv and weights.exists()
    for epoch in range(0 if reuse else tc["epochs"]):
        order = rng.permutation(len(x_tr))
        net.train()
        for b in range(steps_per_epoch):
            idx = order[b * tc["batch"]:(b + 1) * tc["batch"]]
            xb = torch.from_numpy(np.stack([train_view(x_tr[i], size, rng, cfg["view"]) for i in idx])[:, None].astype(np.float32))
            loss = F.cross_entropy(net(xb), torch.from_numpy(y_tr[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            net.train()
        pv = predict(net, ev_va)
        auc = metrics.roc_auc_score(y_va, pv)
        # Model selection on validation AUC; the test set is touched once, after training.
        if auc > best_auc:
            best_auc, best_state = auc, {k: v.clone() for k, v in net.state_dict().items()}
        log(f"epoch {epoch:2d} loss {loss.item():.4f} val AUC {auc:.4f} t={time.time() - t0:.0f}s")
    if reuse:
        net.load_state_dict(torch.load(weights))
        best_auc = metrics.roc_auc_score(y_va, predict(net, ev_va))
        log(f"--reuse-weights: evaluating {weights} without retraining")
    else:
        net.load_state_dict(best_state)
        torch.save(net.state_dict(), weights)
    train_s = training_seconds(wd, reuse, t0)
    t_eval = time.time()

    pv, pt = predict(net, ev_va), predict(net, ev_te)
    thr, val_f1 = metrics.f1_optimal_threshold(y_va, pv)
    test = metrics.binary_metrics(y_te, pt, thr)
    ci = metrics.bootstrap_ci(y_te, pt, thr, seed=cfg["seed"])
    log(f"threshold (F1-optimal on validation, val F1 {val_f1:.3f}, best val AUC {best_auc:.3f}): {thr:.4f}")
    log(f"test: {test} ci95 {ci}")

    net.eval()
    export(net, torch.zeros(1, 1, size, size), wd / "model.onnx", "input", ["logits"])
    calib = wd / "calib" / "normal"
    calib.mkdir(parents=True, exist_ok=True)
    for f in calib.iterdir():
        f.unlink()
    for rel, y in sets["val"]:
        if y == 0:
            (calib / rel.split("/")[-1]).symlink_to(root / rel)
    save_json(wd / "results.json", {
        "pack": cfg["pack"], "config": cfg["_config_path"], "classes": cfg["data"]["classes"], "input_size": size,
        "counts": {k: {"normal": int(sum(1 for _, y in v if y == 0)), "pneumonia": int(sum(y for _, y in v))}
                   for k, v in sets.items()},
        "threshold": thr, "threshold_rule": cfg["eval"]["threshold_rule"], "val_f1_at_threshold": val_f1,
        "best_val_auc": float(best_auc), "test": test, "test_ci95": ci, "test_items": sets["test"],
        "val_labels": [int(v) for v in y_va], "val_scores": [float(v) for v in pv],
        "epochs": tc["epochs"], "runtime_s": round(train_s + time.time() - t_eval), "torch": torch.__version__,
    })
    log(f"wrote {wd / 'results.json'} and {wd / 'model.onnx'} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "training/configs/chest-xray-pneumonia.yaml")
