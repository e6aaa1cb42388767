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
    vocab = convert(json.load(open(fetch_vocab_json(WORK / "pcb-defects-grounding"))))
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
    print("wrote", OUT)


if __name__ == "__main__":
    main()
