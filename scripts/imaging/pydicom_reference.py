#!/usr/bin/python3
"""Decode every DICOM file under a folder with Debian's pydicom and print, per file, its geometry
and the SHA-256 of each decoded frame (little-endian bytes of the natural typed array, stored
values before the modality LUT): the oracle the TypeScript decoder is checked against.

Usage: /usr/bin/python3 scripts/imaging/pydicom_reference.py <dir> > out.json
"""
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import pydicom

warnings.simplefilter("ignore")


def frame_hashes(ds):
    arr = ds.pixel_array
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames == 1:
        arr = arr[np.newaxis, ...]
    arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    return [hashlib.sha256(np.ascontiguousarray(f).tobytes()).hexdigest() for f in arr], str(arr.dtype), list(arr.shape)


def describe(path):
    try:
        return describe_dataset(path)
    except Exception as e:  # noqa: BLE001 - malformed attributes are part of what is recorded
        return {"read_error": type(e).__name__}


def describe_dataset(path):
    out = {}
    try:
        ds = pydicom.dcmread(path)
    except Exception as e:  # noqa: BLE001 - the oracle records the failure kind
        try:
            ds = pydicom.dcmread(path, force=True)
            out["forced"] = True
        except Exception as e2:  # noqa: BLE001
            return {"read_error": type(e2).__name__}
    meta = getattr(ds, "file_meta", None)
    ts = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    out["transfer_syntax"] = str(ts) if ts else None
    for key, attr in [("rows", "Rows"), ("columns", "Columns"), ("samples", "SamplesPerPixel"),
                      ("bits_allocated", "BitsAllocated"), ("bits_stored", "BitsStored"),
                      ("pixel_representation", "PixelRepresentation"), ("photometric", "PhotometricInterpretation")]:
        v = ds.get(attr)
        out[key] = (str(v) if key == "photometric" else int(v)) if v is not None and v != "" else None
    out["frames"] = int(ds.get("NumberOfFrames", 1) or 1)
    out["has_pixels"] = any(t in ds for t in (0x7FE00010, 0x7FE00008, 0x7FE00009))
    if out["has_pixels"]:
        try:
            hashes, dtype, shape = frame_hashes(ds)
            out["frame_sha256"] = hashes
            out["dtype"] = dtype
            out["shape"] = shape
        except Exception as e:  # noqa: BLE001
            out["decode_error"] = type(e).__name__
    return out


def main(root):
    result = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            result[os.path.relpath(path, root)] = describe(path)
    json.dump(dict(sorted(result.items())), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
