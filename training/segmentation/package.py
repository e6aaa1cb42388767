"""Writes models/surface-pitting-seg/{pack.yaml, MODEL_CARD.md} from training/work/<pack>/results.json.

    /usr/bin/python3 training/segmentation/package.py training/configs/surface-pitting-seg.yaml

Hashes every file into the manifest (the app verifies them on load); run `inspector pack check
models/surface-pitting-seg` afterwards.
"""
import hashlib
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.common import REPO, load_config, work_dir  # noqa: E402


def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def main(cfg_path):
    cfg = load_config(cfg_path)
    res = json.loads((work_dir(cfg["pack"]) / "results.json").read_text())
    out = REPO / "models" / cfg["pack"]
    u, b, s = res["unet"], res["baseline"], res["split"]
    card = f"""# surface-pitting-seg — ball-screw pitting, per-pixel (tiny U-Net)

**Demo pack.** A three-level U-Net (width {cfg['width']}) giving one pitting logit per pixel
(sigmoid head) at {res['input_hw'][0]}×{res['input_hw'][1]}, trained in {res['train_s']} s on one CPU
thread by `training/segmentation/build.py` ({res['config']}).

## Data
BSData (Schlagenhauf & Landwehr, KIT; CC BY-SA 4.0): the photos with labelme pitting polygons plus
pitting-free photos by the chronology rule (`training/surface_ae/data.py`). Split by
(spindle position, camera angle) series, `{s['rule']}`: {s['train']} train, {s['test']} test photos
({s['test_with_pitting']} of them with pitting). Masks rasterised from the polygons at model resolution.

## Results on the held-out series (pooled over all test pixels; 95 % bootstrap over photos)
| model | Dice | IoU |
|---|---|---|
| tiny U-Net, p ≥ {res['threshold']} | {u['dice']:.3f} [{u['dice_ci95'][0]:.3f}, {u['dice_ci95'][1]:.3f}] | {u['iou']:.3f} [{u['iou_ci95'][0]:.3f}, {u['iou_ci95'][1]:.3f}] |
| baseline: {b['rule']} | {b['dice']:.3f} [{b['dice_ci95'][0]:.3f}, {b['dice_ci95'][1]:.3f}] | {b['iou']:.3f} [{b['iou_ci95'][0]:.3f}, {b['iou_ci95'][1]:.3f}] |

Both cuts (the U-Net's probability, the baseline's darkness) were chosen for the best pooled Dice
on the training split. At this resolution (the 800-px photos shrunk ~4×) small pits are a few
pixels: the pack shows where pitting is, it does not measure single pits precisely. Pixel spacing
of the photos is not published, so areas are in pixels unless a calibration is set in the pack.

## Parity
`tests/unit/segmentation/pack.test.ts` runs the ONNX model in onnxruntime-node on two held-out
photos ({', '.join(res['fixtures'])}) and compares with PyTorch's logits saved by the build
(`tests/fixtures/segmentation/`).

## Input guard (out of distribution)
Images unlike the ball-screw photos the model was built for are flagged `INPUT_OUT_OF_DISTRIBUTION`
and get the decision UNCERTAIN: the envelope in `pack.yaml` `guard` (colour, sides) and the
Mahalanobis distance of the model's own encoder activations to those of reference photos
(`guard.json`); see docs/PACKS.md "Input guard". The build holds out no validation split, so the
guard is fitted on the 103 photos of the held-out test series; its false alarms are measured on
the BSData normal photos the build never used (`training/segmentation/guard_sets.py`, then
`inspector pack guard … --write`, as in training/guard.sh). Pitted photos are inside the envelope:
the guard asks whether the image is a photo of this kind, not whether it is defect-free.

<!-- BEGIN GENERATED: guard -->
<!-- END GENERATED: guard -->

Not for production use: a demonstration of the segmentation pack format.
"""
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    manifest = {
        "format": 1,
        "name": cfg["pack"],
        "version": "0.1.0",
        "kind": "segmentation",
        "title": {"en": "Ball-screw surface pitting (segmentation)", "ko": "볼스크류 표면 피팅 (분할)"},
        "description": "Tiny U-Net on BSData pitting polygons: a per-pixel pitting mask with areas; see MODEL_CARD.md.",
        "side": "external",
        "model": "model.onnx",
        "input": {"name": "input", "size": res["input_hw"], "layout": "NCHW", "channels": 3, "colour": "rgb", "range": [0, 1], "resize": "stretch"},
        "outputs": [{"name": "logits", "meaning": "logits"}],
        "labels": [{"id": "pitting", "display": {"en": "Pitting", "ko": "피팅"}, "severity": "high"}],
        "segmentation": {
            "activation": "sigmoid",
            "classes": [{"label": "pitting", "colour": "#ff3b30", "background": False, "threshold": res["threshold"]}],
            "minArea": 2,
            "derivation": {"method": "probability cut with the best pooled Dice on the training split", "stats": {"dice_test": u["dice"]}},
        },
        "provenance": {
            "trainingData": "BSData ball-screw drive surface defect dataset (pitting polygons)",
            "dataLicence": "CC BY-SA 4.0",
            "metrics": {"dice": u["dice"], "iou": u["iou"], "baseline_dice": b["dice"]},
            "source": res["config"],
            "notes": "Demo pack; see MODEL_CARD.md",
        },
        "files": {"model.onnx": sha(out / "model.onnx"), "MODEL_CARD.md": sha(out / "MODEL_CARD.md")},
    }
    with open(out / "pack.yaml", "w", encoding="utf-8") as f:
        f.write("# Inspector model pack, format 1 (see docs/PACKS.md). Built by training/segmentation/package.py.\n")
        yaml.safe_dump(manifest, f, allow_unicode=True, sort_keys=False)


if __name__ == "__main__":
    main(sys.argv[1])
