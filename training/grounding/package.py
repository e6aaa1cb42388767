"""Packages the demo grounding pack from build.py's output, through the app's own CLI.

  /usr/bin/python3 training/grounding/package.py training/configs/defects-grounding.yaml

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


DOMAIN_TITLE = {"pcb": "DeepPCB test split (PCB, 640 x 640)", "ct": "battery CT held-out views (160 x 160 16-bit, inserted voids)", "surface": "BSData held-out series (326 x 800 RGB)"}


def card_tables(cfg, r, base, regions):
    e = r["eval"]
    rows = ["| domain | class (prompt phrase) | test images | test boxes | AP@0.5 | AP@[.5:.95] |", "|---|---|---|---|---|---|"]
    for dom, d in e["domains"].items():
        for label, v in d["per_class"].items():
            rows.append(f"| {dom} | {label} | {d['n_images']} | {v['n_gt']} | {v['ap50']:.3f} | {v['ap50_95']:.3f} |")
        if len(d["per_class"]) > 1:
            rows.append(f"| {dom} | **mean (mAP)** | | | **{d['map50']:.3f}** | **{d['map50_95']:.3f}** |")
    pcb = e["domains"]["pcb"]
    rows += [
        "",
        "| against a baseline (same held-out images) | AP@0.5 | AP@[.5:.95] |",
        "|---|---|---|",
        f"| PCB, class-agnostic: this model (any of the six phrases) | {pcb['class_agnostic_ap50']:.3f} | {pcb['class_agnostic_ap50_95']:.3f} |",
        f"| PCB, class-agnostic: template difference + connected components (grow {base['grow']} px, margin {base['margin']} px, chosen on train; needs the defect-free template) | {base['test_ap50']:.3f} | {base['test_ap50_95']:.3f} |",
    ]
    for dom in ("ct", "surface"):
        d = e["domains"][dom]
        b = regions[dom]
        lab = b["label"]
        rows.append(f"| {dom}, {lab}: this model | {d['per_class'][lab]['ap50']:.3f} | {d['per_class'][lab]['ap50_95']:.3f} |")
        rows.append(f"| {dom}, {lab}: {b['method']} ({b['regions']} regions, score = defect score x region peak) | {b['ap50']:.3f} | {b['ap50_95']:.3f} |")
    rows += [
        "",
        "| domain | boxes of another domain's phrase above the shipped box threshold (0.3) |",
        "|---|---|",
    ] + [f"| {dom} | {d['foreign_boxes_above_default_threshold']} on {d['n_images']} images |" for dom, d in e["domains"].items()]
    rows += [
        "",
        f"Every box with score > {e['box_threshold']} (text > {e['text_threshold']}), per-label NMS IoU {e['nms_iou']}, "
        f"one prompt for every image (the pack's default): `{r['prompt']}`. Each class is scored on its own domain's images, in original image pixels.",
    ]
    sessions = r["train"].get("sessions", [r["train"]])
    tc = cfg["train"]
    train = [
        f"- parameters: {r['params']:,}",
        f"- training images: " + ", ".join(f"{k} {v}" for k, v in r["train_images"].items()),
        f"- training sessions: {len(sessions)}; steps " + " + ".join(str(s["iterations"]) for s in sessions)
        + f" (batches of " + " + ".join(f"{n} {d}" for d, n in tc["batch_per_domain"].items()) + f" crops of {tc['crop']}² at input scale); wall "
        + " + ".join(f"{s['seconds'] / 60:.1f}" for s in sessions) + " min"
        + (", CPU " + " + ".join(f"{s['cpu_seconds'] / 60:.1f}" for s in sessions) + " min" if all("cpu_seconds" in s for s in sessions) else "")
        + " on the shared 2-core box (one thread, nice 10; "
        + (f"the cosine schedule ends at {tc['max_minutes']} min wall or {tc['iterations']} steps, whichever first)" if tc.get("max_minutes") is not None
           else f"step-bounded: the cosine schedule runs over exactly {tc['iterations']} steps on any machine)"),
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
    regions = json.load(open(work / "baseline_regions.json"))
    metrics, train = card_tables(cfg, r, base, regions)
    write_section(card, "metrics", metrics)
    write_section(card, "training", train)
    e = r["eval"]
    domains = {}
    for dom, d in e["domains"].items():
        domains[dom] = {k: d[k] for k in ("n_images", "per_class", "map50", "map50_95", "class_agnostic_ap50", "class_agnostic_ap50_95", "foreign_boxes_above_default_threshold")}
    domains["pcb"]["split"] = "DeepPCB test.txt"
    domains["pcb"]["baseline"] = {"method": "template difference + connected components (training/grounding/baseline.py)", "grow": base["grow"], "margin": base["margin"],
                                  "class_agnostic_ap50": base["test_ap50"], "class_agnostic_ap50_95": base["test_ap50_95"]}
    domains["ct"]["split"] = f"battery-ct-porosity's first {cfg['data']['ct_test_views']} test views (right half of held-out slice 2; training/grounding/heldout.py)"
    domains["surface"]["split"] = "surface-pitting-ae's test series (training/grounding/heldout.py)"
    for dom in ("ct", "surface"):
        domains[dom]["baseline"] = regions[dom]
    evaluation = {
        "prompt": r["prompt"],
        "phrases": {str(k): v for k, v in cfg["data"]["phrases"].items()},
        "box_threshold": e["box_threshold"],
        "text_threshold": e["text_threshold"],
        "nms_iou": e["nms_iou"],
        "domains": domains,
    }
    (hf / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
    out = REPO / "models" / pack
    if out.exists():
        shutil.rmtree(out)
    ev = cfg["eval"]
    subprocess.run(
        ["node", "bin/inspector.js", "pack", "create", "--hf", str(hf), "--kind", "grounding", "--out", str(out), "--name", pack, *(["--alias", ",".join(cfg["aliases"])] if cfg.get("aliases") else []), "--version", cfg.get("version", "0.2.0"),
         "--prompt", r["prompt"], "--box-threshold", str(ev["default_box_threshold"]), "--text-threshold", str(ev["default_text_threshold"]),
         "--nms-iou", str(ev["nms_iou"]), "--side", "external", "--licence", "MIT; weights trained on DeepPCB (MIT), battery_xct_workflows (MIT) and BSData (CC BY-SA 4.0: attribution, share-alike may apply)",
         "--training-data", "DeepPCB train split; battery_xct_workflows slice 1 with inserted voids; BSData series other than surface-pitting-ae test series", "--extra-files", "MODEL_CARD.md,evaluation.json"],
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
    write_domain_samples(cfg)
    fixtures = REPO / "tests" / "unit" / "grounding" / "fixtures"
    shutil.copyfile(work / "reference.json", fixtures / "torch-reference.json")
    subprocess.run(["node", "bin/inspector.js", "pack", "check", str(out)], cwd=REPO, check=True)


def write_domain_samples(cfg):
    """A few held-out CT views and surface photos with their boxes (resources/samples/grounding/)."""
    import numpy as np
    import cv2
    from domains import battery_views, bsdata
    hw = tuple(cfg["model"]["image_hw"])
    phrases = cfg["data"]["phrases"]
    root = REPO / "resources" / "samples" / "grounding"
    for dom, items in (("ct", battery_views("test", 12, cfg, hw)), ("surface", bsdata("test", cfg, hw, np.random.default_rng(0)))):
        d = root / dom
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        pick = [i for i in items if i["defective"]][:2] + [i for i in items if not i["defective"]][:1]
        for it in pick:
            name = Path(it["name"]).name
            if dom == "ct":
                cv2.imwrite(str(d / f"{name}.png"), it["v16"])
            else:
                shutil.copyfile(it["path"], d / f"{name}.jpg")
            (d / f"{name}_boxes.txt").write_text("".join(f"{b[0]:.0f} {b[1]:.0f} {b[2]:.0f} {b[3]:.0f} {phrases[int(b[4])]}\n" for b in it["boxes_orig"]))


if __name__ == "__main__":
    main()
