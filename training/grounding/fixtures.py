"""Conformance fixtures for tests/unit/grounding (independent references, computed in Python):

  tokens.json  ids of many captions by the Python WordPiece of bert_vocab.py (the training side)
  pil.json     PIL Image.resize(BILINEAR) + rescale + normalise of a real photo at several sizes,
               sampled at fixed positions (what HF's image processor feeds the model)

  /usr/bin/python3 training/grounding/fixtures.py
"""
import json
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.common import REPO, WORK  # noqa: E402
from bert_vocab import WordPiece, convert, fetch_vocab_json  # noqa: E402

OUT = REPO / "tests" / "unit" / "grounding" / "fixtures"
PROMPTS = [
    ["open circuit", "short", "mouse bite", "spur", "spurious copper", "pin hole"],
    ["porosity"],
    ["Porosity", "Resin Overflow"],
    ["crack", "dent", "scratch on the housing"],
    ["pitting", "rust", "oil stain"],
    ["a cat", "a remote control"],
    ["solder-ball", "mis-aligned pin", "lifted lead"],
    ["void (gas)", "inclusion, metallic"],
    ["café crème", "naïve défaut"],
    ["delamination", "electrode burr", "separator wrinkle"],
    ["x-ray artefact", "ring artifact", "beam hardening"],
    ["ÜBERGANG", "straße"],
    ["missing screw", "bent pin", "cold solder joint", "tombstoning"],
    ["1 mm void", "2.5mm crack"],
    ["hairline crack", "chipped edge", "discolouration", "foreign object debris"],
]


def main():
    vocab = convert(json.load(open(fetch_vocab_json(WORK / "defects-grounding"))))
    tok = WordPiece(vocab)
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    for phrases in PROMPTS:
        # The caption as the app builds it: lower-cased phrases (those with "." split further
        # by the app, so none here contains one after the app's split), " . " joined, " ." end.
        parts = [p.lower() for p in phrases]
        caption = " . ".join(parts) + " ."
        cases.append({"phrases": phrases, "caption": caption, "ids": tok.encode(caption)})
    (OUT / "tokens.json").write_text(json.dumps({"source": "training/grounding/bert_vocab.py WordPiece", "cases": cases}, indent=1) + "\n")

    photo = REPO / "resources" / "samples" / "surface-pitting-ae" / sorted(p.name for p in (REPO / "resources" / "samples" / "surface-pitting-ae").glob("*.jpg"))[0]
    img = Image.open(photo).convert("RGB")
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    rng = random.Random(7)
    sizes = [(800, 800), (326, 800), (200, 491), (1000, 1600), (97, 61)]
    out = []
    for h, w in sizes:
        r = np.asarray(img.resize((w, h), Image.BILINEAR), np.float32)
        v = (r * (1 / 255) - mean) / std
        pts = [(rng.randrange(h), rng.randrange(w), rng.randrange(3)) for _ in range(400)]
        out.append({"height": h, "width": w, "samples": [[y, x, c, round(float(v[y, x, c]), 6), int(r[y, x, c])] for y, x, c in pts]})
    (OUT / "pil.json").write_text(json.dumps({"image": str(photo.relative_to(REPO)), "source_size": list(img.size), "pil": Image.__version__, "resized": out}) + "\n")
    # Phrase blocks by the export's vectorised builder (net.phrase_blocks, the one in the graph).
    import torch
    from net import phrase_blocks

    brng = random.Random(11)
    blocks = []
    for _ in range(60):
        n = brng.randint(1, 24)
        ids = [101] + [brng.choice([102, 1012, 1029, 2000, 2001, 3000, 4000, 0]) for _ in range(n)]
        m, p = phrase_blocks(torch.tensor([ids]))
        blocks.append({"ids": ids, "mask": m[0].int().flatten().tolist(), "position_ids": p[0].tolist()})
    (OUT / "blocks.json").write_text(json.dumps({"source": "training/grounding/net.py phrase_blocks", "cases": blocks}) + "\n")
    # Post-processing by evaluate.py (numpy) on the PyTorch outputs of the demo model.
    ref_path = WORK / "defects-grounding" / "reference.json"
    if ref_path.exists():
        from evaluate import postprocess

        ref = json.load(open(ref_path))
        post = []
        for case in ref["cases"]:
            ids = case["input_ids"]
            spans, cur = [], []
            for i in range(1, len(ids) - 1):
                if ids[i] == 1012:
                    spans.append(cur)
                    cur = []
                else:
                    cur.append(i)
            phrases = [p.strip() for p in case["prompt"].split(".") if p.strip()]
            logits = np.array([q["logits"] for q in case["queries"]], np.float64)
            boxes = np.array([q["box"] for q in case["queries"]], np.float64)
            for box_t, text_t, nms_iou in [(0.05, 0.05, 0.5), (0.3, 0.25, None), (0.2, 0.4, 0.3)]:
                dets = postprocess(logits, boxes, dict(zip(phrases, spans)), 640, 640, box_t, text_t, nms_iou)
                post.append({"image": case["image"], "prompt": case["prompt"], "box_threshold": box_t, "text_threshold": text_t, "nms_iou": nms_iou,
                             "detections": [{"label": d["label"], "score": d["score"], "box": d["box"]} for d in dets]})
        (OUT / "postprocess.json").write_text(json.dumps({"source": "training/grounding/evaluate.py postprocess on reference.json", "cases": post}) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
