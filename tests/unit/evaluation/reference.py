"""Independent reference implementations for tests/unit/evaluation/metrics.test.ts.

Reads one JSON document on stdin, prints one JSON document. scikit-learn (Debian python3-sklearn)
for classification / ROC / PR / calibration; COCO AP written here from pycocotools' COCOeval
(evaluateImg + accumulate, one area range, maxDets 100); AUPRO as the MVTec AD paper and anomalib
define it, by brute force over every distinct threshold with scipy's 8-connected labelling.
"""
import json
import sys

import numpy as np
from scipy import ndimage
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve


def classification(d):
    truth, pred, classes = d["truth"], d["pred"], d["classes"]
    labels = classes + sorted(set(pred) - set(classes))
    cm = skm.confusion_matrix(truth, pred, labels=labels)[: len(classes)]
    p, r, f, s = skm.precision_recall_fscore_support(truth, pred, labels=classes, zero_division=0)
    out = {"matrix": cm.tolist(), "accuracy": skm.accuracy_score(truth, pred), "precision": p.tolist(),
           "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist(), "auc": [], "ap": [], "roc": [], "pr": []}
    for c in classes:
        y = np.array([t == c for t in truth], int)
        sc = np.array(d["scores"][c], float)
        out["auc"].append(skm.roc_auc_score(y, sc))
        out["ap"].append(skm.average_precision_score(y, sc))
        fpr, tpr, _ = skm.roc_curve(y, sc, drop_intermediate=False)
        out["roc"].append([fpr.tolist(), tpr.tolist()])
    return out


def calibration(d):
    y, p = np.array(d["y"]), np.array(d["p"], float)
    frac, mean = calibration_curve(y, p, n_bins=10, strategy="uniform")
    bins = np.linspace(0.0, 1.0, 11)
    ids = np.searchsorted(bins[1:-1], p)
    counts = np.bincount(ids, minlength=10)
    counts = counts[counts > 0]
    ece = float(np.sum(counts / len(p) * np.abs(frac - mean)))
    return {"frac": frac.tolist(), "mean": mean.tolist(), "counts": counts.tolist(), "ece": ece}


def pixel(d):
    maps = [np.array(m, float) for m in d["maps"]]
    masks = [np.array(m, bool) for m in d["masks"]]
    allp = np.concatenate([m.ravel() for m in maps])
    allt = np.concatenate([m.ravel() for m in masks])
    auroc = skm.roc_auc_score(allt, allp)
    comps = []
    for m in masks:
        lab, n = ndimage.label(m, structure=np.ones((3, 3), int))
        comps += [lab == k for k in range(1, n + 1)]
    # Brute force: every distinct score is a threshold (score >= t is anomalous).
    ths = np.unique(allp)[::-1]
    normal = ~allt
    fprs, pros = [0.0], [0.0]
    for t in ths:
        pos = [m >= t for m in maps]
        fp = sum(np.sum(p & ~k) for p, k in zip(pos, masks))
        fprs.append(fp / normal.sum())
        pro = []
        i = 0
        for p, m in zip(pos, masks):
            lab, n = ndimage.label(m, structure=np.ones((3, 3), int))
            for k in range(1, n + 1):
                region = lab == k
                pro.append(np.sum(p & region) / region.sum())
        pros.append(float(np.mean(pro)))
    fprs, pros = np.array(fprs), np.array(pros)
    lim = 0.3
    keep = fprs <= lim
    x, y = list(fprs[keep]), list(pros[keep])
    if x[-1] < lim:
        j = np.argmax(fprs > lim)
        x0, x1, y0, y1 = fprs[j - 1], fprs[j], pros[j - 1], pros[j]
        x.append(lim)
        y.append(y0 + (lim - x0) / (x1 - x0) * (y1 - y0))
    aupro = float(np.trapz(y, x) / lim)
    return {"auroc": auroc, "aupro": aupro, "regions": len(comps)}


def coco_iou(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def coco(d):
    thrs = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
    rec_thrs = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
    cats = sorted({g["label"] for g in d["truths"]})
    images = sorted({g["image"] for g in d["truths"]} | {x["image"] for x in d["dets"]})
    ap = np.zeros((len(thrs), len(cats)))
    f1 = np.zeros(len(cats))
    for ci, c in enumerate(cats):
        dt_scores, dt_matched, npig = [], [], 0
        for img in images:
            gts = [g for g in d["truths"] if g["image"] == img and g["label"] == c]
            dts = [x for x in d["dets"] if x["image"] == img and x["label"] == c]
            order = np.argsort([-x["score"] for x in dts], kind="mergesort")
            dts = [dts[i] for i in order][:100]
            npig += len(gts)
            ious = np.array([[coco_iou(x["box"], g["box"]) for g in gts] for x in dts]).reshape(len(dts), len(gts))
            dtm = np.zeros((len(thrs), len(dts)))
            for ti, t in enumerate(thrs):
                gtm = np.zeros(len(gts))
                for di in range(len(dts)):
                    iou = min([t, 1 - 1e-10])
                    m = -1
                    for gi in range(len(gts)):
                        if gtm[gi] > 0:
                            continue
                        if ious[di, gi] < iou:
                            continue
                        iou = ious[di, gi]
                        m = gi
                    if m == -1:
                        continue
                    dtm[ti, di] = 1
                    gtm[m] = 1
            dt_scores += [x["score"] for x in dts]
            dt_matched.append(dtm)
        scores = np.array(dt_scores)
        inds = np.argsort(-scores, kind="mergesort")
        dtm = np.concatenate(dt_matched, axis=1)[:, inds] if dt_matched else np.zeros((len(thrs), 0))
        # F1 at IoU 0.5 over every kept detection of the class (matched = true positive).
        tp50 = float(np.sum(dtm[0] == 1)) if dtm.shape[1] else 0.0
        prec50 = tp50 / dtm.shape[1] if dtm.shape[1] else 0.0
        rec50 = tp50 / npig
        f1[ci] = 2 * prec50 * rec50 / (prec50 + rec50) if prec50 + rec50 else 0.0
        tps = np.cumsum(dtm == 1, axis=1).astype(float)
        fps = np.cumsum(dtm == 0, axis=1).astype(float)
        for ti in range(len(thrs)):
            tp, fp = tps[ti], fps[ti]
            rc = tp / npig
            pr = list(tp / (fp + tp + np.spacing(1)))
            q = np.zeros(len(rec_thrs))
            for i in range(len(tp) - 1, 0, -1):
                if pr[i] > pr[i - 1]:
                    pr[i - 1] = pr[i]
            idx = np.searchsorted(rc, rec_thrs, side="left")
            for ri, pi in enumerate(idx):
                if pi < len(pr):
                    q[ri] = pr[pi]
            ap[ti, ci] = np.mean(q)
    per_class = {c: {"ap50": float(ap[0, ci]), "ap": float(np.mean(ap[:, ci])), "f1_50": float(f1[ci])} for ci, c in enumerate(cats)}
    return {"ap50": float(np.mean(ap[0])), "ap": float(np.mean(ap)), "per_class": per_class}


def coco_files(d):
    """AP from files, read here: a COCO annotations file (file_name relative to it) and the
    detections.json `evaluate --out` writes (image path, category name, bbox, score)."""
    import os
    doc = json.load(open(d["annotations"]))
    base = os.path.dirname(os.path.abspath(d["annotations"]))
    names = {c["id"]: c["name"] for c in doc["categories"]}
    paths = {im["id"]: os.path.normpath(os.path.join(base, im["file_name"])) for im in doc["images"]}
    truths = [{"image": paths[a["image_id"]], "label": names[a["category_id"]], "box": a["bbox"]} for a in doc["annotations"]]
    dets = [{"image": x["image"], "label": x["category"], "box": x["bbox"], "score": x["score"]} for x in json.load(open(d["detections"]))]
    return coco({"truths": truths, "dets": dets})


def thresholds(d):
    y, s = np.array(d["y"]), np.array(d["s"], float)
    p, r, t = skm.precision_recall_curve(y, s)
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-300), 0)[:-1]
    fpr, tpr, rt = skm.roc_curve(y, s, drop_intermediate=False)
    # highest threshold with recall >= 0.9; lowest with fpr <= 0.1
    rec_t = rt[np.argmax(tpr >= 0.9)]
    fa_t = rt[fpr <= 0.1][-1]
    normals = s[y == 0]
    return {"f1": float(np.max(f1)), "f1_threshold": float(t[np.argmax(f1)]), "recall_threshold": float(rec_t),
            "fa_threshold": float(fa_t), "sigma3": float(normals.mean() + 3 * normals.std())}


doc = json.load(sys.stdin)
print(json.dumps({k: globals()[k](v) for k, v in doc.items()}))
