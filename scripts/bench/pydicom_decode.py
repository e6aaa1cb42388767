#!/usr/bin/python3
"""Reference timings for scripts/bench/decode.ts: decode each file's pixel data with Debian's
pydicom (numpy/pillow handlers) `repeat` times and print JSON {path: seconds per decode or error}.

Usage: /usr/bin/python3 scripts/bench/pydicom_decode.py <repeat> <file>...
"""
import json
import sys
import time
import warnings

import pydicom

warnings.simplefilter("ignore")


def main(repeat, paths):
    out = {}
    for path in paths:
        try:
            raw = open(path, "rb").read()
            from io import BytesIO
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                ds = pydicom.dcmread(BytesIO(raw))
                ds.pixel_array  # noqa: B018 - decoding is the point
                best = min(best, time.perf_counter() - t0)
            out[path] = best
        except Exception as e:  # noqa: BLE001 - unsupported syntaxes are reported, not fatal
            out[path] = type(e).__name__
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
