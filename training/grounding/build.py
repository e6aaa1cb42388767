"""Builds the demo grounding pack's public folder: trains the stand-in on DeepPCB, evaluates it
against a template-difference baseline, exports both ONNX contracts, writes the HF layout.

  nice -n 10 /usr/bin/python3 training/grounding/build.py training/configs/pcb-defects-grounding.yaml [--reuse-weights]

Output: training/work/<pack>/hf/ (config.json, preprocessor_config.json, tokenizer.json,
tokenizer_config.json, vocab.txt, onnx/model.onnx, onnx/model_fp16.onnx), idea/model.onnx (the
IDEA-Research contract of the same weights), results.json (metrics), reference.json (PyTorch
outputs on the sample images for the onnxruntime-vs-PyTorch test).
"""
import argparse
import json
import random
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.common import REPO, load_config, limit_threads, require_data, save_json, seed_everything, work_dir  # noqa: E402
from bert_vocab import WordPiece, convert, fetch_vocab_json, write_tokenizer_files  # noqa: E402
from net import STRIDE, GroundingStandIn, HFExport, IDEAExport, phrase_blocks  # noqa: E402
from evaluate import average_precision, baseline_boxes, postprocess, nms  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
SAMPLES = ["group20085/20085/20085291", "group44000/44000/44000011", "group92000/92000/92000111"]


def read_split(root, name):
    items = []
    for line in (root / name).read_text().split("\n"):
        if not line.strip():
            continue
        img, ann = line.split()
        stem = img[: -len(".jpg")]
        boxes = []
        for row in (root / ann).read_text().split("\n"):
            vals = row.replace(",", " ").split()
            if len(vals) == 5:
                boxes.append([float(v) for v in vals])
        items.append({"stem": stem, "test": root / f"{stem}_test.jpg", "temp": root / f"{stem}_temp.jpg", "boxes": np.array(boxes, np.float32).reshape(-1, 5)})
    return items


def to_tensor(gray):
    rgb = np.repeat(gray[:, :, None], 3, axis=2).astype(np.float32) / 255.0
    return torch.from_numpy(((rgb - MEAN) / STD).transpose(2, 0, 1).copy())


def caption(cfg, rng, vocab_words):
    """A training caption: some of the class phrases and some distractors, shuffled."""
    phrases = cfg["data"]["phrases"]
    classes = list(phrases.keys())
    chosen = classes[:] if rng.random() < 0.5 else rng.sample(classes, rng.randint(1, len(classes)))
    extra = rng.sample(cfg["data"]["distractors"], rng.randint(0, 3)) + rng.sample(vocab_words, rng.randint(0, cfg["data"]["random_vocab_words"]))
    parts = [(c, phrases[c]) for c in chosen] + [(None, d) for d in extra]
    rng.shuffle(parts)
    return parts


def encode_parts(tok, parts):
    """Token ids of `a . b .` and, per class, the token indices of its phrase."""
    ids, spans = [101], {}
    for cls, text in parts:
        piece = tok.encode(text)[1:-1]
        if cls is not None:
            spans[cls] = list(range(len(ids), len(ids) + len(piece)))
        ids.extend(piece)
        ids.append(1012)
    ids.append(102)
    return ids, spans


