"""Exports the small ONNX test models and their PyTorch reference outputs into tests/fixtures/packs/.

Each classifier is exported by plain `torch.onnx.export` (no wrapping, no extra outputs): the
engine must find the Grad-CAM target itself. Reference Grad-CAM-family maps are computed with
PyTorch autograd on the tensor that feeds global pooling, to the formulas of pytorch-grad-cam 1.5.5
(base_cam.py, grad_cam*.py, xgrad_cam.py, hirescam.py, layer_cam.py).

Run from the repository root: /usr/bin/python3 training/testpacks/export_testpacks.py
Deterministic (fixed seeds, CPU); rerunning rewrites identical references.
"""
import json
import os
import sys

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/packs"
ONNX_DIR = os.path.join(OUT, "onnx")
IMG_DIR = os.path.join(OUT, "images")
SIZE = 64
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
LABELS = ["ok", "scratch", "dent"]


# --- images: textured "parts", some with a bright blob (the defect) -------------------------------
def make_images():
    os.makedirs(IMG_DIR, exist_ok=True)
    rng = np.random.default_rng(7)
    names = []
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    for i in range(6):
        base = 0.45 + 0.1 * np.sin(xx / (3 + i) + i) * np.cos(yy / 5)
        img = np.stack([base * 0.9, base, base * 1.1], -1) + rng.normal(0, 0.03, (SIZE, SIZE, 3))
        kind = "normal" if i < 4 else "defect"
        if kind == "defect":
            cy, cx = 20 + 8 * i, 40 - 6 * i
            blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 4.0 ** 2))
            img = img + blob[..., None] * np.array([0.5, 0.1, -0.2])
        img = np.clip(img, 0, 1)
        name = f"{kind}_{i}.png"
        cv2.imwrite(os.path.join(IMG_DIR, name), cv2.cvtColor((img * 255).round().astype(np.uint8), cv2.COLOR_RGB2BGR))
        names.append(name)
    # A non-square, larger image: anomaly maps must come back at this size.
    big = cv2.resize(cv2.imread(os.path.join(IMG_DIR, "defect_4.png")), (96, 80), interpolation=cv2.INTER_LINEAR)
    cv2.imwrite(os.path.join(IMG_DIR, "wide_defect.png"), big)
    return names


def load_rgb01(name):
    bgr = cv2.imread(os.path.join(IMG_DIR, name), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def to_tensor(rgb01, normalise):
    x = rgb01.copy()
    if normalise:
        x = (x - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return torch.from_numpy(x.transpose(2, 0, 1)[None].astype(np.float32))


# --- classifiers: each has features(x) -> A (the tensor global pooling reads) and head(A) ---------
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNetMini(nn.Module):
    """torchvision ResNet layout, scaled down: stem, 3 stages of BasicBlocks, avgpool, flatten, fc."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 48, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(48, len(LABELS))

    def features(self, x):
        return self.layer3(self.layer2(self.layer1(self.stem(x))))

    def head(self, a):
        return self.fc(torch.flatten(self.avgpool(a), 1))

    def forward(self, x):
        return self.head(self.features(x))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hid = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(),
            nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(),
            nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        return x + self.block(x) if self.use_res else self.block(x)


class MobileNetMini(nn.Module):
    """torchvision MobileNetV2 layout: features[-1] = 1x1 ConvBNReLU6, functional avg pool, dropout, linear."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(),
            InvertedResidual(16, 16, 1, 2), InvertedResidual(16, 24, 2, 3), InvertedResidual(24, 24, 1, 3),
            InvertedResidual(24, 32, 2, 3),
            nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU6(),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, len(LABELS)))

    def features(self, x):
        return self.body(x)

    def head(self, a):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(a, (1, 1)), 1))

    def forward(self, x):
        return self.head(self.features(x))


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, growth, 3, 1, 1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv(F.relu(self.bn(x)))], 1)


