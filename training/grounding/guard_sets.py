"""Held-out image sets for the input guard of the grounding pack (models/defects-grounding):
training/work/guard/defects-grounding/<domain>/{val,test}/, one folder per training domain, so the
guard's envelope is the union of per-domain envelopes (docs/PACKS.md "Input guard"). Only images the
pack's build never trained on (training/grounding/domains.py, MODEL_CARD.md):
  pcb:     DeepPCB test.txt (the build trains on train.txt), tested images; even rows val, odd test
  ct:      battery-ct-porosity's views of held-out slice 2 (the build trains on slice 1):
           the battery pack's guard val (left half) and test (right half) views
  surface: surface-pitting-ae's test series (the build trains on every other series); even val, odd test
The guard is fitted on `val`; its false-alarm rate is measured on `test`, which it never sees.
Run: nice -n 10 /usr/bin/python3 training/grounding/guard_sets.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from guard_sets import battery, fresh, link  # noqa: E402
from lib.common import WORK, load_config, log, require_data  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
OUT = WORK / "guard" / "defects-grounding"


def halves(domain, paths):
    for part, picked in (("val", paths[0::2]), ("test", paths[1::2])):
        d = fresh(OUT / domain / part)
        for p in picked:
            link(d, p)
        log(f"defects-grounding {domain}: {part} {len(picked)}")


def pcb():
    root = require_data("deeppcb")
    rows = [ln.split()[0] for ln in (root / "test.txt").read_text().split("\n") if ln.strip()]
    halves("pcb", [root / f"{r[: -len('.jpg')]}_test.jpg" for r in rows])


def surface():
    from surface_ae.data import classify_photos
    cfg = load_config(CONFIGS / "surface-pitting-ae.yaml")
    root = require_data(cfg["data"]["root"])
    test_s = set(cfg["data"]["test_series"])
    stems = [s for s, (ser, st) in sorted(classify_photos(root).items()) if ser in test_s and st in ("normal", "pitting")]
    halves("surface", [root / "images" / f"{s}.jpg" for s in stems])


def ct():
    battery()  # writes training/work/guard/battery-ct-porosity/{val,test} (slice 2 only)
    src = WORK / "guard" / "battery-ct-porosity"
    for part in ("val", "test"):
        d = fresh(OUT / "ct" / part)
        files = sorted(p for p in (src / part).iterdir() if p.suffix == ".png")
        for p in files:
            link(d, p.resolve())
        log(f"defects-grounding ct: {part} {len(files)}")


if __name__ == "__main__":
    pcb()
    surface()
    ct()
