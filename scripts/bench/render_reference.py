"""Reference for scripts/bench/render.ts: NumPy windowing of the same 2048² 16-bit frame at full
resolution (LUT take), the way a Python viewer would do it, timed over several runs. Prints JSON."""
import json
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
rng = np.random.default_rng(1)
frame = (rng.integers(0, 4096, size=(n, n))).astype(np.uint16)
times = []
for i in range(15):
    c, w = 1000.0 + i, 2000.0 + 2 * i
    t0 = time.perf_counter()
    x = np.arange(65536, dtype=np.float32)
    lut = np.clip(((x - (c - 0.5)) / (w - 1) + 0.5) * 255, 0, 255).astype(np.uint8)
    grey = lut[frame]
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"median_ms": times[len(times) // 2], "p95_ms": times[int(len(times) * 0.95) - 1], "checksum": int(grey[::97, ::89].sum())}))
