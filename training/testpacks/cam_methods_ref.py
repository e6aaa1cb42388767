"""Reference maps for the explanation methods of issue #15, at several target layers and fused.

For each test classifier (tests/fixtures/packs/onnx/*.onnx, plain torch.onnx.export), the ONNX
graph is evaluated with PyTorch ops (training/lib/onnx_torch.py, checked here against the
PyTorch models' own logits in <model>.ref.json) and PyTorch autograd gives the gradient of the
class score at each chosen layer. Every map is then computed to pytorch-grad-cam's definitions,
re-implemented here independently of the app (the package is not installable offline):
grad_cam, grad_cam_plusplus, xgrad_cam, hirescam, layer_cam, grad_cam_elementwise,
eigen_grad_cam (get_2d_projection of grads·activations), finer_cam (FinerWeightedTarget, alpha 1,
the 3 nearest classes), eigen_cam, fem (k = 2), kpca_cam (sklearn KernelPCA, sigmoid kernel,
the peer's own dependency), ablation_cam (AblationLayer: channel set to 0, the score re-computed);
each ReLU'd as base_cam does. Fused maps: BaseCAM.compute_cam_per_layer + aggregate_multi_layers
(per layer min-max + cv2.resize to the input, mean, min-max).

The EigenCAM-family SVD sign is arbitrary in the peer; both sides fix it so the projection agrees
with the channel sum of the decomposed matrix (src/core/explain/cams.ts eigenCam).

Run from the repository root: /usr/bin/python3 training/testpacks/cam_methods_ref.py
Writes tests/fixtures/packs/onnx/cam-methods.ref.json (deterministic).
"""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.decomposition import KernelPCA  # noqa: E402

from export_testpacks import load_rgb01, to_tensor, rounded  # noqa: E402
from lib.onnx_torch import OnnxTorch  # noqa: E402

ONNX = "tests/fixtures/packs/onnx"
LAYERS = {
    "resnet-mini": ["/layer1/Relu_1_output_0", "/layer2/Relu_1_output_0", "/layer3/Relu_1_output_0"],
    "mobilenet-mini": ["/body/body.3/Add_output_0", "/body/body.5/Add_output_0", "/body/body.9/Clip_output_0"],
    "densenet-mini": ["/stem/stem.2/Relu_output_0", "/dense/dense.1/Concat_output_0", "/Relu_output_0"],
    "mlp-head": ["/body/body.1/Relu_output_0", "/body/body.4/Relu_output_0", "/body/body.6/Relu_output_0"],
}
IMAGES = ["defect_4.png", "normal_0.png"]
GRADIENT = ["gradcam", "gradcampp", "xgradcam", "hirescam", "layercam", "gradcamelementwise", "eigengradcam", "finercam"]
FORWARD = ["eigencam", "fem", "kpcacam", "ablationcam"]
FUSED = ["gradcam", "layercam", "hirescam"]


def projection(m):
    """get_2d_projection of one (K, h, w) array, sign agreeing with the channel sum."""
    k = m.shape[0]
    x = m.reshape(k, -1).T.astype(np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=True)
    p = x @ vt[0]
    if p @ m.reshape(k, -1).sum(0) < 0:
        p = -p
    return p.reshape(m.shape[1:])


def grad_maps(a, g, method):
    if method in ("gradcam", "finercam"):
        return (g.mean((1, 2))[:, None, None] * a).sum(0)
    if method == "gradcampp":
        g2, g3 = g ** 2, g ** 3
        sa = a.sum((1, 2))
        aij = np.where(g != 0, g2 / (2 * g2 + sa[:, None, None] * g3 + 1e-6), 0)
        return ((np.maximum(g, 0) * aij).sum((1, 2))[:, None, None] * a).sum(0)
    if method == "xgradcam":
        return (((g * a).sum((1, 2)) / (a.sum((1, 2)) + 1e-7))[:, None, None] * a).sum(0)
    if method == "hirescam":
        return (g * a).sum(0)
    if method == "layercam":
        return (np.maximum(g, 0) * a).sum(0)
    if method == "gradcamelementwise":
        return np.maximum(g * a, 0).sum(0)
    if method == "eigengradcam":
        return projection(g * a)
    raise ValueError(method)


