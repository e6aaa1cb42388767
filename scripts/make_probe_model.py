"""Writes resources/probe/probe.onnx: Y = Relu(X + B), float32 [1, 8].

`inspector doctor` and the engine try each execution provider by creating a session on this model
with CPU fallback disabled and running it once: a provider counts as usable only if that works.
Ops are the most basic every EP implements, so a failure means the EP itself is unusable.
Run: /usr/bin/python3 scripts/make_probe_model.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

b = numpy_helper.from_array(np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8), name="B")
graph = helper.make_graph(
    [helper.make_node("Add", ["X", "B"], ["S"]), helper.make_node("Relu", ["S"], ["Y"])],
    "inspector_probe",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 8])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 8])],
    initializer=[b],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="inspector")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "resources/probe/probe.onnx")
print("wrote resources/probe/probe.onnx")
