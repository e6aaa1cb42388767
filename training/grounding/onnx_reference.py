"""PyTorch eager outputs of the shipped demo grounding model (weights read from its model.onnx by
onnx_weights.py) on given input tensors: the torch half of tests/unit/grounding/onnx-weights.test.ts.

  /usr/bin/python3 training/grounding/onnx_reference.py MODEL.onnx CASES.json OUT.json

CASES.json: {"cases": [{"pixels": raw float32 file [3,H,W], "height": H, "width": W, "input_ids": [...]}]}
(the exact pixel_values the app fed onnxruntime, so only the runtimes differ). OUT.json: per case
the 100 queries with the highest best-token logit, {logits (caption columns), box}, as build.py's
reference fixture has them.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net import HFExport  # noqa: E402
from onnx_weights import load_from_onnx  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@torch.no_grad()
def main():
    model_path, cases_path, out_path = sys.argv[1:4]
    torch.set_num_threads(1)
    cfg = yaml.safe_load(open(ROOT / "training" / "configs" / "defects-grounding.yaml"))
    model = HFExport(load_from_onnx(model_path, cfg["model"])).eval()
    out = []
    for c in json.load(open(cases_path))["cases"]:
        x = torch.from_numpy(np.fromfile(c["pixels"], dtype=np.float32).reshape(1, 3, c["height"], c["width"]))
        ids = torch.tensor([c["input_ids"]])
        logits, boxes = model(x, ids, torch.ones_like(ids), torch.zeros_like(ids), torch.ones(1, c["height"], c["width"], dtype=torch.long))
        lg = logits[0, :, : ids.shape[1]].numpy()
        order = np.argsort(-lg.max(axis=1))[:100]
        out.append({"queries": [{"logits": [float(v) for v in lg[q]], "box": [float(v) for v in boxes[0, q].numpy()]} for q in order]})
    json.dump({"queries": int(logits.shape[1]), "cases": out}, open(out_path, "w"))


if __name__ == "__main__":
    main()
