"""Builds the demo grounding pack's public folder: trains the stand-in on DeepPCB, evaluates it
against a template-difference baseline, exports both ONNX contracts, writes the HF layout.

  nice -n 10 /usr/bin/python3 training/grounding/build.py training/configs/defects-grounding.yaml [--reuse-weights]

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
import yaml
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.common import WORK, REPO, load_config, limit_threads, require_data, save_json, seed_everything, work_dir  # noqa: E402
from bert_vocab import WordPiece, convert, fetch_vocab_json, write_tokenizer_files  # noqa: E402
from net import STRIDE, GroundingStandIn, HFExport, IDEAExport, phrase_blocks  # noqa: E402
from evaluate import average_precision, postprocess  # noqa: E402
from domains import battery_views, bsdata, input_image, read_deeppcb  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
WORK_CKPT = None
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


def to_tensor(img8):
    """8-bit grey (H, W) or RGB (H, W, 3) at input size -> normalised CHW float32."""
    rgb = img8 if img8.ndim == 3 else np.repeat(img8[:, :, None], 3, axis=2)
    rgb = rgb.astype(np.float32) / 255.0
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


def random_crop(rng, img, boxes, crop, tc):
    """A crop x crop window of an input-size image, flips, and (grey domains) gain/offset jitter."""
    H, W = img.shape[:2]
    # Half the crops are centred near a box, so the rare small defects are seen often enough.
    if len(boxes) and rng.random() < tc["box_centred_crops"]:
        b = boxes[rng.randrange(len(boxes))]
        cx, cy = (b[0] + b[2]) / 2 + rng.uniform(-crop / 3, crop / 3), (b[1] + b[3]) / 2 + rng.uniform(-crop / 3, crop / 3)
        x0 = int(np.clip(cx - crop / 2, 0, W - crop))
        y0 = int(np.clip(cy - crop / 2, 0, H - crop))
    else:
        y0, x0 = rng.randrange(H - crop + 1), rng.randrange(W - crop + 1)
    patch = img[y0 : y0 + crop, x0 : x0 + crop]
    b = boxes.copy()
    b[:, [0, 2]] -= x0
    b[:, [1, 3]] -= y0
    b[:, :4] = np.clip(b[:, :4], 0, crop)
    keep = ((b[:, 2] - b[:, 0]) >= 3) & ((b[:, 3] - b[:, 1]) >= 3)
    b = b[keep]
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
        b[:, [0, 2]] = crop - b[:, [2, 0]]
    if rng.random() < 0.5:
        patch = patch[::-1, :]
        b[:, [1, 3]] = crop - b[:, [3, 1]]
    patch = np.ascontiguousarray(patch)
    if tc["jitter"] and rng.random() < 0.5:
        g, o = rng.uniform(0.85, 1.15), rng.uniform(-12, 12)
        patch = np.clip(patch.astype(np.float32) * g + o, 0, 255).astype(np.uint8)
    return patch, b


def train(cfg, net, pools, tok, vocab_words):
    """pools: domain -> items with input-size images (item["x"]) and boxes at input size."""
    tc = cfg["train"]
    c0 = time.process_time()
    rng = random.Random(cfg["seed"])
    opt = torch.optim.AdamW(net.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    iters = tc["iterations"]
    crop = tc["crop"]
    per_domain = tc["batch_per_domain"]
    t0 = time.time()
    log = []
    net.train()
    done = 0
    # train.max_minutes null (or absent) = step-bounded: the cosine schedule depends on the step
    # count only, so the same config gives the same weights on a loaded or a quiet machine, and
    # train.abort_after_minutes only aborts a run that cannot finish (no weights written). With
    # max_minutes set (0.2's recipe) the schedule ends at whichever of steps / wall / CPU runs out
    # first, so a busier machine trains fewer steps.
    step_bounded = tc.get("max_minutes") is None
    budget = (tc.get("max_minutes") or 1e9) * 60
    cpu_budget = tc.get("max_cpu_minutes", 1e9) * 60
    abort_after = tc.get("abort_after_minutes", 1e9) * 60
    for step in range(iters):
        progress = max(step / iters, (time.time() - t0) / budget, (time.process_time() - c0) / cpu_budget)
        if progress >= 1:
            print(f"budget reached at step {step}", flush=True)
            break
        if step_bounded and time.time() - t0 > abort_after:
            raise SystemExit(f"aborted at step {step}: over train.abort_after_minutes ({tc['abort_after_minutes']} min); no weights written")
        warm = min(1.0, (step + 1) / 100)
        for g in opt.param_groups:
            g["lr"] = tc["lr"] * warm * 0.5 * (1 + np.cos(np.pi * progress))
        parts = caption(cfg, rng, vocab_words)
        ids, spans = encode_parts(tok, parts)
        input_ids, att, typ = batch_inputs(ids)
        mask, pos = phrase_blocks(input_ids)
        xs, assigns, gts = [], [], []
        for domain, n in per_domain.items():
            pool = pools[domain]
            for _ in range(n):
                it = pool[rng.randrange(len(pool))]
                patch, b = random_crop(rng, it["x"], it["boxes"], crop, {**tc, "jitter": domain != "pcb"})
                xs.append(to_tensor(patch))
                assigns.append(targets(b, crop, crop, tc["center_radius_px"]))
                gts.append(b)
        bs = len(xs)
        x = torch.stack(xs)
        logits, boxes = net.dense(x, input_ids.expand(bs, -1), att.expand(bs, -1), typ.expand(bs, -1), pos.expand(bs, -1), mask.expand(bs, -1, -1))
        L = len(ids)
        target = torch.zeros(bs, logits.shape[1], L)
        pi, pl, pg = [], [], []
        for i in range(bs):
            locs = np.nonzero(assigns[i] >= 0)[0]
            if not len(locs):
                continue
            bx = gts[i][assigns[i][locs]]
            for cls in np.unique(bx[:, 4]).astype(int):
                if cls in spans:
                    sel = locs[bx[:, 4] == cls]
                    target[i, torch.from_numpy(sel)[:, None], torch.tensor(spans[cls])[None, :]] = 1.0
            pi.append(np.full(len(locs), i))
            pl.append(locs)
            pg.append(bx[:, :4])
        p = torch.sigmoid(logits)
        ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        pt = p * target + (1 - p) * (1 - target)
        alpha = tc["focal_alpha"] * target + (1 - tc["focal_alpha"]) * (1 - target)
        n_pos = max(1, sum(len(v) for v in pl))
        focal = (alpha * ce * (1 - pt) ** tc["focal_gamma"]).sum() / n_pos
        if pl:
            ii = torch.from_numpy(np.concatenate(pi))
            ll = torch.from_numpy(np.concatenate(pl))
            pb = boxes[ii, ll] * crop  # normalised cx cy w h -> pixels
            pxy = torch.stack([pb[:, 0] - pb[:, 2] / 2, pb[:, 1] - pb[:, 3] / 2, pb[:, 0] + pb[:, 2] / 2, pb[:, 1] + pb[:, 3] / 2], 1)
            gl = giou_loss(pxy, torch.from_numpy(np.concatenate(pg)))
        else:
            gl = torch.zeros(())
        loss = focal + tc["giou_weight"] * gl
        opt.zero_grad()
        loss.backward()
        opt.step()
        done = step + 1
        if step % 50 == 0:
            line = f"step {step} loss {loss.item():.3f} focal {focal.item():.3f} giou {gl.item():.3f} lr {opt.param_groups[0]['lr']:.5f} {time.time() - t0:.0f}s"
            print(line, flush=True)
            log.append(line)
        if tc.get("checkpoint_every") and step and step % tc["checkpoint_every"] == 0:
            torch.save({"net": net.state_dict(), "train": {"iterations": step}}, WORK_CKPT)
    return {"iterations": done, "seconds": time.time() - t0, "cpu_seconds": time.process_time() - c0, "log": log}


def prompt_parts(cfg):
    phrases = cfg["data"]["phrases"]
    return [(c, phrases[c]) for c in sorted(phrases)]


def full_prompt(cfg):
    return " . ".join(t for _, t in prompt_parts(cfg)) + " ."


@torch.no_grad()
def predict(cfg, net, img_in, orig_hw, ids, box_t, text_t, spans_by_label):
    x = to_tensor(img_in)[None]
    input_ids, att, typ = batch_inputs(ids)
    logits, boxes = HFExport(net)(x, input_ids, att, typ, torch.ones(1, img_in.shape[0], img_in.shape[1], dtype=torch.long))
    return postprocess(logits[0].numpy(), boxes[0].numpy(), spans_by_label, orig_hw[1], orig_hw[0], box_t, text_t, cfg["eval"]["nms_iou"])


def evaluate(cfg, net, sets, tok):
    """Per domain: the held-out images with the pack's full prompt (all eight phrases); each class
    scored on its own domain's images (original pixels); other domains' phrases firing counted."""
    phrases = cfg["data"]["phrases"]
    ids, spans = encode_parts(tok, prompt_parts(cfg))
    spans_by_label = {phrases[c]: spans[c] for c in spans}
    hw = cfg["model"]["image_hw"]
    net.eval()
    out = {"caption_ids": ids, "domains": {}}
    all_preds = {}
    for domain, items in sets.items():
        classes = [c for c in sorted(phrases) if cfg["data"]["domain_of"][c] == domain]
        preds, gts = {}, {}
        for it in items:
            preds[it["name"]] = predict(cfg, net, input_image(it, hw), it["orig_hw"], ids, cfg["eval"]["box_threshold"], cfg["eval"]["text_threshold"], spans_by_label)
            gts[it["name"]] = [{"label": phrases[int(b[4])], "box": b[:4].tolist()} for b in it["boxes_orig"]]
        per_class = {}
        for c in classes:
            lab = phrases[c]
            per_class[lab] = {
                "ap50": average_precision(preds, gts, lab, [0.5]),
                "ap50_95": average_precision(preds, gts, lab, [0.5 + 0.05 * k for k in range(10)]),
                "n_gt": sum(1 for g in gts.values() for b in g if b["label"] == lab),
            }
        own = {phrases[c] for c in classes}
        foreign = sum(1 for p in preds.values() for d in p if d["label"] not in own and d["score"] > cfg["eval"]["default_box_threshold"])
        agn_pred = {s: [{**d, "label": "defect"} for d in p if d["label"] in own] for s, p in preds.items()}
        agn_gt = {s: [{**b, "label": "defect"} for b in g] for s, g in gts.items()}
        out["domains"][domain] = {
            "n_images": len(items),
            "n_images_with_boxes": sum(1 for it in items if len(it["boxes_orig"])),
            "per_class": per_class,
            "map50": float(np.mean([v["ap50"] for v in per_class.values()])),
            "map50_95": float(np.mean([v["ap50_95"] for v in per_class.values()])),
            "class_agnostic_ap50": average_precision(agn_pred, agn_gt, "defect", [0.5]),
            "class_agnostic_ap50_95": average_precision(agn_pred, agn_gt, "defect", [0.5 + 0.05 * k for k in range(10)]),
            "foreign_boxes_above_default_threshold": foreign,
        }
        print(domain, json.dumps(out["domains"][domain]), flush=True)
        all_preds[domain] = preds
    return out, all_preds


def export(cfg, net, out_hf, out_idea, sample_img):
    (out_hf / "onnx").mkdir(parents=True, exist_ok=True)
    out_idea.mkdir(parents=True, exist_ok=True)
    net.eval()
    x = to_tensor(sample_img)[None]
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
def reference(cfg, net, tok, samples):
    """PyTorch eager outputs on the sample images: the onnxruntime conformance fixture.
    samples: (repo-relative path, input-size image) pairs, read as the app reads those files."""
    prompts = [full_prompt(cfg), "short . scratch . pin hole .", "porosity . crack .", "pitting . rust ."]
    # torch.onnx.export restores its (training-mode) wrapper afterwards, which puts net back in
    # training mode: evaluation mode again, or BatchNorm would use batch statistics.
    net.eval()
    out = []
    for rel, img in samples:
        for prompt in prompts:
            ids = tok.encode(prompt)
            input_ids, att, typ = batch_inputs(ids)
            logits, boxes = HFExport(net).eval()(to_tensor(img)[None], input_ids, att, typ, torch.ones(1, *img.shape[:2], dtype=torch.long))
            lg = logits[0, :, : len(ids)].numpy()
            best = lg.max(axis=1)
            order = np.argsort(-best)[:100]
            out.append({
                "image": rel, "prompt": prompt, "input_ids": ids,
                "queries": [{"logits": [round(float(v), 5) for v in lg[q]], "box": [round(float(v), 6) for v in boxes[0, q].numpy()]} for q in order],
            })
    return out


def load_sets(cfg):
    hw = tuple(cfg["model"]["image_hw"])
    d = cfg["data"]
    rng = np.random.default_rng(cfg["seed"])
    train = {"pcb": read_deeppcb("train.txt", hw), "ct": battery_views("train", d["ct_train_views"], cfg, hw), "surface": bsdata("train", cfg, hw, rng)}
    test = {"pcb": read_deeppcb("test.txt", hw), "ct": battery_views("test", d["ct_test_views"], cfg, hw), "surface": bsdata("test", cfg, hw, rng)}
    if cfg.get("smoke"):  # a quick end-to-end check of the build (a config override, never shipped)
        train = {k: v[: cfg["smoke"]] + [i for i in v if len(i["boxes"])][: cfg["smoke"]] for k, v in train.items()}
        test = {k: v[: cfg["smoke"]] + [i for i in v if len(i["boxes"])][: cfg["smoke"]] for k, v in test.items()}
    for dom, items in train.items():
        for it in items:
            it["x"] = input_image(it, hw)
    for dom in train:
        print(f"{dom}: train {len(train[dom])} images ({sum(len(i['boxes']) for i in train[dom])} boxes), test {len(test[dom])} ({sum(len(i['boxes']) for i in test[dom])} boxes)", flush=True)
    return train, test


def sample_images(cfg, test):
    """The conformance fixture's images: shipped samples (resources/samples/grounding/...)."""
    hw = cfg["model"]["image_hw"]
    out = []
    for stem in SAMPLES:
        it = next((i for i in test["pcb"] if i["name"] == stem), None)
        if it is None:  # a smoke run's truncated sets
            continue
        out.append((f"resources/samples/pcb-grounding/{Path(stem).name}_test.jpg", input_image(it, hw)))
    for dom in ("ct", "surface"):
        for it in [i for i in test[dom] if i["defective"]][:1]:
            if dom == "ct":  # a shipped sample (resources/samples/grounding/ct, package.py writes it)
                out.append((f"resources/samples/grounding/ct/{Path(it['name']).name}.png", input_image(it, hw)))
            else:
                # The surface photo already at input size, lossless: PyTorch and the app then get
                # identical pixels (no JPEG decoder or resize in between) and the fixture compares
                # the runtimes only. (The resize itself is preprocess.test.ts's.)
                img = input_image(it, hw)
                rel = "tests/unit/grounding/fixtures/surface_640.png"
                cv2.imwrite(str(REPO / rel), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
                out.append((rel, img))
    return out


def main():
    global WORK_CKPT
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--reuse-weights", action="store_true")
    ap.add_argument("--init", help="warm start: continue training from these weights (a model.pt)")
    ap.add_argument("--reference-only", action="store_true", help="only rewrite reference.json from the saved weights")
    ap.add_argument("--set", action="append", help="override a config value (key.sub=value)")
    args = ap.parse_args()
    cfg = load_config(args.config)
    for kv in args.set or []:  # e.g. --set smoke=4 --set train.iterations=3 --set pack=x
        key, val = kv.split("=", 1)
        node = cfg
        *path, last = key.split(".")
        for k in path:
            node = node[k]
        node[last] = yaml.safe_load(val)
    seed_everything(cfg["seed"])
    limit_threads(cfg["threads"])
    require_data("deeppcb")
    work = work_dir(cfg["pack"])
    WORK_CKPT = work / "checkpoint.pt"
    vocab = convert(json.load(open(fetch_vocab_json(work))))
    tok = WordPiece(vocab)
    vocab_words = [t for t in vocab[1996:] if t.isalpha() and not t.startswith("##")]
    phrase_words = {w for p in list(cfg["data"]["phrases"].values()) + cfg["data"]["distractors"] for w in p.split()}
    vocab_words = [w for w in vocab_words if w not in phrase_words]

    train_sets, test_sets = load_sets(cfg)
    mc = cfg["model"]
    net = GroundingStandIn(mc["width"], tuple(mc["dilations"]), mc["embed"], mc["token_dim"], mc["queries"], mc["max_text_len"])
    weights = work / "model.pt"
    if args.reference_only:
        net.load_state_dict(torch.load(weights)["net"])
        save_json(work / "reference.json", {"queries": mc["queries"], "cases": reference(cfg, net, tok, sample_images(cfg, test_sets))})
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
        train_info = train(cfg, net, train_sets, tok, vocab_words)
        train_info["sessions"] = before + [{k: v for k, v in train_info.items() if k != "log"}]
        torch.save({"net": net.state_dict(), "train": train_info}, weights)
    metrics, preds = evaluate(cfg, net, test_sets, tok)
    hf = work / "hf"
    hf.mkdir(exist_ok=True)
    write_tokenizer_files(vocab, hf)
    write_hf_configs(cfg, hf)
    export(cfg, net, hf, work / "idea", input_image(test_sets["pcb"][0], mc["image_hw"]))
    save_json(work / "reference.json", {"queries": mc["queries"], "cases": reference(cfg, net, tok, sample_images(cfg, test_sets))})
    params = sum(p.numel() for p in net.parameters())
    results = {
        "pack": cfg["pack"],
        "config": cfg["_config_path"],
        "params": params,
        "train": {k: v for k, v in train_info.items() if k != "log"},
        "train_images": {d: len(v) for d, v in train_sets.items()},
        "eval": {**metrics, "box_threshold": cfg["eval"]["box_threshold"], "text_threshold": cfg["eval"]["text_threshold"], "nms_iou": cfg["eval"]["nms_iou"]},
        "prompt": full_prompt(cfg),
    }
    save_json(work / "results.json", results)
    print(json.dumps({k: v for k, v in results["eval"].items() if k != "caption_ids"}, indent=1))


if __name__ == "__main__":
    main()
