"""ONNX export shared by the packs: opset 17, NCHW float32, fixed batch of 1, checked after saving."""
import onnx
import torch


def export(model, example, path, input_name, output_names, opset=17):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(
            model,
            example,
            str(path),
            input_names=[input_name],
            output_names=list(output_names),
            opset_version=opset,
            do_constant_folding=True,
        )
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    return m
