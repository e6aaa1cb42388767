#!/bin/bash
# The input guard of the shipped classifier, anomaly, segmentation and grounding packs (docs/PACKS.md "Input guard"): held-out sets, then
# `inspector pack guard` per pack — fit on the validation split, false alarms on the test split,
# detection on the other packs' data and samples and on unrelated images — written into the pack
# (pack.yaml `guard`, guard.json) with --write. Run after training/package.py:
#   bash training/guard.sh [--write]
# Needs ../shared/data and Debian's python3-opencv/numpy (for the held-out battery views).
set -euo pipefail
cd "$(dirname "$0")/.."
nice -n 10 /usr/bin/python3 training/guard_sets.py
G=training/work/guard
D=../shared/data
for spec in battery-ct-porosity:ct chest-xray-pneumonia:xray surface-pitting-ae:rgb; do
  P=${spec%%:*}; MOD=${spec##*:}
  F=()
  [ "$P" != chest-xray-pneumonia ] && F+=(--foreign "chest-xray=$D/chest-xray-nih")
  [ "$P" != surface-pitting-ae ] && F+=(--foreign "bsdata=$D/bsdata/images")
  [ "$P" != battery-ct-porosity ] && F+=(--foreign "battery-views=$G/battery-ct-porosity/test")
  F+=(--foreign "battery-volume=$D/battery-xct/volume" --foreign "deeppcb=$D/deeppcb" --foreign "dicom=$D/dicom")
  for o in battery-ct-porosity chest-xray-pneumonia surface-pitting-ae; do
    [ "$o" != "$P" ] && F+=(--foreign "samples-$o=resources/samples/$o")
  done
  nice -n 10 node bin/inspector.js pack guard "models/$P" --calibrate "$G/$P/val" --own "$G/$P/test" "${F[@]}" \
    --limit 150 --dicom-modality "$MOD" "$@"
done
# surface-pitting-seg: its own held-out sets by its build's selection (training/segmentation/guard_sets.py).
nice -n 10 /usr/bin/python3 training/segmentation/guard_sets.py
F=(--foreign "chest-xray=$D/chest-xray-nih" --foreign "battery-volume=$D/battery-xct/volume" --foreign "deeppcb=$D/deeppcb" --foreign "dicom=$D/dicom"
   --foreign "samples-battery-ct-porosity=resources/samples/battery-ct-porosity" --foreign "samples-chest-xray-pneumonia=resources/samples/chest-xray-pneumonia")
nice -n 10 node bin/inspector.js pack guard models/surface-pitting-seg --calibrate "$G/surface-pitting-seg/val" --own "$G/surface-pitting-seg/test" "${F[@]}" \
  --limit 150 --dicom-modality rgb "$@"
# defects-grounding: three training domains, held out by its build (training/grounding/guard_sets.py);
# the envelope is the union of the per-domain envelopes (image statistics, no model run; docs/PACKS.md).
# Foreign: only what lies outside all three domains (battery volume, DeepPCB and BSData are its own).
nice -n 10 /usr/bin/python3 training/grounding/guard_sets.py
GG=$G/defects-grounding
nice -n 10 node bin/inspector.js pack guard models/defects-grounding \
  --calibrate "pcb=$GG/pcb/val" --calibrate "ct=$GG/ct/val" --calibrate "surface=$GG/surface/val" \
  --own "pcb=$GG/pcb/test" --own "ct=$GG/ct/test" --own "surface=$GG/surface/test" \
  --foreign "chest-xray=$D/chest-xray-nih" --foreign "dicom=$D/dicom" --foreign "samples-chest-xray-pneumonia=resources/samples/chest-xray-pneumonia" \
  --limit 150 --dicom-modality ct "$@"