def targets(boxes, h, w, radius):
    """FCOS centre sampling on the stride-8 grid: per location the index of its box (or -1)."""
    gh, gw = h // STRIDE, w // STRIDE
    ys = (np.arange(gh) + 0.5) * STRIDE
    xs = (np.arange(gw) + 0.5) * STRIDE
    cx, cy = np.meshgrid(xs, ys)
    assign = -np.ones((gh, gw), np.int64)
    best_area = np.full((gh, gw), np.inf)
    for i, (x1, y1, x2, y2, _) in enumerate(boxes):
        bx, by = (x1 + x2) / 2, (y1 + y2) / 2
        inside = (cx > x1) & (cx < x2) & (cy > y1) & (cy < y2) & (np.abs(cx - bx) <= radius) & (np.abs(cy - by) <= radius)
        if not inside.any():  # a tiny box still gets its nearest location
            j = int(np.clip(by // STRIDE, 0, gh - 1)), int(np.clip(bx // STRIDE, 0, gw - 1))
            inside = np.zeros_like(inside)
            inside[j] = True
        area = (x2 - x1) * (y2 - y1)
        take = inside & (area < best_area)
        assign[take] = i
        best_area[take] = area
    return assign.reshape(-1)


def giou_loss(p, t):
    ix1, iy1 = torch.max(p[:, 0], t[:, 0]), torch.max(p[:, 1], t[:, 1])
    ix2, iy2 = torch.min(p[:, 2], t[:, 2]), torch.min(p[:, 3], t[:, 3])
    inter = (ix2 - ix1).clamp(min=0) * (iy2 - iy1).clamp(min=0)
    ap = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1])
    at = (t[:, 2] - t[:, 0]) * (t[:, 3] - t[:, 1])
    union = ap + at - inter
    iou = inter / union.clamp(min=1e-6)
    cx1, cy1 = torch.min(p[:, 0], t[:, 0]), torch.min(p[:, 1], t[:, 1])
    cx2, cy2 = torch.max(p[:, 2], t[:, 2]), torch.max(p[:, 3], t[:, 3])
    hull = (cx2 - cx1) * (cy2 - cy1)
    return (1 - iou + (hull - union) / hull.clamp(min=1e-6)).mean()


def batch_inputs(ids):
    t = torch.tensor([ids], dtype=torch.long)
    return t, torch.ones_like(t), torch.zeros_like(t)


