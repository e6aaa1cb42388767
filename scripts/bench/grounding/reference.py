"""PyTorch eager reference for scripts/bench/grounding.ts: the demo grounding model — the module of
training/grounding/net.py with the weights of the shipped models/defects-grounding/onnx/model.onnx
(training/grounding/onnx_weights.py; no training checkpoint needed) — on the same images and
prompt, with the same thread count as the onnxruntime session; prints one JSON line.
Timed per image: preprocessing (normalise, tokenize) + forward + post-processing; decoding excluded
(as in the Inspector run).

  /usr/bin/python3 scripts/bench/grounding/reference.py MODEL.onnx IMAGES.txt PROMPT THREADS
"""
import json
import sys
import time
from pathlib import Path

import cv2
import torch
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "training" / "grounding"))
from bert_vocab import WordPiece  # noqa: E402
from build import to_tensor  # noqa: E402
from evaluate import postprocess  # noqa: E402
from net import HFExport  # noqa: E402
from onnx_weights import load_from_onnx  # noqa: E402


def main():
    model_path, images_file, prompt, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(threads)
    cfg = yaml.safe_load(open(ROOT / "training" / "configs" / "defects-grounding.yaml"))
    model = HFExport(load_from_onnx(model_path, cfg["model"])).eval()
    vocab = (ROOT / "models" / "defects-grounding" / "vocab.txt").read_text().split("\n")[:-1]
    tok = WordPiece(vocab)
    paths = [p for p in open(images_file).read().split("\n") if p]
    grays = [cv2.imread(p, cv2.IMREAD_GRAYSCALE) for p in paths]
    phrases = [p.strip() for p in prompt.split(".") if p.strip()]
    pre = post = 0.0
    n_det = 0
    with torch.no_grad():
        for rep in range(2):  # first round warms up
            t_all = time.perf_counter()
            pre = post = 0.0
            n_det = 0
            boxes_out = []
            for g in grays:
                t0 = time.perf_counter()
                ids = tok.encode(" . ".join(phrases) + " .")
                spans, cur = [], []
                for i in range(1, len(ids) - 1):
                    if ids[i] == 1012:
                        spans.append(cur)
                        cur = []
                    else:
                        cur.append(i)
                x = to_tensor(g)[None]
                t = torch.tensor([ids])
                pm = torch.ones(1, g.shape[0], g.shape[1], dtype=torch.long)
                t1 = time.perf_counter()
                logits, boxes = model(x, t, torch.ones_like(t), torch.zeros_like(t), pm)
                t2 = time.perf_counter()
                dets = postprocess(logits[0, :, : len(ids)].numpy(), boxes[0].numpy(), dict(zip(phrases, spans)), g.shape[1], g.shape[0], 0.3, 0.25, 0.5)
                t3 = time.perf_counter()
                pre += t1 - t0
                post += t3 - t2
                n_det += len(dets)
                boxes_out.append(dets)
            loop = time.perf_counter() - t_all
    print(json.dumps({"loopSeconds": loop, "preSeconds": pre, "postSeconds": post, "images": len(grays), "detections": n_det, "threads": torch.get_num_threads(), "boxes": boxes_out}))


if __name__ == "__main__":
    main()
