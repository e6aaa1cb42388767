"""PyTorch eager reference for scripts/bench/grounding.ts: the demo grounding model's own weights
(training/work/defects-grounding/model.pt), same images, same prompt; prints one JSON line.
Timed per image: preprocessing (normalise, tokenize) + forward + post-processing; decoding excluded
(as in the Inspector run)."""
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "training" / "grounding"))
from bert_vocab import WordPiece  # noqa: E402
from build import to_tensor  # noqa: E402
from evaluate import postprocess  # noqa: E402
from net import GroundingStandIn, HFExport  # noqa: E402
import yaml  # noqa: E402


def main():
    weights, images_file, prompt = sys.argv[1], sys.argv[2], sys.argv[3]
    torch.set_num_threads(os.cpu_count())
    cfg = yaml.safe_load(open(ROOT / "training" / "configs" / "defects-grounding.yaml"))
    mc = cfg["model"]
    net = GroundingStandIn(mc["width"], tuple(mc["dilations"]), mc["embed"], mc["token_dim"], mc["queries"], mc["max_text_len"])
    net.load_state_dict(torch.load(weights)["net"])
    net.eval()
    model = HFExport(net)
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
            loop = time.perf_counter() - t_all
    print(json.dumps({"loopSeconds": loop, "preSeconds": pre, "postSeconds": post, "images": len(grays), "detections": n_det, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