def train(cfg, net, items, tok, vocab_words):
    tc = cfg["train"]
    c0 = time.process_time()
    rng = random.Random(cfg["seed"])
    opt = torch.optim.AdamW(net.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    iters = tc["iterations"]
    images = [cv2.imread(str(it["test"]), cv2.IMREAD_GRAYSCALE) for it in items]
    crop, bs = tc["crop"], tc["batch"]
    t0 = time.time()
    log = []
    net.train()
    done = 0
    budget = tc["max_minutes"] * 60
    cpu_budget = tc.get("max_cpu_minutes", 1e9) * 60
    for step in range(iters):
        # Cosine schedule over whichever runs out first, the steps or the CPU-time budget, so a
        # slower (shared) machine still anneals instead of stopping at full learning rate.
        progress = max(step / iters, (time.time() - t0) / budget, (time.process_time() - c0) / cpu_budget)
        if progress >= 1:
            print(f"budget reached at step {step}", flush=True)
            break
        warm = min(1.0, (step + 1) / 100)
        for g in opt.param_groups:
            g["lr"] = tc["lr"] * warm * 0.5 * (1 + np.cos(np.pi * progress))
        parts = caption(cfg, rng, vocab_words)
        ids, spans = encode_parts(tok, parts)
        input_ids, att, typ = batch_inputs(ids)
        mask, pos = phrase_blocks(input_ids)
        xs, assigns, gts = [], [], []
        for _ in range(bs):
            k = rng.randrange(len(items))
            img, boxes = images[k], items[k]["boxes"].copy()
            y0, x0 = rng.randrange(img.shape[0] - crop + 1), rng.randrange(img.shape[1] - crop + 1)
            patch = img[y0 : y0 + crop, x0 : x0 + crop]
            b = boxes.copy()
            b[:, [0, 2]] -= x0
            b[:, [1, 3]] -= y0
            b[:, :4] = np.clip(b[:, :4], 0, crop)
            keep = ((b[:, 2] - b[:, 0]) >= 4) & ((b[:, 3] - b[:, 1]) >= 4)
            b = b[keep]
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
                b[:, [0, 2]] = crop - b[:, [2, 0]]
            if rng.random() < 0.5:
                patch = patch[::-1, :]
                b[:, [1, 3]] = crop - b[:, [3, 1]]
            xs.append(to_tensor(np.ascontiguousarray(patch)))
            assigns.append(targets(b, crop, crop, tc["center_radius_px"]))
            gts.append(b)
        x = torch.stack(xs)
        logits, boxes = net.dense(x, input_ids.expand(bs, -1), att.expand(bs, -1), typ.expand(bs, -1), pos.expand(bs, -1), mask.expand(bs, -1, -1))
        L = len(ids)
        target = torch.zeros(bs, logits.shape[1], L)
        pos_pred, pos_gt = [], []
        for i in range(bs):
            a = assigns[i]
            for loc in np.nonzero(a >= 0)[0]:
                bx = gts[i][a[loc]]
                cls = int(bx[4])
                if cls in spans:
                    target[i, loc, spans[cls]] = 1.0
                pos_pred.append((i, loc))
                pos_gt.append(bx[:4])
        p = torch.sigmoid(logits)
        ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        pt = p * target + (1 - p) * (1 - target)
        alpha = tc["focal_alpha"] * target + (1 - tc["focal_alpha"]) * (1 - target)
        n_pos = max(1, len(pos_pred))
        focal = (alpha * ce * (1 - pt) ** tc["focal_gamma"]).sum() / n_pos
        if pos_pred:
            ii = torch.tensor([q[0] for q in pos_pred])
            ll = torch.tensor([q[1] for q in pos_pred])
            pb = boxes[ii, ll] * crop  # normalised cx cy w h -> pixels
            pxy = torch.stack([pb[:, 0] - pb[:, 2] / 2, pb[:, 1] - pb[:, 3] / 2, pb[:, 0] + pb[:, 2] / 2, pb[:, 1] + pb[:, 3] / 2], 1)
            gl = giou_loss(pxy, torch.tensor(np.array(pos_gt)))
        else:
            gl = torch.zeros(())
        loss = focal + tc["giou_weight"] * gl
        opt.zero_grad()
        loss.backward()
        opt.step()
        done = step + 1
        if step % 50 == 0:
            line = f"step {step} loss {loss.item():.3f} focal {focal.item():.3f} giou {gl.item():.3f} {time.time() - t0:.0f}s"
            print(line, flush=True)
            log.append(line)
    return {"iterations": done, "seconds": time.time() - t0, "cpu_seconds": time.process_time() - c0, "log": log}


@torch.no_grad()
def predict(cfg, net, gray, ids, box_t, text_t, spans_by_label):
    x = to_tensor(gray)[None]
    input_ids, att, typ = batch_inputs(ids)
    logits, boxes = HFExport(net)(x, input_ids, att, typ, torch.ones(1, gray.shape[0], gray.shape[1], dtype=torch.long))
    return postprocess(logits[0].numpy(), boxes[0].numpy(), spans_by_label, gray.shape[1], gray.shape[0], box_t, text_t, cfg["eval"]["nms_iou"])


def evaluate(cfg, net, items, tok):
    phrases = cfg["data"]["phrases"]
    parts = [(c, phrases[c]) for c in sorted(phrases)]
    ids, spans = encode_parts(tok, parts)
    spans_by_label = {phrases[c]: spans[c] for c in spans}
    net.eval()
    preds, gts = {}, {}
    base = []
    for it in items:
        gray = cv2.imread(str(it["test"]), cv2.IMREAD_GRAYSCALE)
        preds[it["stem"]] = predict(cfg, net, gray, ids, cfg["eval"]["box_threshold"], cfg["eval"]["text_threshold"], spans_by_label)
        gts[it["stem"]] = [{"label": phrases[int(b[4])], "box": b[:4].tolist()} for b in it["boxes"]]
        temp = cv2.imread(str(it["temp"]), cv2.IMREAD_GRAYSCALE)
        base.append((it["stem"], baseline_boxes(gray, temp)))
    per_class = {}
    for c in sorted(phrases):
        lab = phrases[c]
        per_class[lab] = {
            "ap50": average_precision(preds, gts, lab, [0.5]),
            "ap50_95": average_precision(preds, gts, lab, [0.5 + 0.05 * k for k in range(10)]),
            "n_gt": sum(1 for g in gts.values() for b in g if b["label"] == lab),
        }
    agn_pred = {s: [{**d, "label": "defect"} for d in p] for s, p in preds.items()}
    agn_gt = {s: [{**b, "label": "defect"} for b in g] for s, g in gts.items()}
    base_pred = {s: [{"label": "defect", "score": sc, "box": bx} for bx, sc in b] for s, b in base}
    return {
        "caption_ids": ids,
        "per_class": per_class,
        "map50": float(np.mean([v["ap50"] for v in per_class.values()])),
        "map50_95": float(np.mean([v["ap50_95"] for v in per_class.values()])),
        "class_agnostic_ap50": average_precision(agn_pred, agn_gt, "defect", [0.5]),
        "baseline_class_agnostic_ap50": average_precision(base_pred, agn_gt, "defect", [0.5]),
        "n_images": len(items),
    }, preds


def export(cfg, net, out_hf, out_idea, sample_gray):
    (out_hf / "onnx").mkdir(parents=True, exist_ok=True)
    out_idea.mkdir(parents=True, exist_ok=True)
    net.eval()
    x = to_tensor(sample_gray)[None]
    ids = torch.tensor([[101, 2330, 4984, 1012, 2460, 1012, 102]])
    att, typ = torch.ones_like(ids), torch.zeros_like(ids)
    pm = torch.ones(1, x.shape[2], x.shape[3], dtype=torch.long)
    dyn_text = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        HFExport(net), (x, ids, att, typ, pm), str(out_hf / "onnx" / "model.onnx"), opset_version=17,
        input_names=["pixel_values", "input_ids", "attention_mask", "token_type_ids", "pixel_mask"],
        output_names=["logits", "pred_boxes"],
        dynamic_axes={"pixel_values": {0: "batch", 2: "height", 3: "width"}, "input_ids": dyn_text, "attention_mask": dyn_text, "token_type_ids": dyn_text,
                      "pixel_mask": {0: "batch", 1: "height", 2: "width"}, "logits": {0: "batch"}, "pred_boxes": {0: "batch"}},
    )
    mask, pos = phrase_blocks(ids)
    torch.onnx.export(
        IDEAExport(net), (x, ids, att, pos, typ, mask), str(out_idea / "model.onnx"), opset_version=17,
        input_names=["img", "input_ids", "attention_mask", "position_ids", "token_type_ids", "text_token_mask"],
        output_names=["logits", "boxes"],
        dynamic_axes={"img": {0: "batch", 2: "height", 3: "width"}, "input_ids": dyn_text, "attention_mask": dyn_text, "token_type_ids": dyn_text,
                      "position_ids": dyn_text, "text_token_mask": {0: "batch", 1: "sequence", 2: "sequence"}, "logits": {0: "batch"}, "boxes": {0: "batch"}},
    )
    import onnx
    from onnx import numpy_helper

    for p in [out_hf / "onnx" / "model.onnx", out_idea / "model.onnx"]:
        onnx.checker.check_model(onnx.load(str(p)))
    # fp16 weights variant (graph computes in float32: initialisers cast back on load).
    m = onnx.load(str(out_hf / "onnx" / "model.onnx"))
    graph = m.graph
    casts = []
    for init in list(graph.initializer):
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= 256:
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16")
            graph.initializer.remove(init)
            graph.initializer.append(half)
            casts.append(onnx.helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=onnx.TensorProto.FLOAT))
    for i, node in enumerate(casts):
        graph.node.insert(i, node)
    onnx.checker.check_model(m)
    onnx.save(m, str(out_hf / "onnx" / "model_fp16.onnx"))


