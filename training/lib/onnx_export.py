"""ONNX export shared by the packs: opset 17, NCHW float32, batch 1 or dynamic, checked after saving."""
import onnx
import torch


def export(model, example, path, input_name, output_names, opset=17, dynamic_batch=False):
    model.eval()
    # A dynamic batch axis lets the app batch images (pack calibration runs 8 at a time).
    axes = {n: {0: "batch"} for n in [input_name, *output_names]} if dynamic_batch else None
    with torch.no_grad():
        torch.onnx.export(
            model,
            example,
            str(path),
            input_names=[input_name],
            output_names=list(output_names),
            opset_version=opset,
            do_constant_folding=True,
            dynamic_axes=axes,
        )
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    return m
