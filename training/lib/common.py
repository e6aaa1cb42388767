"""Seeds, config loading and paths: the fixed plumbing every pack build shares.

Rule from the design notes: code stays fixed, experiments change by config. Every number a
build depends on (seeds, sizes, epochs, k) comes from training/configs/<pack>.yaml.
"""
import json
import os
import random
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
WORK = REPO / "training" / "work"


def load_config(path):
    with open(path, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    cfg["_config_path"] = str(Path(path).resolve().relative_to(REPO))
    return cfg


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # Determinism on CPU: single-process data, fixed thread count, deterministic kernels.
    torch.use_deterministic_algorithms(True, warn_only=True)


def limit_threads(n):
    # The build box is shared; more threads only fight the other users for the same cores.
    torch.set_num_threads(n)
    os.environ.setdefault("OMP_NUM_THREADS", str(n))


def work_dir(pack):
    d = WORK / pack
    d.mkdir(parents=True, exist_ok=True)
    return d


def require_data(*parts):
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        sys.exit(f"missing shared data: {p} (the pack builds need ../shared/data)")
    return p


def save_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def log(msg):
    print(msg, flush=True)


def training_seconds(wd, reuse, started):
    """Wall time of the training phase; with --reuse-weights, the time the weights took to train
    (recorded when they were trained), so the card's runtime stays the cost of a full rebuild."""
    record = wd / "training_run.json"
    if reuse:
        return json.loads(record.read_text())["train_s"] if record.exists() else float("nan")
    import time
    t = time.time() - started
    save_json(record, {"train_s": round(t)})
    return t