def write_hf_configs(cfg, out):
    mc = cfg["model"]
    h, w = mc["image_hw"]
    json.dump(
        {
            "model_type": "grounding-dino",
            "architectures": ["GroundingDinoForObjectDetection"],
            "num_queries": mc["queries"],
            "max_text_len": mc["max_text_len"],
            "d_model": mc["embed"],
            "text_config": {"model_type": "bert", "vocab_size": 30522},
            "inspector_stand_in": "closed-vocabulary demo model with Grounding DINO's ONNX interface (training/grounding)",
        },
        open(out / "config.json", "w"), indent=2,
    )
    json.dump(
        {
            "image_processor_type": "GroundingDinoImageProcessor",
            "processor_class": "GroundingDinoProcessor",
            "do_resize": True,
            "size": {"height": h, "width": w},
            "resample": 2,
            "do_rescale": True,
            "rescale_factor": 1 / 255,
            "do_normalize": True,
            "image_mean": MEAN.tolist(),
            "image_std": STD.tolist(),
            "do_pad": True,
        },
        open(out / "preprocessor_config.json", "w"), indent=2,
    )


@torch.no_grad()
def reference(cfg, net, tok, root):
    """PyTorch eager outputs on the sample images: the onnxruntime conformance fixture."""
    phrases = cfg["data"]["phrases"]
    prompts = [" . ".join(phrases[c] for c in sorted(phrases)) + " .", "short . scratch . pin hole ."]
    # torch.onnx.export restores its (training-mode) wrapper afterwards, which puts net back in
    # training mode: evaluation mode again, or BatchNorm would use batch statistics.
    net.eval()
    out = []
    for stem in SAMPLES:
        gray = cv2.imread(str(root / f"{stem}_test.jpg"), cv2.IMREAD_GRAYSCALE)
        for prompt in prompts:
            ids = tok.encode(prompt)
            input_ids, att, typ = batch_inputs(ids)
            logits, boxes = HFExport(net).eval()(to_tensor(gray)[None], input_ids, att, typ, torch.ones(1, *gray.shape, dtype=torch.long))
            lg = logits[0, :, : len(ids)].numpy()
            best = lg.max(axis=1)
            order = np.argsort(-best)[:100]
            out.append({
                "image": f"{Path(stem).name}_test.jpg", "prompt": prompt, "input_ids": ids,
                "queries": [{"logits": [round(float(v), 5) for v in lg[q]], "box": [round(float(v), 6) for v in boxes[0, q].numpy()]} for q in order],
            })
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--reuse-weights", action="store_true")
    ap.add_argument("--init", help="warm start: continue training from these weights (a model.pt)")
    ap.add_argument("--reference-only", action="store_true", help="only rewrite reference.json from the saved weights")
    args = ap.parse_args()
    cfg = load_config(args.config)
    seed_everything(cfg["seed"])
    limit_threads(cfg["threads"])
    root = require_data(cfg["data"]["root"])
    work = work_dir(cfg["pack"])
    vocab = convert(json.load(open(fetch_vocab_json(work))))
    tok = WordPiece(vocab)
    vocab_words = [t for t in vocab[1996:] if t.isalpha() and not t.startswith("##")]
    phrase_words = {w for p in list(cfg["data"]["phrases"].values()) for w in p.split()}
    vocab_words = [w for w in vocab_words if w not in phrase_words]

    train_items = read_split(root, "train.txt")
    test_items = read_split(root, "test.txt")
    mc = cfg["model"]
    net = GroundingStandIn(mc["width"], tuple(mc["dilations"]), mc["embed"], mc["token_dim"], mc["queries"], mc["max_text_len"])
    weights = work / "model.pt"
    if args.reference_only:
        net.load_state_dict(torch.load(weights)["net"])
        save_json(work / "reference.json", {"queries": mc["queries"], "cases": reference(cfg, net, tok, root)})
        return
    if args.reuse_weights and weights.exists():
        state = torch.load(weights)
        net.load_state_dict(state["net"])
        train_info = state["train"]
    else:
        before = []
        if args.init:
            state = torch.load(args.init)
            net.load_state_dict(state["net"])
            before = state["train"].get("sessions", [{k: v for k, v in state["train"].items() if k != "log"}])
            seed_everything(cfg["seed"] + len(before))
        train_info = train(cfg, net, train_items, tok, vocab_words)
        train_info["sessions"] = before + [{k: v for k, v in train_info.items() if k != "log"}]
        torch.save({"net": net.state_dict(), "train": train_info}, weights)
    metrics, preds = evaluate(cfg, net, test_items, tok)
    hf = work / "hf"
    hf.mkdir(exist_ok=True)
    write_tokenizer_files(vocab, hf)
    write_hf_configs(cfg, hf)
    export(cfg, net, hf, work / "idea", cv2.imread(str(test_items[0]["test"]), cv2.IMREAD_GRAYSCALE))
    save_json(work / "reference.json", {"queries": mc["queries"], "cases": reference(cfg, net, tok, root)})
    params = sum(p.numel() for p in net.parameters())
    results = {
        "pack": cfg["pack"],
        "config": cfg["_config_path"],
        "params": params,
        "train": {k: v for k, v in train_info.items() if k != "log"},
        "eval": {**metrics, "box_threshold": cfg["eval"]["box_threshold"], "text_threshold": cfg["eval"]["text_threshold"], "nms_iou": cfg["eval"]["nms_iou"]},
        "prompt": " . ".join(cfg["data"]["phrases"][c] for c in sorted(cfg["data"]["phrases"])) + " .",
    }
    save_json(work / "results.json", results)
    print(json.dumps({k: v for k, v in results["eval"].items() if k != "caption_ids"}, indent=1))


if __name__ == "__main__":
    main()