class DenseNetMini(nn.Module):
    """torchvision DenseNet layout: features end in norm5, then functional relu, avg pool, linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.dense = nn.Sequential(DenseLayer(16, 8), DenseLayer(24, 8), DenseLayer(32, 8))
        self.norm5 = nn.BatchNorm2d(40)
        self.classifier = nn.Linear(40, len(LABELS))

    def features(self, x):
        return F.relu(self.norm5(self.dense(self.stem(x))))

    def head(self, a):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(a, (1, 1)), 1))

    def forward(self, x):
        return self.head(self.features(x))


class MlpHeadNet(nn.Module):
    """GAP, then Linear - BatchNorm1d - ReLU - Dropout - (MatMul + Add): a small MLP head."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, 2, 1), nn.ReLU(),
        )
        self.fc1 = nn.Linear(32, 24)
        self.bn = nn.BatchNorm1d(24)
        self.drop = nn.Dropout(0.3)
        self.w2 = nn.Parameter(torch.randn(len(LABELS), 24) * 0.3)
        self.b2 = nn.Parameter(torch.randn(len(LABELS)) * 0.1)

    def features(self, x):
        return self.body(x)

    def head(self, a):
        v = a.mean(dim=(2, 3))
        z = self.drop(F.relu(self.bn(self.fc1(v))))
        return torch.matmul(z, self.w2.t()) + self.b2

    def forward(self, x):
        return self.head(self.features(x))


class SortedHeadNet(nn.Module):
    """A head that sorts the pooled features (TopK): not differentiable by the engine -> fallback."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 24, 3, 2, 1), nn.ReLU())
        self.fc = nn.Linear(24, len(LABELS))

    def features(self, x):
        return self.body(x)

    def head(self, a):
        v = torch.flatten(F.adaptive_avg_pool2d(a, 1), 1)
        return self.fc(torch.sort(v, dim=1, descending=True).values)

    def forward(self, x):
        return self.head(self.features(x))


def randomise_bn(model, seed):
    """Fresh BatchNorm stats are 0/1: give them real-looking values so BN folding is exercised."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def cam_family(a, g):
    """pytorch-grad-cam 1.5.5 weightings on one image; a, g: (K, h, w) numpy. Returns raw maps after ReLU."""
    out = {}
    w = g.mean(axis=(1, 2))
    out["gradcam"] = np.maximum((w[:, None, None] * a).sum(0), 0)
    g2, g3 = g ** 2, g ** 3
    sum_a = a.sum(axis=(1, 2))
    aij = g2 / (2 * g2 + sum_a[:, None, None] * g3 + 1e-6)
    aij = np.where(g != 0, aij, 0)
    wpp = (np.maximum(g, 0) * aij).sum(axis=(1, 2))
    out["gradcampp"] = np.maximum((wpp[:, None, None] * a).sum(0), 0)
    wx = (g * a).sum(axis=(1, 2)) / (sum_a + 1e-7)
    out["xgradcam"] = np.maximum((wx[:, None, None] * a).sum(0), 0)
    out["hirescam"] = np.maximum((g * a).sum(0), 0)
    out["layercam"] = np.maximum((np.maximum(g, 0) * a).sum(0), 0)
    return out


def scale_like_pytorch_grad_cam(cam, size):
    cam = cam - cam.min()
    cam = cam / (1e-7 + cam.max())
    return cv2.resize(cam.astype(np.float32), (size, size))


def rounded(arr):
    return [float(f"{v:.8g}") for v in np.asarray(arr, dtype=np.float64).ravel()]


def export_classifier(name, make, seed, images):
    torch.manual_seed(seed)
    model = make()
    randomise_bn(model, seed)
    model.eval()
    path = os.path.join(ONNX_DIR, f"{name}.onnx")
    x0 = torch.zeros(1, 3, SIZE, SIZE)
    torch.onnx.export(model, x0, path, input_names=["input"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    ref = {"model": f"{name}.onnx", "labels": LABELS, "mean": MEAN, "std": STD, "size": SIZE, "images": {}}
    for img in images:
        x = to_tensor(load_rgb01(img), True)
        a = model.features(x)
        a.retain_grad()
        logits = model.head(a)
        c = int(logits[0].argmax())
        logits[0, c].backward()
        an, gn = a.detach()[0].numpy(), a.grad[0].numpy()
        maps = cam_family(an, gn)
        entry = {
            "logits": rounded(logits.detach()[0]),
            "probabilities": rounded(torch.softmax(logits.detach()[0], 0)),
            "target": c,
            "activationShape": list(an.shape),
            "raw": {k: rounded(v) for k, v in maps.items()},
            "gradcamScaled": rounded(scale_like_pytorch_grad_cam(maps["gradcam"], SIZE)),
        }
        ref["images"][img] = entry
    with open(os.path.join(ONNX_DIR, f"{name}.ref.json"), "w") as f:
        json.dump(ref, f)
    print("wrote", path)


# --- anomaly models ----------------------------------------------------------------------------
class AutoEncoderMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU())
        self.dec = nn.Sequential(nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 3, 4, 2, 1), nn.Sigmoid())

    def forward(self, x):
        return self.dec(self.enc(x))


