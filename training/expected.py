"""Reference outputs of each shipped pack on two of its sample images, computed independently of
the app (PyTorch weights, OpenCV decoding and resizing), for tests/unit/packs-shipped.

The test runs the app's engine (onnxruntime-node, sharp) on the same files and compares: any drift
in the ONNX export, the manifest's preprocessing or the engine's maths shows up as a mismatch.
Run after packaging: /usr/bin/python3 training/expected.py
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

from lib.common import REPO, WORK, load_config, log  # noqa: E402
from lib.nets import NarrowResNet, anomaly_maps, autoencoder_for  # noqa: E402

SAMPLES = {
    "battery-ct-porosity": ["battery-ct-porosity/ct_slice2_normal_1.png", "battery-ct-porosity/ct_slice2_porosity_1.png"],
    "chest-xray-pneumonia": None,  # first normal and first pneumonia sample, found below
    "surface-pitting-ae": None,
}
OUT = REPO / "tests" / "unit" / "packs-shipped" / "expected.json"


def read(path, channels, hw):
    """As the app reads files: 8-bit / 255, 16-bit / 65535, bilinear half-pixel resize."""
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    scale = 65535.0 if raw.dtype == np.uint16 else 255.0
    img = raw.astype(np.float32) / scale
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if channels == 1 and img.ndim == 3:
        img = img @ np.array([0.299, 0.587, 0.114], np.float32)
    h, w = hw
    if img.shape[:2] != (h, w):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    x = img[None, None] if img.ndim == 2 else img.transpose(2, 0, 1)[None]
    return torch.from_numpy(np.ascontiguousarray(x))


def classifier(pack, cfg, files):
    m = yaml.safe_load((REPO / "models" / pack / "pack.yaml").read_text())
    mc = cfg["model"]
    net = NarrowResNet(1, mc["widths"], len(m["labels"]), mc["normalise"]["mean"], mc["normalise"]["std"], mc.get("dropout", 0.0))
    net.load_state_dict(torch.load(WORK / pack / "model.pt"))
    net.eval()
    out = []
    for f in files:
        x = read(REPO / "resources" / "samples" / f, 1, m["input"]["size"])
        with torch.no_grad():
            logits, a = net.forward_maps(x)
        p = torch.softmax(logits, 1)[0].numpy()
        defect = float(p[1])
        d = m["decision"]
        decision = "pass" if defect < d["low"] else "defect" if defect >= d["high"] else "uncertain"
        # Grad-CAM of the defect class (for GAP + linear it is CAM): where its maximum sits.
        with torch.no_grad():
            cam = torch.relu(torch.einsum("k,khw->hw", net.fc.weight[1], a[0])).numpy()
        peak = [int(v) for v in np.unravel_index(int(np.argmax(cam)), cam.shape)]
        out.append({"file": f, "probabilities": [float(v) for v in p], "decision": decision,
                    "defectCamPeak": peak, "camSize": list(cam.shape)})
    return out


def autoencoder(pack, cfg, files):
    m = yaml.safe_load((REPO / "models" / pack / "pack.yaml").read_text())
    mc = cfg["model"]
    ae = autoencoder_for(mc, cfg["data"]["input_hw"])
    ae.load_state_dict(torch.load(WORK / pack / "model.pt"))
    ae.eval()
    a = m["anomaly"]
    out = []
    for f in files:
        x = read(REPO / "resources" / "samples" / f, 3, m["input"]["size"])
        with torch.no_grad():
            s, amap = anomaly_maps(x, ae(x), a["sigma"], a["score"], a.get("residual"))
        raw = float(s[0])
        out.append({"file": f, "rawScore": raw, "decision": "defect" if raw >= a["imageThreshold"]["value"] else "pass",
                    "mapPeak": [int(v) for v in np.unravel_index(int(np.argmax(amap[0].numpy())), amap.shape[1:])]})
    return out


def cams_only():
    """Refreshes only the CAM fields of expected.json from the shipped ONNX graphs (PyTorch ops,
    training/lib/onnx_torch.py), with each pack's own explanation method and target layer: what a
    re-packed explanation (training/battery_ct/repack_explanation.py) changes, without model.pt."""
    from battery_ct.cam_layers import cam
    from lib.onnx_torch import OnnxTorch
    expected = json.loads(OUT.read_text())
    for pack, cases in expected.items():
        m = yaml.safe_load((REPO / "models" / pack / "pack.yaml").read_text())
        if m["kind"] != "classifier":
            continue
        net = OnnxTorch(str(REPO / "models" / pack / m["model"]))
        ex = m["explanation"]
        for c in cases:
            x = read(REPO / "resources" / "samples" / c["file"], 1, m["input"]["size"])
            v = net.run(x, keep={ex["target"]})
            v[net.output][0, 1].backward()
            a = v[ex["target"]]
            mp = cam(ex["method"], a.detach(), a.grad)[0].numpy()
            c["defectCamPeak"] = [int(i) for i in np.unravel_index(int(np.argmax(mp)), mp.shape)]
            c["camSize"] = list(mp.shape)
        log(f"{pack}: {[(c['file'], c['defectCamPeak'], c['camSize']) for c in cases]}")
    OUT.write_text(json.dumps(expected, indent=2) + "\n")


def main():
    samples = REPO / "resources" / "samples"
    chest = sorted(p.name for p in (samples / "chest-xray-pneumonia").glob("*.jpg"))
    surface = sorted(p.name for p in (samples / "surface-pitting-ae").glob("*.jpg"))
    labelled = {p.stem for p in (samples / "ground-truth" / "surface-pitting-ae").glob("*.json")}
    files = dict(SAMPLES)
    files["chest-xray-pneumonia"] = [f"chest-xray-pneumonia/{next(f for f in chest if f.startswith('normal'))}",
                                     f"chest-xray-pneumonia/{next(f for f in chest if f.startswith('pneumonia'))}"]
    files["surface-pitting-ae"] = [f"surface-pitting-ae/{next(f for f in surface if f[:-4] not in labelled)}",
                                   f"surface-pitting-ae/{next(f for f in surface if f[:-4] in labelled)}"]
    expected = {}
    for pack, fs in files.items():
        cfg = load_config(REPO / "training" / "configs" / f"{pack}.yaml")
        expected[pack] = autoencoder(pack, cfg, fs) if pack == "surface-pitting-ae" else classifier(pack, cfg, fs)
        log(f"{pack}: {expected[pack]}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(expected, indent=2) + "\n")
    log(f"wrote {OUT}")


if __name__ == "__main__":
    # --cams-only: the CAM peaks only (after an explanation re-pack; needs no training work dir).
    cams_only() if "--cams-only" in sys.argv else main()
