"""Evaluates a plain ONNX classifier graph with PyTorch ops, so PyTorch autograd gives the gradient
of any class score with respect to any intermediate tensor of the exported graph.

Used as the reference the app's explanations are compared with (tests/unit/explain/, the
battery-CT layer measurement): the app computes the same gradients from the same ONNX graph in
TypeScript (src/core/explain/ops.ts); here they come from torch.nn.functional and autograd,
an independent implementation. Only the operators the shipped and test classifiers use.
"""
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxTorch:
    def __init__(self, path):
        self.model = onnx.load(path)
        g = self.model.graph
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.nodes = list(g.node)
        self.input = g.input[0].name
        self.output = g.output[0].name

    def four_d(self, x):
        """Names of every 4-D tensor a forward pass on x produces, in graph order."""
        vals = self.run(x)
        return [n.output[0] for n in self.nodes if n.output[0] in vals and vals[n.output[0]].dim() == 4]

    def run(self, x, keep=(), replace=None):
        """Forward pass; tensors named in `keep` retain their gradient for a later backward();
        `replace` {name: tensor} substitutes a node's output (Ablation-CAM's ablated activation)."""
        v = dict(self.consts)
        if keep and not x.requires_grad:
            x = x.clone().requires_grad_(True)
        v[self.input] = x
        for n in self.nodes:
            a = _attrs(n)
            ins = [v[i] if i else None for i in n.input]
            op = n.op_type
            if op == "Constant":
                out = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            elif op == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise NotImplementedError("asymmetric pads")
                out = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", [1, 1]),
                               padding=(pads[0], pads[1]), dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
            elif op == "Relu":
                out = F.relu(ins[0])
            elif op == "Clip":
                lo = float(ins[1]) if len(ins) > 1 and ins[1] is not None else a.get("min", -np.inf)
                hi = float(ins[2]) if len(ins) > 2 and ins[2] is not None else a.get("max", np.inf)
                out = F.hardtanh(ins[0], lo, hi)
            elif op == "Add":
                out = ins[0] + ins[1]
            elif op == "Sub":
                out = ins[0] - ins[1]
            elif op == "Mul":
                out = ins[0] * ins[1]
            elif op == "Div":
                out = ins[0] / ins[1]
            elif op == "MaxPool":
                pads = a.get("pads", [0, 0, 0, 0])
                out = F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]), (pads[0], pads[1]),
                                   ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "BatchNormalization":
                out = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Concat":
                out = torch.cat(ins, a["axis"])
            elif op == "GlobalAveragePool":
                out = ins[0].mean(dim=(2, 3), keepdim=True)
            elif op == "ReduceMean":
                axes = a.get("axes") or [int(i) for i in ins[1]]
                out = ins[0].mean(dim=tuple(axes), keepdim=bool(a.get("keepdims", 1)))
            elif op == "Flatten":
                out = torch.flatten(ins[0], a.get("axis", 1))
            elif op == "Gemm":
                A = ins[0].t() if a.get("transA", 0) else ins[0]
                B = ins[1].t() if a.get("transB", 0) else ins[1]
                out = a.get("alpha", 1.0) * (A @ B)
                if len(ins) > 2 and ins[2] is not None:
                    out = out + a.get("beta", 1.0) * ins[2]
            elif op == "MatMul":
                out = ins[0] @ ins[1]
            elif op in ("Identity", "Dropout"):
                out = ins[0]
            else:
                raise NotImplementedError(op)
            name = n.output[0]
            if replace and name in replace:
                out = replace[name]
            if name in keep:
                out.retain_grad()
            v[name] = out
        return v