def gaussian_blur(m, sigma):
    """anomalib GaussianBlur2d: kernel 2*int(4*sigma+0.5)+1, reflect padding, separable."""
    k = 2 * int(4.0 * sigma + 0.5) + 1
    xs = torch.arange(k, dtype=torch.float64) - k // 2
    w = torch.exp(-(xs ** 2) / (2 * sigma ** 2))
    w = w / w.sum()
    t = torch.from_numpy(m.astype(np.float64))[None, None]
    t = F.pad(t, (k // 2, k // 2, k // 2, k // 2), mode="reflect")
    t = F.conv2d(t, w.view(1, 1, 1, k))
    t = F.conv2d(t, w.view(1, 1, k, 1))
    return t[0, 0].numpy()


class FeatureDistance(nn.Module):
    """PaDiM-like toy: distance of fixed conv features to a stored mean, upsampled to the input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.register_buffer("mu", torch.randn(1, 8, 1, 1) * 0.1)

    def forward(self, x):
        d = ((self.conv(x) - self.mu) ** 2).sum(1, keepdim=True)
        return F.interpolate(d, size=x.shape[-2:], mode="bilinear", align_corners=False)


class AnomalibV2Like(nn.Module):
    """anomalib 2.x export contract: normalisation and thresholding in the graph, four named outputs."""

    def __init__(self, raw, t_img, t_pix, smin, smax, mmin, mmax):
        super().__init__()
        self.raw = raw
        self.t = (t_img, t_pix, smin, smax, mmin, mmax)

    def forward(self, x):
        t_img, t_pix, smin, smax, mmin, mmax = self.t
        amap = self.raw(x)
        score = amap.amax(dim=(1, 2, 3))
        nscore = torch.clamp((score - t_img) / (smax - smin) + 0.5, 0, 1)
        nmap = torch.clamp((amap - t_pix) / (mmax - mmin) + 0.5, 0, 1)
        return nscore, nscore > 0.5, nmap, nmap > 0.5


def export_anomaly(images):
    normals = [i for i in images if i.startswith("normal")]
    torch.manual_seed(11)
    ae = AutoEncoderMini().eval()
    path = os.path.join(ONNX_DIR, "ae-mini.onnx")
    torch.onnx.export(ae, torch.zeros(1, 3, SIZE, SIZE), path, input_names=["input"], output_names=["reconstruction"],
                      opset_version=13, dynamic_axes={"input": {0: "batch"}, "reconstruction": {0: "batch"}})
    sigma = 2.0
    ref = {"model": "ae-mini.onnx", "sigma": sigma, "images": {}}
    for img in images:
        x = to_tensor(load_rgb01(img), False)
        with torch.no_grad():
            r = ae(x)
        err = ((x - r) ** 2).mean(1)[0].numpy().astype(np.float64)
        sm = gaussian_blur(err, sigma)
        ref["images"][img] = {"score": float(sm.max()), "map": rounded(sm) if img == "defect_4.png" else None,
                              "rawMax": float(err.max())}
    with open(os.path.join(ONNX_DIR, "ae-mini.ref.json"), "w") as f:
        json.dump(ref, f)
    print("wrote", path)

    torch.manual_seed(12)
    raw = FeatureDistance().eval()
    with torch.no_grad():
        maps = [raw(to_tensor(load_rgb01(i), False))[0, 0].numpy() for i in normals]
    scores = [float(m.max()) for m in maps]
    pix = np.concatenate([m.ravel() for m in maps])
    meta = {
        "task": "segmentation",
        "image_threshold": float(np.mean(scores) + 2 * np.std(scores)),
        "pixel_threshold": float(np.percentile(pix, 99)),
        "pred_scores.min": float(min(scores)),
        "pred_scores.max": float(max(scores) * 1.5),
        "anomaly_maps.min": float(pix.min()),
        "anomaly_maps.max": float(pix.max() * 1.5),
    }
    v1dir = os.path.join(ONNX_DIR, "anomalib-v1")
    os.makedirs(v1dir, exist_ok=True)
    torch.onnx.export(raw, torch.zeros(1, 3, SIZE, SIZE), os.path.join(v1dir, "model.onnx"), input_names=["input"],
                      output_names=["output"], opset_version=14)
    with open(os.path.join(v1dir, "metadata.json"), "w") as f:
        json.dump(meta, f, indent=1)
    v2 = AnomalibV2Like(raw, meta["image_threshold"], meta["pixel_threshold"], meta["pred_scores.min"],
                        meta["pred_scores.max"], meta["anomaly_maps.min"], meta["anomaly_maps.max"]).eval()
    v2dir = os.path.join(ONNX_DIR, "anomalib-v2")
    os.makedirs(v2dir, exist_ok=True)
    torch.onnx.export(v2, torch.zeros(1, 3, SIZE, SIZE), os.path.join(v2dir, "model.onnx"), input_names=["input"],
                      output_names=["pred_score", "pred_label", "anomaly_map", "pred_mask"], opset_version=14)
    ref = {"metadata": meta, "images": {}}
    for img in images:
        rgb = load_rgb01(img)
        h, w = rgb.shape[:2]
        # anomalib resizes to the model input, then maps go back to the image size (cv2 bilinear).
        x = to_tensor(cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR) if (h, w) != (SIZE, SIZE) else rgb, False)
        with torch.no_grad():
            m = raw(x)[0, 0].numpy().astype(np.float64)
            s2, l2, m2, k2 = v2(x)
        score = float(m.max())
        norm_score = float(np.clip((score - meta["image_threshold"]) / (meta["pred_scores.max"] - meta["pred_scores.min"]) + 0.5, 0, 1))
        norm_map = np.clip((m - meta["pixel_threshold"]) / (meta["anomaly_maps.max"] - meta["anomaly_maps.min"]) + 0.5, 0, 1)
        ref["images"][img] = {
            "rawScore": score,
            "score": norm_score,
            "label": bool(score >= meta["image_threshold"]),
            "v2Score": float(s2[0]),
            "mapMean": float(norm_map.mean()),
            "mapMax": float(norm_map.max()),
            "size": [h, w],
        }
    with open(os.path.join(ONNX_DIR, "anomalib.ref.json"), "w") as f:
        json.dump(ref, f)
    print("wrote anomalib v1/v2")


def export_nan_model():
    """A classifier whose logits are log(mean − 2): NaN for every normal image, for error-path tests."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    two = numpy_helper.from_array(np.array([2.0], np.float32), name="two")
    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
         helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
         helper.make_node("Sub", ["flat", "two"], ["shifted"]),
         helper.make_node("Log", ["shifted"], ["logits"])],
        "nan_model",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
        initializer=[two],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(ONNX_DIR, "nan-model.onnx"))


def main():
    os.makedirs(ONNX_DIR, exist_ok=True)
    images = make_images()
    sq = [i for i in images]
    export_classifier("resnet-mini", ResNetMini, 1, sq)
    export_classifier("mobilenet-mini", MobileNetMini, 2, sq)
    export_classifier("densenet-mini", DenseNetMini, 3, sq)
    export_classifier("mlp-head", MlpHeadNet, 4, sq)
    export_classifier("sorted-head", SortedHeadNet, 5, sq[:2])
    export_anomaly(images + ["wide_defect.png"])
    export_nan_model()


if __name__ == "__main__":
    torch.set_grad_enabled(True)
    main()
