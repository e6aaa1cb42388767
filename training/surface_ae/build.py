"""Builds the surface-pitting-ae pack: normal-set selection, grouped split, AE training,
thresholds, image- and pixel-level evaluation against a baseline, ONNX export.

Run: nice -n 10 /usr/bin/python3 training/surface_ae/build.py training/configs/surface-pitting-ae.yaml
"""
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from lib import metrics  # noqa: E402
from lib.common import (limit_threads, load_config, log, require_data, save_json, seed_everything,  # noqa: E402
                        training_seconds, work_dir)  # noqa: E402
from lib.nets import anomaly_maps, autoencoder_for, residual_map  # noqa: E402
from lib.onnx_export import export  # noqa: E402
from surface_ae.corrupt import corrupt  # noqa: E402
from surface_ae.data import classify_photos, load_rgb, pitting_mask  # noqa: E402


def load_split(cfg, root, wd):
    hw = tuple(cfg["data"]["input_hw"])
    cache = wd / f"photos_{hw[0]}x{hw[1]}.npz"
    photos = classify_photos(root)
    log("photo status: " + str(dict(Counter(s for _, s in photos.values()))))
    val_s, test_s = set(cfg["data"]["val_series"]), set(cfg["data"]["test_series"])
    sets = {"train": [], "val": [], "test": []}
    for stem, (series, status) in sorted(photos.items()):
        if status not in ("normal", "pitting"):
            continue
        part = "test" if series in test_s else "val" if series in val_s else "train"
        if part == "train" and status == "pitting":
            continue  # the AE never sees a pitted photo
        sets[part].append((stem, int(status == "pitting")))
    if cache.exists():
        z = np.load(cache, allow_pickle=True)
        imgs, masks = z["imgs"].item(), z["masks"].item()
    else:
        # Cache every usable photo, whatever the split, so a config change never reads a stale cache.
        imgs, masks = {}, {}
        for stem, (_, status) in sorted(photos.items()):
            if status not in ("normal", "pitting"):
                continue
            orig, small = load_rgb(root, stem, hw)
            imgs[stem] = small
            masks[stem] = pitting_mask(root, stem, orig.shape[:2], hw) if status == "pitting" else np.zeros(hw, bool)
        np.savez_compressed(cache, imgs=np.array(imgs, dtype=object), masks=np.array(masks, dtype=object))
    for k, v in sets.items():
        log(f"{k}: {sum(1 for _, y in v if y == 0)} normal, {sum(y for _, y in v)} pitting photos")
    return sets, imgs, masks


def to_tensor(arr):
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(0, 3, 1, 2))).float() / 255.0


def run_maps(ae, x, mc, bs=16):
    ae.eval()
    scores, maps = [], []
    with torch.no_grad():
        for i in range(0, len(x), bs):
            s, m = anomaly_maps(x[i:i + bs], ae(x[i:i + bs]), mc["blur_sigma_px"], mc["score"], mc.get("residual"))
            scores.append(s.numpy())
            maps.append(m.numpy())
    return np.concatenate(scores), np.concatenate(maps)


def baseline_maps(mean_img, x, mc, residual=None):
    """Simplest honest baseline: distance to the mean normal training photo, smoothed and scored
    like the AE's residual. residual None = the plain squared colour distance; the pack's own
    residual gives the same-maths baseline, so a better residual cannot flatter the AE alone."""
    s, m = anomaly_maps(x, mean_img.expand_as(x), mc["blur_sigma_px"], mc["score"], residual)
    return s.numpy(), m.numpy()


def pixel_auroc(maps, masks):
    return float(roc_auc_score(masks.reshape(-1).astype(int), maps.reshape(-1)))


def evaluate(name, y, scores, maps, masks, thr_k, thr_f1, seed):
    m_k = metrics.binary_metrics(y, scores, thr_k)
    ci_k = metrics.bootstrap_ci(y, scores, thr_k, seed=seed)
    m_f = metrics.binary_metrics(y, scores, thr_f1)
    ci_f = metrics.bootstrap_ci(y, scores, thr_f1, seed=seed)
    pa = pixel_auroc(maps, masks)
    pa_pit = pixel_auroc(maps[y == 1], masks[y == 1])
    log(f"{name}: image AUROC {m_k['roc_auc']:.4f}; mean+k*std F1 {m_k['f1']:.4f}; F1-opt F1 {m_f['f1']:.4f}; "
        f"pixel AUROC {pa:.4f} (pitted photos only {pa_pit:.4f})")
    return {"at_mean_k_std": m_k, "at_mean_k_std_ci95": ci_k, "at_f1_optimal": m_f, "at_f1_optimal_ci95": ci_f,
            "pixel_auroc": pa, "pixel_auroc_pitted_only": pa_pit}


