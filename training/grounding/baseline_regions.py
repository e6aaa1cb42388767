"""The card's porosity and pitting baselines: the shipped packs' heatmap regions as boxes.

  INSPECTOR_DATA_DIR=/tmp/x /usr/bin/python3 training/grounding/baseline_regions.py training/configs/defects-grounding.yaml

On the same held-out sets as the grounding card (heldout.py), the app's own `inspect` runs
battery-ct-porosity (Grad-CAM regions) on the CT views and surface-pitting-ae (anomaly-map
regions) on the surface photos; each region is a box scored by the image's defect score times the
region's peak, then AP@0.5 and AP@[.5:.95] as for the grounding model. Writes
training/work/<pack>/baseline_regions.json.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.common import REPO, load_config, save_json, work_dir  # noqa: E402
from evaluate import average_precision  # noqa: E402

PACKS = {"ct": ("battery-ct-porosity", "porosity", "Grad-CAM regions of battery-ct-porosity"),
         "surface": ("surface-pitting-ae", "pitting", "anomaly-map regions of surface-pitting-ae")}


def main():
    cfg = load_config(sys.argv[1])
    work = work_dir(cfg["pack"])
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(Path(__file__).parent / "heldout.py"), tmp, "--config", cfg["_config_path"], "--domains", "ct,surface"], cwd=REPO, check=True)
        truth = json.load(open(Path(tmp) / "truth.json"))
        for dom, (pack, label, method) in PACKS.items():
            paths = [r["path"] for r in truth[dom]]
            res = subprocess.run(["node", "bin/inspector.js", "inspect", *paths, "--pack", pack, "--json", "--no-record"], cwd=REPO, check=True, capture_output=True, text=True)
            report = json.loads(res.stdout)
            preds = {}
            for r in report["results"]:
                s = r.get("defectScore", 0.0)
                preds[r["source"]] = [{"label": label, "score": s * reg["peak"], "box": [reg["x"], reg["y"], reg["x"] + reg["width"], reg["y"] + reg["height"]]} for reg in r.get("regions", [])]
            gts = {r["path"]: [{"label": label, "box": b[:4]} for b in r["boxes"]] for r in truth[dom]}
            out[dom] = {
                "method": method, "pack": pack, "label": label, "n_images": len(paths),
                "ap50": average_precision(preds, gts, label, [0.5]),
                "ap50_95": average_precision(preds, gts, label, [0.5 + 0.05 * k for k in range(10)]),
                "regions": sum(len(p) for p in preds.values()),
            }
            print(dom, out[dom], flush=True)
    save_json(work / "baseline_regions.json", out)


if __name__ == "__main__":
    main()
