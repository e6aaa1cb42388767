"""Packages the demo grounding pack from build.py's output, through the app's own CLI.

  /usr/bin/python3 training/grounding/package.py training/configs/pcb-defects-grounding.yaml

Writes MODEL_CARD.md's generated sections and evaluation.json into the export folder, runs
`inspector pack create --hf … --kind grounding` into models/<pack>/, copies the sample images
and the onnxruntime-vs-PyTorch fixture, then `inspector pack check`.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.card import write_section  # noqa: E402
from lib.common import REPO, SHARED_DATA, load_config, work_dir  # noqa: E402
from build import SAMPLES  # noqa: E402


def card_tables(cfg, r, base):
    e = r["eval"]
    rows = ["| class (prompt phrase) | test boxes | AP@0.5 | AP@[.5:.95] |", "|---|---|---|---|"]
    for label, v in e["per_class"].items():
        rows.append(f"| {label} | {v['n_gt']} | {v['ap50']:.3f} | {v['ap50_95']:.3f} |")
    rows.append(f"| **mean (mAP)** | | **{e['map50']:.3f}** | **{e['map50_95']:.3f}** |")
    rows += [
        "",
        "| class-agnostic (any defect box) | AP@0.5 |",
        "|---|---|",
        f"| this model | {e['class_agnostic_ap50']:.3f} |",
        f"| baseline: template difference + connected components (grow {base['grow']} px, margin {base['margin']} px, chosen on train) | {base['test_ap50']:.3f} |",
        "",
        f"DeepPCB test split, {e['n_images']} images, 640 × 640; every box with score > {e['box_threshold']} "
        f"(text > {e['text_threshold']}), per-label NMS IoU {e['nms_iou']}. Prompt: `{r['prompt']}`.",
    ]
    sessions = r["train"].get("sessions", [r["train"]])
    train = [
        f"- parameters: {r['params']:,}",
        f"- training sessions: {len(sessions)}; steps " + " + ".join(str(s["iterations"]) for s in sessions)
        + " (batch 8 crops of 256²); wall " + " + ".join(f"{s['seconds'] / 60:.1f}" for s in sessions) + " min on the shared 2-core box"
        + (", CPU " + " + ".join(f"{s['cpu_seconds'] / 60:.1f}" for s in sessions) + " min" if all("cpu_seconds" in s for s in sessions) else "")
        + ". The step count was cut by the wall-time budget: the box was shared with other jobs (load ≈ 15 on 2 cores), so this is an under-trained model",
    ]
    return "\n".join(rows), "\n".join(train)


def main():
    cfg = load_config(sys.argv[1])
    pack = cfg["pack"]
    work = work_dir(pack)
    r = json.load(open(work / "results.json"))
    hf = work / "hf"
    card_src = Path(__file__).resolve().parent / "MODEL_CARD.md"
    card = hf / "MODEL_CARD.md"
    shutil.copyfile(card_src, card)
    base = json.load(open(work / "baseline.json"))
    metrics, train = card_tables(cfg, r, base)
    write_section(card, "metrics", metrics)
    write_section(card, "training", train)
    e = r["eval"]
    evaluation = {
        "prompt": r["prompt"],
        "phrases": {str(k): v for k, v in cfg["data"]["phrases"].items()},
        "split": "DeepPCB test.txt",
        "box_threshold": e["box_threshold"],
        "text_threshold": e["text_threshold"],
        "nms_iou": e["nms_iou"],
        "per_class": e["per_class"],
        "map50": e["map50"],
        "map50_95": e["map50_95"],
        "class_agnostic_ap50": e["class_agnostic_ap50"],
        "baseline": {"method": "template difference + connected components (training/grounding/baseline.py)", "grow": base["grow"], "margin": base["margin"],
                     "class_agnostic_ap50": base["test_ap50"], "class_agnostic_ap50_95": base["test_ap50_95"]},
    }
    (hf / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
    out = REPO / "models" / pack
    if out.exists():
        shutil.rmtree(out)
    ev = cfg["eval"]
    subprocess.run(
        ["node", "bin/inspector.js", "pack", "create", "--hf", str(hf), "--kind", "grounding", "--out", str(out), "--name", pack, "--version", "0.1.0",
         "--prompt", r["prompt"], "--box-threshold", str(ev["default_box_threshold"]), "--text-threshold", str(ev["default_text_threshold"]),
         "--nms-iou", str(ev["nms_iou"]), "--side", "external", "--licence", "MIT (weights trained on DeepPCB, MIT)",
         "--training-data", "DeepPCB train split (github.com/tangsanli5201/DeepPCB, MIT)", "--extra-files", "MODEL_CARD.md,evaluation.json"],
        cwd=REPO, check=True,
    )
    samples = REPO / "resources" / "samples" / "pcb-grounding"
    samples.mkdir(parents=True, exist_ok=True)
    for stem in SAMPLES:
        src = SHARED_DATA / "deeppcb" / f"{stem}_test.jpg"
        shutil.copyfile(src, samples / src.name)
        st = Path(stem)
        ann = SHARED_DATA / "deeppcb" / st.parent.parent / f"{st.parent.name}_not" / f"{st.name}.txt"
        shutil.copyfile(ann, samples / (Path(stem).name + "_boxes.txt"))
    fixtures = REPO / "tests" / "unit" / "grounding" / "fixtures"
    shutil.copyfile(work / "reference.json", fixtures / "torch-reference.json")
    subprocess.run(["node", "bin/inspector.js", "pack", "check", str(out)], cwd=REPO, check=True)


if __name__ == "__main__":
    main()
