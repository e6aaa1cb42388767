"""Turns a trained pack's ONNX + results into a shipped pack under models/<pack>/:
`inspector pack create` (with calibration through the app's own engine), then the manifest's
decision thresholds, titles and provenance from the build's results, the model card's generated
sections, MODEL_CARD.md registered in `files:`, and `inspector pack check`.

Run after the pack's build script:
  /usr/bin/python3 training/package.py training/configs/<pack>.yaml
Only the drift baseline (pack.yaml `reference`) of an already packaged pack:
  /usr/bin/python3 training/package.py --reference-only training/configs/<pack>.yaml
"""
import datetime
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from lib.card import write_section  # noqa: E402
from lib.common import REPO, load_config, log, require_data, work_dir  # noqa: E402
from packs_meta import PACKS  # noqa: E402

HEADER = ("# Inspector model pack, format 1 (see docs/PACKS.md). Edit thresholds freely;\n"
          "# after changing any other file run `inspector pack check` (hashes are verified on load).\n"
          "# Built by training/package.py from training/configs/{pack}.yaml; see MODEL_CARD.md.\n")


def inspector(*args):
    env = dict(os.environ)
    # The pinned Node 24 (system Node 20 crashes in better-sqlite3).
    env["PATH"] = f"{REPO / 'node_modules' / '.bin'}:{env['PATH']}"
    cmd = ["node", str(REPO / "bin" / "inspector.js"), *args]
    log("$ " + " ".join(str(a) for a in cmd[1:]))
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit(f"inspector {args[0]} failed ({r.returncode})")
    return r.stdout


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def recall_floor(results, target):
    """Largest threshold keeping validation recall >= target: the low end of the uncertain band."""
    y, s = np.array(results["val_labels"]), np.array(results["val_scores"])
    pos = np.sort(s[y == 1])
    k = int(np.floor((1 - target) * len(pos)))
    return float(pos[k]) if len(pos) else 0.0


