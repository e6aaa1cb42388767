"""Post-processing (as the app does it, src/core/grounding/postprocess.ts), AP, and the baseline."""
import cv2
import numpy as np


def sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def nms(dets, thr):
    """Greedy per-label NMS, highest score first (numpy IoU against the kept boxes)."""
    order = sorted(range(len(dets)), key=lambda i: -dets[i]["score"])
    keep = []
    kept_boxes = {}
    for i in order:
        d = dets[i]
        kb = kept_boxes.get(d["label"])
        if kb is not None and len(kb):
            a = np.array(kb)
            b = d["box"]
            ix = np.clip(np.minimum(a[:, 2], b[2]) - np.maximum(a[:, 0], b[0]), 0, None)
            iy = np.clip(np.minimum(a[:, 3], b[3]) - np.maximum(a[:, 1], b[1]), 0, None)
            inter = ix * iy
            union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            ious = np.where(union > 0, inter / np.where(union > 0, union, 1), 0)
            if (ious > thr).any():
                continue
        keep.append(d)
        kept_boxes.setdefault(d["label"], []).append(d["box"])
    return keep


def postprocess(logits, boxes, spans_by_label, width, height, box_t, text_t, nms_iou):
    """Per query: the phrase whose best token is most probable is the label, that probability the
    score; kept when above box_t and text_t; cx,cy,w,h -> pixel x1,y1,x2,y2 clipped; per-label NMS."""
    prob = sigmoid(logits)
    labels = list(spans_by_label)
    per = np.stack([prob[:, spans_by_label[l]].max(axis=1) for l in labels], axis=1)
    best = per.argmax(axis=1)
    score = per[np.arange(len(best)), best]
    dets = []
    for q in np.nonzero((score > box_t) & (score > text_t))[0]:
        cx, cy, w, h = boxes[q]
        x1 = float(np.clip((cx - w / 2) * width, 0, width))
        y1 = float(np.clip((cy - h / 2) * height, 0, height))
        x2 = float(np.clip((cx + w / 2) * width, 0, width))
        y2 = float(np.clip((cy + h / 2) * height, 0, height))
        dets.append({"label": labels[best[q]], "score": float(score[q]), "box": [x1, y1, x2, y2]})
    return nms(dets, nms_iou) if nms_iou else dets


def average_precision(preds, gts, label, thresholds):
    """VOC all-point AP for one label, averaged over IoU thresholds; greedy matching by score."""
    aps = []
    n_gt = sum(1 for g in gts.values() for b in g if b["label"] == label)
    if n_gt == 0:
        return 0.0
    for t in thresholds:
        dets = sorted(((s, d) for s, ds in preds.items() for d in ds if d["label"] == label), key=lambda x: -x[1]["score"])
        used = {s: [False] * len(g) for s, g in gts.items()}
        tp = []
        for s, d in dets:
            best, bi = t, -1
            for i, g in enumerate(gts.get(s, [])):
                if g["label"] != label or used[s][i]:
                    continue
                o = iou(d["box"], g["box"])
                if o >= best:
                    best, bi = o, i
            if bi >= 0:
                used[s][bi] = True
            tp.append(1 if bi >= 0 else 0)
        tp = np.array(tp, np.float64)
        ctp = np.cumsum(tp)
        recall = ctp / n_gt
        precision = ctp / np.arange(1, len(tp) + 1)
        mrec = np.concatenate([[0.0], recall, [1.0]])
        mpre = np.concatenate([[0.0], precision, [0.0]])
        for i in range(len(mpre) - 2, -1, -1):
            mpre[i] = max(mpre[i], mpre[i + 1])
        idx = np.nonzero(mrec[1:] != mrec[:-1])[0]
        aps.append(float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1])))
    return float(np.mean(aps))


def baseline_boxes(test, temp, min_area=20):
    """DeepPCB's reference idea: template difference + connected components (class-agnostic).
    Score: the component's count of differing pixels (bigger change ranks first)."""
    diff = (cv2.absdiff(test, temp) > 127).astype(np.uint8)
    diff = cv2.morphologyEx(diff, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    grown = cv2.dilate(diff, np.ones((9, 9), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(grown)
    changed_per = np.bincount(lab[diff > 0].ravel(), minlength=n)
    out = []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        changed = int(changed_per[i])
        if changed < min_area:
            continue
        out.append(([float(x), float(y), float(x + w), float(y + h)], float(changed)))
    return out
