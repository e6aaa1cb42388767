"""Reads a training set written by `inspector history export --format dataset --out DIR`.

The reviewed cases come back as a torchvision ImageFolder (classes = the reviewers' labels) plus the
manifest rows (run, reviewer, decision per image) and the COCO annotations (boxes/polygons with the
reviewers' corrections applied). Every file is checked against the SHA-256 that `dataset.json`
lists, and `dataset.json` itself is what the history's audit entry `export.dataset` hashes, so a
retrained pack can name exactly which reviewed cases it learned from.

    python3 training/lib/reviewed_set.py DIR     # prints [{"run_id", "label", "file"}] as JSON
"""
import csv
import hashlib
import json
import os
import sys

FORMAT = "inspector.training-set/1"


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_reviewed_set(root, transform=None):
    """Returns (ImageFolder, manifest rows keyed by ImageFolder index, COCO dict, header).

    Raises ValueError when the folder is not an Inspector training set or a file's hash differs
    from the one dataset.json records (a set edited after export is no longer the audited one).
    """
    from torchvision.datasets import ImageFolder

    with open(os.path.join(root, "dataset.json"), encoding="utf-8") as f:
        header = json.load(f)
    if header.get("format") != FORMAT:
        raise ValueError(f"{root}: not an Inspector training set (format {header.get('format')!r})")
    for entry in header["files"]:
        if _sha256(os.path.join(root, entry["path"])) != entry["sha256"]:
            raise ValueError(f"{root}: {entry['path']} differs from the exported file")
    # utf-8-sig: the manifest starts with a BOM so spreadsheets read it as UTF-8.
    with open(os.path.join(root, "manifest.csv"), encoding="utf-8-sig", newline="") as f:
        by_file = {row["file"]: row for row in csv.DictReader(f)}
    with open(os.path.join(root, "annotations", "coco.json"), encoding="utf-8") as f:
        coco = json.load(f)
    folder = ImageFolder(os.path.join(root, "images"), transform=transform)
    rows = []
    for path, _ in folder.samples:
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        rows.append(by_file[rel])
    return folder, rows, coco, header


def main(argv):
    folder, rows, _, _ = load_reviewed_set(argv[1])
    out = [
        {"run_id": int(row["run_id"]), "label": folder.classes[target], "file": row["file"]}
        for (_, target), row in zip(folder.samples, rows)
    ]
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
