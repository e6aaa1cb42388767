"""Metrics with bootstrap confidence intervals, and threshold derivations.

Sample sizes for these demo packs are small (tens to hundreds of cases), so every headline
metric carries a 95 % percentile-bootstrap interval over cases.
"""
import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score, roc_curve


def binary_metrics(y, score, threshold):
    y = np.asarray(y).astype(int)
    pred = (np.asarray(score) >= threshold).astype(int)
    return {
        "f1": float(f1_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y, score)),
        "n": int(len(y)),
        "n_positive": int(y.sum()),
    }


def bootstrap_ci(y, score, threshold, n_boot=1000, seed=0):
    """95 % percentile intervals of F1/precision/recall/AUC, resampling cases with replacement."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y).astype(int)
    score = np.asarray(score)
    draws = {k: [] for k in ("f1", "precision", "recall", "roc_auc")}
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue
        m = binary_metrics(y[idx], score[idx], threshold)
        for k in draws:
            draws[k].append(m[k])
    return {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in draws.items()}


def mean_ci(values, n_boot=1000, seed=0):
    rng = np.random.default_rng(seed)
    v = np.asarray(values, dtype=float)
    means = [v[rng.integers(0, len(v), len(v))].mean() for _ in range(n_boot)]
    return float(v.mean()), [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def f1_optimal_threshold(y, score):
    """Threshold maximising F1 on labelled validation data (anomalib's F1AdaptiveThreshold rule)."""
    y = np.asarray(y).astype(int)
    score = np.asarray(score)
    best_t, best_f1 = None, -1.0
    for t in np.unique(score):
        f1 = f1_score(y, (score >= t).astype(int), zero_division=0)
        if f1 > best_f1:
            best_t, best_f1 = float(t), float(f1)
    return best_t, best_f1


def youden_threshold(y, score):
    fpr, tpr, thr = roc_curve(y, score)
    i = int(np.argmax(tpr - fpr))
    return float(thr[i])


def fmt(m, ci=None, keys=("f1", "precision", "recall", "roc_auc")):
    """One markdown table row body: value [lo, hi] per key."""
    cells = []
    for k in keys:
        if ci and k in ci:
            cells.append(f"{m[k]:.3f} [{ci[k][0]:.3f}, {ci[k][1]:.3f}]")
        else:
            cells.append(f"{m[k]:.3f}")
    return " | ".join(cells)
