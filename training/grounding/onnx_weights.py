"""The demo grounding model as a PyTorch module, with its weights read from the shipped ONNX file.

The benchmark's PyTorch eager reference needs the model's own weights; the training checkpoint
(training/work/<pack>/model.pt) is a build output, not in the repository. The shipped
models/<pack>/onnx/model.onnx holds the same weights as initializers, so the reference is rebuilt
from it on a fresh clone, without a retrain:

  - initializers named after the module (`net.vis.weight`, `net.tok.weight`, …) load as they are;
  - torch.onnx.export folded each BatchNorm into the convolution before it (eval mode), leaving
    anonymous `onnx::Conv_*` weight/bias pairs: they are matched to the module's BN-followed convs
    in graph order, checked by shape, stride and dilation, and the BatchNorm is set to the identity
    (mean 0, variance 1 - eps, scale 1) with the folded bias as its shift;
  - the Linear layers became MatMul by an anonymous transposed weight followed by an Add of the
    named bias (`net.q.bias`): the Add names the layer.
Every module tensor must be filled and every initializer used, or this fails naming the one left.
`python3 training/grounding/onnx_weights.py` prints the mapping; the comparison with onnxruntime
is tests/unit/grounding/onnx-weights.test.ts.
"""
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net import GroundingStandIn  # noqa: E402


def _bn_convs(net):
    """(conv module name, conv, bn module name, bn) for every conv followed by a BatchNorm, in
    forward order: the three stem convs, then each residual block's."""
    out = []
    for i, seq in enumerate(net.stem):
        out.append((f"stem.{i}.0", seq[0], f"stem.{i}.1", seq[1]))
    for i, b in enumerate(net.blocks):
        out.append((f"blocks.{i}.conv", b.conv, f"blocks.{i}.bn", b.bn))
    return out


def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return list(onnx.helper.get_attribute_value(a))
    return default


def state_from_onnx(model, net):
    """A state dict for `net` from the ONNX graph's initializers (see the module docstring)."""
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    used = set()
    state = {}
    want = net.state_dict()

    def put(key, arr):
        if key not in want:
            raise ValueError(f"ONNX initializer maps to {key}, which the module does not have")
        if tuple(want[key].shape) != tuple(arr.shape):
            raise ValueError(f"{key}: module shape {tuple(want[key].shape)}, ONNX {tuple(arr.shape)}")
        state[key] = torch.from_numpy(np.array(arr, copy=True)).to(want[key].dtype)

    for name, arr in init.items():
        if name.startswith("net."):
            put(name[4:], arr)
            used.add(name)

    # Folded conv + BatchNorm pairs, in graph (= forward) order.
    folded = [n for n in model.graph.node if n.op_type == "Conv" and n.input[1] in init and not n.input[1].startswith("net.")]
    convs = _bn_convs(net)
    if len(folded) != len(convs):
        raise ValueError(f"{len(folded)} folded convolutions in the graph, the module has {len(convs)}")
    for node, (cname, conv, bname, bn) in zip(folded, convs):
        if _attr(node, "strides", [1, 1]) != list(conv.stride) or _attr(node, "dilations", [1, 1]) != list(conv.dilation):
            raise ValueError(f"graph conv {node.name} (strides {_attr(node, 'strides', [1, 1])}, dilations {_attr(node, 'dilations', [1, 1])}) does not match {cname}")
        put(f"{cname}.weight", init[node.input[1]])
        bias = init[node.input[2]]
        put(f"{bname}.bias", bias)
        put(f"{bname}.weight", np.ones_like(bias))
        put(f"{bname}.running_mean", np.zeros_like(bias))
        put(f"{bname}.running_var", np.full_like(bias, 1.0 - bn.eps))
        state[f"{bname}.num_batches_tracked"] = torch.zeros((), dtype=torch.long)
        used.update(node.input[1:3])

    # Linear layers: MatMul(x, W^T) -> Add(net.<layer>.bias).
    consumers = {}
    for n in model.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    for n in model.graph.node:
        if n.op_type != "MatMul" or n.input[1] not in init or n.input[1] in used:
            continue
        adds = [a for a in consumers.get(n.output[0], []) if a.op_type == "Add"]
        bias = [i for a in adds for i in a.input if i.startswith("net.") and i.endswith(".bias")]
        if len(bias) != 1:
            raise ValueError(f"MatMul {n.name} ({n.input[1]}) is not followed by one named bias Add")
        put(bias[0][4:-5] + ".weight", init[n.input[1]].T)
        used.add(n.input[1])

    missing = sorted(set(want) - set(state))
    unused = sorted(set(init) - used)
    if missing or unused:
        raise ValueError(f"module tensors not in the ONNX file: {missing}; ONNX initializers not mapped: {unused}")
    return state


def load_from_onnx(onnx_path, mc):
    """GroundingStandIn of the config's `model` section, eval mode, weights from `onnx_path`."""
    net = GroundingStandIn(mc["width"], tuple(mc["dilations"]), mc["embed"], mc["token_dim"], mc["queries"], mc["max_text_len"])
    net.load_state_dict(state_from_onnx(onnx.load(str(onnx_path)), net))
    return net.eval()


if __name__ == "__main__":
    import yaml

    root = Path(__file__).resolve().parents[2]
    cfg = yaml.safe_load(open(root / "training" / "configs" / "defects-grounding.yaml"))
    path = sys.argv[1] if len(sys.argv) > 1 else root / "models" / "defects-grounding" / "onnx" / "model.onnx"
    net = load_from_onnx(path, cfg["model"])
    print(f"{path}: {sum(p.numel() for p in net.parameters()):,} parameters loaded into GroundingStandIn")