def write_calibration_sets(root, wd, sets):
    """Validation photos as folders for `inspector pack create --calibrate/--abnormal`, which
    re-derives the thresholds through the app's own engine."""
    for name, want in (("normal", 0), ("abnormal", 1)):
        d = wd / "calib" / name
        d.mkdir(parents=True, exist_ok=True)
        for f in d.iterdir():
            f.unlink()
        for stem, y in sets["val"]:
            if y == want:
                (d / f"{stem}.jpg").symlink_to(root / "images" / f"{stem}.jpg")


def main(cfg_path):
    t0 = time.time()
    cfg = load_config(cfg_path)
    seed_everything(cfg["seed"])
    limit_threads(cfg["threads"])
    wd = work_dir(cfg.get("work_name", cfg["pack"]))
    root = require_data(cfg["data"]["root"])
    sets, imgs, masks = load_split(cfg, root, wd)

    def stack(part):
        stems = [s for s, _ in sets[part]]
        return (stems, to_tensor(np.stack([imgs[s] for s in stems])), np.array([y for _, y in sets[part]]),
                np.stack([masks[s] for s in stems]))

    _, x_tr, _, _ = stack("train")
    val_stems, x_val, y_val, m_val = stack("val")
    test_stems, x_te, y_te, m_te = stack("test")

    mc, tc = cfg["model"], cfg["train"]
    ae = autoencoder_for(mc, cfg["data"]["input_hw"])
    if ae.anchor is not None:
        ae.set_anchor(x_tr.mean(dim=0, keepdim=True))
    opt = torch.optim.AdamW(ae.parameters(), lr=tc["lr"], weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc["lr"], total_steps=tc["steps"], pct_start=0.1)
    rng = np.random.default_rng(cfg["seed"])
    H, W = cfg["data"]["input_hw"]
    # crop: a side in px, or null for whole photos (keeps where things sit in the aligned frame).
    ch, cw = (tc["crop"], tc["crop"]) if tc["crop"] else (H, W)
    weights = wd / "model.pt"
    reuse = "--reuse-weights" in sys.argv and weights.exists()
    for step in range(0 if reuse else tc["steps"]):
        idx = rng.integers(0, len(x_tr), tc["batch"])
        tops, lefts = rng.integers(0, H - ch + 1, tc["batch"]), rng.integers(0, W - cw + 1, tc["batch"])
        xb = torch.stack([x_tr[i, :, t:t + ch, l:l + cw] for i, t, l in zip(idx, tops, lefts)])
        # Exposure jitter: the rig's lighting drifts over the weeks of the run.
        xb = (xb * torch.from_numpy(rng.uniform(0.9, 1.1, (tc["batch"], 1, 1, 1))).float()).clamp(0, 1)
        xin = xb
        if tc.get("corruption"):
            xin = torch.from_numpy(np.stack([corrupt(c.permute(1, 2, 0).numpy(), rng, tc["corruption"])
                                             for c in xb])).permute(0, 3, 1, 2).contiguous()
        ae.train()
        rec = ae(xin)
        loss = F.mse_loss(rec, xb) + 0.5 * F.l1_loss(rec, xb)
        if tc.get("ssim_weight"):
            # Structural term (Bergmann et al. 2019): sharper texture than pixel losses alone.
            loss = loss + tc["ssim_weight"] * residual_map(rec, xb, tc["ssim_loss"]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0 or step == tc["steps"] - 1:
            s_val, _ = run_maps(ae, x_val, mc)
            log(f"step {step:5d} loss {loss.item():.5f} val image AUROC {roc_auc_score(y_val, s_val):.4f} "
                f"t={time.time() - t0:.0f}s")
    if reuse:
        ae.load_state_dict(torch.load(weights))
        log(f"--reuse-weights: evaluating {weights} without retraining")
    else:
        torch.save(ae.state_dict(), weights)
    train_s = training_seconds(wd, reuse, t0)
    t_eval = time.time()

    # --- thresholds from validation: normal-only rule and the F1-optimal alternative ---
    s_val, map_val = run_maps(ae, x_val, mc)
    nv = s_val[y_val == 0]
    k = cfg["threshold"]["k"]
    # Population std, as `inspector pack create --calibrate` computes it, so both agree.
    thr_k = float(nv.mean() + k * nv.std())
    thr_f1, val_f1 = metrics.f1_optimal_threshold(y_val, s_val)
    log(f"normal validation scores: mean {nv.mean():.6f} std {nv.std():.6f} (n={len(nv)}); "
        f"threshold mean+{k}*std = {thr_k:.6f}; F1-optimal on validation = {thr_f1:.6f} (val F1 {val_f1:.3f})")

    # The pack's thresholds, computed the way `inspector pack create --calibrate` does (mean + k·std,
    # population std, every 4th map pixel; min-max spans that include the threshold). Written here
    # because that command currently overflows the call stack on millions of map pixels.
    pix = map_val[y_val == 0].reshape(-1)[::4]
    pix_thr = float(pix.mean() + k * pix.std())
    pack_thresholds = {
        "image": {"value": thr_k, "stats": {"mean": float(nv.mean()), "std": float(nv.std()), "k": k, "n": int(len(nv))}},
        "pixel": {"value": pix_thr, "stats": {"mean": float(pix.mean()), "std": float(pix.std()), "k": k, "n": int(len(pix))}},
        "scores": [float(min(nv.min(), thr_k)), float(max(nv.max(), thr_k))],
        "maps": [float(min(pix.min(), pix_thr)), float(max(pix.max(), pix_thr))],
    }
    # Which residual: the candidates ranked by pixel ROC-AUC on the validation series (test unseen).
    selection = []
    mean_val = x_tr.mean(dim=0, keepdim=True)
    for cand in mc.get("residual_candidates", []):
        cmc = {**mc, "residual": cand}
        _, cm = run_maps(ae, x_val, cmc)
        _, bm = baseline_maps(mean_val, x_val, cmc, cand)
        selection.append({"residual": cand, "val_pixel_auroc": pixel_auroc(cm, m_val), "val_baseline_pixel_auroc": pixel_auroc(bm, m_val)})
        log(f"validation pixel AUROC, residual {cand}: AE {selection[-1]['val_pixel_auroc']:.4f}, "
            f"mean photo {selection[-1]['val_baseline_pixel_auroc']:.4f}")
    s_te, map_te = run_maps(ae, x_te, mc)
    res_ae = evaluate("AE test", y_te, s_te, map_te, m_te, thr_k, thr_f1, cfg["seed"])

    mean_img = x_tr.mean(dim=0, keepdim=True)

    def baseline(name, residual):
        bs_val, _ = baseline_maps(mean_img, x_val, mc, residual)
        bnv = bs_val[y_val == 0]
        thr = {"mean_k_std": float(bnv.mean() + k * bnv.std()), "f1_optimal": metrics.f1_optimal_threshold(y_val, bs_val)[0]}
        bs_te, bmap_te = baseline_maps(mean_img, x_te, mc, residual)
        return evaluate(name, y_te, bs_te, bmap_te, m_te, thr["mean_k_std"], thr["f1_optimal"], cfg["seed"]), thr

    res_base, base_thr = baseline("baseline test", None)
    # Only when the pack's residual is not the plain squared error: the same maths on the mean photo.
    res_base_same = baseline("baseline test, pack residual", mc["residual"])[0] if mc.get("residual") else None

    # How the unlabelled photos were checked, step 2: the AE's own view of the normal sets.
    s_tr, _ = run_maps(ae, x_tr, mc)
    order = np.argsort(-s_tr)[:12]
    train_stems = [s for s, _ in sets["train"]]
    montage = [cv2.putText(cv2.cvtColor(imgs[train_stems[i]], cv2.COLOR_RGB2BGR), f"{s_tr[i]:.4f}", (5, 20), 0, 0.6,
                           (0, 0, 255), 2) for i in order]
    cv2.imwrite(str(wd / "top_scoring_train_normals.png"),
                np.vstack([np.hstack(montage[i:i + 3]) for i in range(0, 12, 3)]))
    above = int((s_tr > thr_k).sum())
    log(f"train normals above the mean+k*std threshold: {above}/{len(s_tr)}; top: "
        + ", ".join(f"{train_stems[i]}={s_tr[i]:.5f}" for i in order[:5]))

    # The app computes the residual map itself (docs/PACKS.md, format autoencoder): ship only the AE.
    ae.eval()
    export(ae, torch.zeros(1, 3, H, W), wd / "model.onnx", "input", ["reconstruction"], dynamic_batch=True)
    write_calibration_sets(root, wd, sets)
    n = {p: {"normal": int(sum(1 for _, y in v if y == 0)), "pitting": int(sum(y for _, y in v))} for p, v in sets.items()}
    results = {
        "pack": cfg["pack"], "config": cfg["_config_path"], "input_hw": [H, W], "counts": n,
        "photo_status": dict(Counter(s for _, s in classify_photos(root).values())),
        "threshold": {"rule": f"mean + {k} * std of normal validation scores", "k": k, "value": thr_k,
                      "normal_val_mean": float(nv.mean()), "normal_val_std": float(nv.std()), "n_normal_val": int(len(nv)),
                      "f1_optimal_value": thr_f1, "f1_optimal_val_f1": val_f1},
        "pack_thresholds": pack_thresholds, "test_autoencoder": res_ae, "test_baseline_mean_image": res_base,
        "test_baseline_mean_image_pack_residual": res_base_same, "residual": mc.get("residual"), "residual_selection": selection,
        "baseline_thresholds": base_thr,
        "train_normals_above_threshold": above, "train_normals": int(len(s_tr)),
        "test_stems": test_stems, "val_stems": val_stems,
        "train_steps": tc["steps"], "runtime_s": round(train_s + time.time() - t_eval), "torch": torch.__version__,
    }
    save_json(wd / "results.json", results)
    log(f"wrote {wd / 'results.json'} and {wd / 'model.onnx'} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "training/configs/surface-pitting-ae.yaml")