def inspector_json(*args):
    """Runs the CLI with --json and returns what it printed, parsed."""
    env = dict(os.environ)
    env["PATH"] = f"{REPO / 'node_modules' / '.bin'}:{env['PATH']}"
    r = subprocess.run(["node", str(REPO / "bin" / "inspector.js"), *args, "--json"], cwd=REPO, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit(f"inspector {args[0]} failed ({r.returncode})")
    return json.loads(r.stdout)


def drift_reference(pack, cfg, meta, res, out):
    """The pack's drift baseline (pack.yaml `reference`): defect scores of the validation split.

    Classifiers: the defect probabilities the build computed on its validation split (PyTorch; the
    app's engine matches them to ~1e-5, tests/unit/packs-shipped). Autoencoder: the validation photos
    run through the app's own engine (`inspector inspect`), since its image score is normalised by
    the pack and only the app computes it the way runs are recorded.
    """
    if meta["kind"] == "classifier":
        scores = [float(f"{s:.6g}") for s in res["val_scores"]]
        method = "defect probability of each validation image, computed by the build (PyTorch) on the held-out validation split"
    else:
        root = require_data(cfg["data"]["root"])
        ref_dir = work_dir(pack) / "reference-val"
        ref_dir.mkdir(exist_ok=True)
        for stem in res["val_stems"]:
            link = ref_dir / f"{stem}.jpg"
            if not link.exists():
                link.symlink_to(root / "images" / f"{stem}.jpg")
        report = inspector_json("inspect", str(ref_dir), "--pack", str(out), "--no-record")
        scores = [float(f"{r['defectScore']:.6g}") for r in report["results"] if r.get("defectScore") is not None]
        if len(scores) != len(res["val_stems"]):
            raise SystemExit(f"reference: {len(scores)} of {len(res['val_stems'])} validation photos scored")
        method = "defect score of each validation photo (normal and pitted), computed by the app's engine with this pack"
    arr = np.array(scores)
    return {"scores": scores, "derivation": {"method": method, "stats": {
        "n": len(scores), "mean": round(float(arr.mean()), 6), "std": round(float(arr.std()), 6)}}}


def write_manifest(pack, out, m):
    (out / "pack.yaml").write_text(HEADER.format(pack=pack) + yaml.safe_dump(m, sort_keys=False, allow_unicode=True, width=120))


def add_reference(cfg_path):
    """Adds (or replaces) only the drift baseline of an already packaged pack."""
    cfg = load_config(cfg_path)
    pack = cfg["pack"]
    out = REPO / "models" / pack
    res = json.loads((work_dir(pack) / "results.json").read_text())
    m = yaml.safe_load((out / "pack.yaml").read_text())
    if isinstance(m["provenance"].get("createdAt"), datetime.datetime):
        m["provenance"]["createdAt"] = m["provenance"]["createdAt"].isoformat(timespec="milliseconds").replace("+00:00", "Z")
    m["reference"] = drift_reference(pack, cfg, PACKS[pack], res, out)
    write_manifest(pack, out, m)
    inspector("pack", "check", str(out))
    log(f"{pack}: drift reference of {len(m['reference']['scores'])} validation scores")


def main(cfg_path):
    cfg = load_config(cfg_path)
    pack = cfg["pack"]
    meta = PACKS[pack]
    wd = work_dir(pack)
    res = json.loads((wd / "results.json").read_text())
    out = REPO / "models" / pack
    out.mkdir(parents=True, exist_ok=True)
    args = ["pack", "create", "--onnx", str(wd / "model.onnx"), "--kind", meta["kind"], "--out", str(out),
            "--name", pack, "--version", meta["version"], "--side", meta["side"], "--licence", meta["licence"],
            "--training-data", meta["training_data"]]
    if meta["kind"] == "classifier":
        # Heat means defect evidence on every image (and the anchored scale is calibrated on it).
        args += ["--labels", ",".join(res["classes"]), "--calibrate", str(wd / "calib" / "normal"), "--cam-class", "defect"]
    else:
        # Thresholds come from the build (same maths as --calibrate, which overflows on AE maps today).
        args += ["--sigma", str(cfg["model"]["blur_sigma_px"])]
        r = cfg["model"].get("residual")
        if r:
            args += ["--residual", ",".join(str(v) for v in (r["metric"], r.get("channels", "mean"), r.get("window", 7)))]
    inspector(*args)

    manifest_path = out / "pack.yaml"
    m = yaml.safe_load(manifest_path.read_text())
    if isinstance(m["provenance"].get("createdAt"), datetime.datetime):
        # PyYAML reads the ISO timestamp as a datetime; keep the string the app wrote.
        m["provenance"]["createdAt"] = m["provenance"]["createdAt"].isoformat(timespec="milliseconds").replace("+00:00", "Z")
    head = {k: m.pop(k) for k in ("format", "name", "version", "kind")}
    m = {**head, "title": meta["title"], "description": meta["description"], **m}
    for label in m.get("labels", []):
        label["display"] = meta["labels"][label["id"]]["display"]
        label["severity"] = meta["labels"][label["id"]]["severity"]
        for key in ("code", "category"):
            if key in meta["labels"][label["id"]]:
                label[key] = meta["labels"][label["id"]][key]
    if meta["kind"] == "classifier":
        thr = res["threshold"]
        low = min(thr, recall_floor(res, meta["uncertain_recall"]))
        m["decision"] = {
            "activation": "softmax", "low": round(low, 6), "high": round(thr, 6),
            "derivation": {
                "method": "high: F1-optimal defect probability on the validation split; "
                          f"low: largest threshold keeping validation recall >= {meta['uncertain_recall']}",
                "stats": {"val_f1_at_high": round(res["val_f1_at_threshold"], 4), "n_val": len(res["val_labels"])},
                "note": "between low and high the verdict is UNCERTAIN and goes to a person",
            },
        }
    if meta["kind"] == "anomaly":
        t = res["pack_thresholds"]
        m["anomaly"]["imageThreshold"] = {"value": t["image"]["value"], "derivation": {
            "method": "mean + k·std of normal image scores (validation series)", "stats": t["image"]["stats"]}}
        m["anomaly"]["pixelThreshold"] = {"value": t["pixel"]["value"], "derivation": {
            "method": "mean + k·std of normal map pixels (validation series, every 4th pixel)", "stats": t["pixel"]["stats"]}}
        m["anomaly"]["normalisation"] = {"scores": t["scores"], "maps": t["maps"]}
    m["provenance"].update(meta["provenance"])
    m["provenance"]["metrics"] = {k: round(float(v), 4) for k, v in meta["headline"](res).items()}
    m["provenance"]["notes"] = "Model card: MODEL_CARD.md in this pack. Rebuild: " + meta["rebuild"]

    card = out / "MODEL_CARD.md"
    if not card.exists():
        raise SystemExit(f"{card} is missing: write the card's prose first (it holds the generated markers)")
    for section, body in meta["card_sections"](res, m).items():
        write_section(card, section, body)
    m["files"]["MODEL_CARD.md"] = sha256(card)
    # A translated card (hand-written, numbers copied from the English one) is hashed like it.
    ko = out / "MODEL_CARD.ko.md"
    if ko.exists():
        m["files"]["MODEL_CARD.ko.md"] = sha256(ko)
    write_manifest(pack, out, m)
    # The baseline needs the finished pack (the AE's scores come from the app's engine with it).
    m["reference"] = drift_reference(pack, cfg, meta, res, out)
    write_manifest(pack, out, m)
    inspector("pack", "check", str(out))
    log(f"packed {out}")


if __name__ == "__main__":
    # `package.py CONFIG` packages a built pack; `package.py --reference-only CONFIG` only refreshes its drift baseline.
    if sys.argv[1] == "--reference-only":
        add_reference(sys.argv[2])
    else:
        main(sys.argv[1])
