"""PyTorch side of the Grad-CAM benchmark (scripts/bench/gradcam.ts).

  export OUT N      build ResNet-34 (torchvision, fixed seed, random weights: no downloads here), save its
                    weights and a plain torch.onnx.export, and N 224x224 RGB PNG test images
  eager OUT         plain PyTorch eager inference over the images (softmax), one image at a time
  gradcam OUT       the prototype's stack: pytorch-grad-cam's recipe (forward hook on layer4 + tensor
                    gradient hook, backward of the top logit, alpha = mean gradient, ReLU, per-image
                    min-max, cv2 bilinear resize to 224), written out because its dependency ttach is
                    not installable here; one image at a time as the prototype ran it

Prints one JSON line: {"images": n, "loopSeconds": t, "maps": {...first 4 raw 7x7 maps...}}.
"""
import glob
import json
import os
import sys
import time

import cv2
import numpy as np
import torch
import torchvision

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def model_from(out):
    m = torchvision.models.resnet34()
    m.load_state_dict(torch.load(os.path.join(out, "resnet34.pt")))
    return m.eval()


def images(out):
    return sorted(glob.glob(os.path.join(out, "images", "*.png")))


def load(path):
    rgb = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return torch.from_numpy(((rgb - MEAN) / STD).transpose(2, 0, 1)[None].copy())


def export(out, n):
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    torch.manual_seed(0)
    m = torchvision.models.resnet34().eval()
    torch.save(m.state_dict(), os.path.join(out, "resnet34.pt"))
    torch.onnx.export(m, torch.zeros(1, 3, 224, 224), os.path.join(out, "resnet34.onnx"), input_names=["input"],
                      output_names=["logits"], opset_version=13, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    shared = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "chest-xray-nih")
    src = sorted(glob.glob(os.path.join(shared, "normal", "*.jpg")))[: n // 2] + sorted(glob.glob(os.path.join(shared, "pneumonia", "*.jpg")))[: n - n // 2]
    rng = np.random.default_rng(0)
    for i in range(n):
        if i < len(src):
            img = cv2.resize(cv2.imread(src[i], cv2.IMREAD_COLOR), (224, 224), interpolation=cv2.INTER_AREA)
        else:  # no ../shared here: textured noise keeps the benchmark runnable
            img = (rng.random((224, 224, 3)) * 255).astype(np.uint8)
        cv2.imwrite(os.path.join(out, "images", f"img_{i:03d}.png"), img)
    print(json.dumps({"exported": n, "fromShared": len(src) > 0}))


def eager(out):
    m = model_from(out)
    files = images(out)
    t0 = time.perf_counter()
    with torch.no_grad():
        for f in files:
            torch.softmax(m(load(f)), 1)
    print(json.dumps({"images": len(files), "loopSeconds": time.perf_counter() - t0, "threads": torch.get_num_threads()}))


def gradcam(out):
    m = model_from(out)
    files = images(out)
    store = {}

    def fwd_hook(_module, _inp, output):
        store["a"] = output.detach()

        def grad_hook(g):
            store["g"] = g.detach()

        output.register_hook(grad_hook)

    handle = m.layer4.register_forward_hook(fwd_hook)
    maps = {}
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        x = load(f)
        logits = m(x)
        torch.softmax(logits.detach(), 1)
        c = int(logits[0].argmax())
        m.zero_grad()
        logits[0, c].backward(retain_graph=True)
        a, g = store["a"][0].numpy(), store["g"][0].numpy()
        w = g.mean(axis=(1, 2))
        cam = np.maximum((w[:, None, None] * a).sum(0), 0)
        if i < 4:
            maps[os.path.basename(f)] = [float(v) for v in cam.ravel()]
        scaled = cam - cam.min()
        scaled = scaled / (1e-7 + scaled.max())
        cv2.resize(scaled.astype(np.float32), (224, 224))
    handle.remove()
    print(json.dumps({"images": len(files), "loopSeconds": time.perf_counter() - t0, "threads": torch.get_num_threads(), "maps": maps}))


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "export":
        export(out, int(sys.argv[3]))
    elif mode == "eager":
        eager(out)
    else:
        gradcam(out)