def fem(a, k=2):
    th = a.mean((1, 2)) + k * a.std((1, 2))
    w = (a > th[:, None, None]).mean((1, 2))
    return (w[:, None, None] * a).sum(0)


def kpca(a):
    x = a.reshape(a.shape[0], -1).T.astype(np.float64)
    x = x - x.mean(axis=0)
    return KernelPCA(n_components=1, kernel="sigmoid").fit_transform(x).reshape(a.shape[1:])


def finer_target(z, c, alpha=1.0):
    """FinerWeightedTarget over the 3 classes whose logits are nearest the target's."""
    zd = z.detach().numpy()
    order = [j for j in np.argsort(np.abs(zd - zd[c]), kind="stable") if j != c][:3]
    p = torch.softmax(z, -1)
    num = sum(p[j] * (z[c] - alpha * z[j]) for j in order)
    return num / (sum(p[j] for j in order) + 1e-9)


def scale(cam, size=None):
    cam = cam - cam.min()
    cam = cam / (1e-7 + cam.max())
    return cv2.resize(cam.astype(np.float32), size) if size else cam


def main():
    torch.set_num_threads(1)
    out = {"images": IMAGES, "layers": LAYERS, "models": {}}
    for model, layers in LAYERS.items():
        net = OnnxTorch(os.path.join(ONNX, f"{model}.onnx"))
        ref = json.load(open(os.path.join(ONNX, f"{model}.ref.json")))
        entry = {}
        for img in IMAGES:
            x = to_tensor(load_rgb01(img), True)
            v = net.run(x, keep=set(layers))
            z = v[net.output][0]
            assert np.abs(z.detach().numpy() - np.array(ref["images"][img]["logits"])).max() < 1e-4, "ONNX-in-torch != PyTorch model"
            c = int(z.argmax())
            z[c].backward(retain_graph=True)
            acts = {L: v[L].detach()[0].numpy().astype(np.float64) for L in layers}
            grads = {L: v[L].grad[0].numpy().astype(np.float64) for L in layers}
            for L in layers:
                v[L].grad = None
            finer_target(z, c).backward()
            fgrads = {L: v[L].grad[0].numpy().astype(np.float64) for L in layers}
            maps = {}
            for L in layers:
                a, g = acts[L], grads[L]
                m = {me: grad_maps(a, fgrads[L] if me == "finercam" else g, me) for me in GRADIENT}
                m["eigencam"] = projection(a)
                m["fem"] = fem(a)
                m["kpcacam"] = kpca(a)
                # Ablation: each channel set to 0 (ReLU-like layers, min 0) or to min - 1e7, score
                # re-computed. (The peer's AblationLayer takes the min over the batch it is
                # modifying, so from the 2nd channel of a batch on it drifts by another -1e7; the
                # app and this reference use the image's own min for every channel.)
                k = a.shape[0]
                a32 = v[L].detach()[0].numpy()
                value = 0.0 if a32.min() == 0 else float(a32.min()) - 1e7
                ab = torch.from_numpy(np.repeat(a32[None], k, 0).copy())
                for ch in range(k):
                    ab[ch, ch] = value
                with torch.no_grad():
                    s_ab = net.run(x.repeat(k, 1, 1, 1), replace={L: ab})[net.output][:, c].numpy().astype(np.float64)
                score = float(z[c])
                w = (score - s_ab) / score
                m["ablationcam"] = (w[:, None, None] * a).sum(0)
                maps[L] = {me: rounded(np.maximum(mp, 0)) for me, mp in m.items()}
                maps[L]["shape"] = list(a.shape)
            fused = {}
            if img == IMAGES[0]:
                for me in FUSED:
                    per = [scale(np.maximum(grad_maps(acts[L], grads[L], me), 0), (64, 64)) for L in layers]
                    fused[me] = rounded(scale(np.maximum(np.mean(per, 0), 0)))
            entry[img] = {"target": c, "logits": rounded(z.detach()), "maps": maps, "fused": fused}
        out["models"][model] = entry
        print("ok", model)
    with open(os.path.join(ONNX, "cam-methods.ref.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
