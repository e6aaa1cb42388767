"""Writes resources/samples/: a handful of real cases per demo pack (normal and defective), with
DICOM where it fits, plus ground truth, so `inspector inspect` has something real out of the box.

Only held-out material is used (never a training image), and only files whose licence allows
redistribution; resources/samples/ATTRIBUTION.md says where each file comes from.
Run after the three builds: /usr/bin/python3 training/samples.py
"""
import datetime
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pydicom  # noqa: E402
from pydicom.dataset import FileDataset, FileMetaDataset  # noqa: E402
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid  # noqa: E402

from battery_ct.voids import cell_region, insert_voids, load_slice  # noqa: E402
from lib.common import REPO, WORK, load_config, log, require_data  # noqa: E402
from surface_ae.data import pitting_mask  # noqa: E402

OUT = REPO / "resources" / "samples"
GT = OUT / "ground-truth"
# Deterministic UIDs: the same samples get the same identities on every rebuild.
UID_ROOT = "1.2.826.0.1.3680043.8.498."


def uid(*parts):
    return generate_uid(prefix=UID_ROOT, entropy_srcs=["inspector-samples", *map(str, parts)])


def battery():
    cfg = load_config(REPO / "training" / "configs" / "battery-ct-porosity.yaml")
    d = require_data(cfg["data"]["slices"])
    img, winding = load_slice(d / "im_2.png", d / "mask_2.png")
    region = cell_region(winding, cfg["data"]["region_close_px"], cfg["data"]["region_erode_px"])
    out = OUT / "battery-ct-porosity"
    (out / "dicom-series").mkdir(parents=True, exist_ok=True)
    (GT / "battery-ct-porosity").mkdir(parents=True, exist_ok=True)
    # 160 px regions of the held-out right half of slice 2: at the model's input size, so the app
    # feeds them unresized. (top, left) chosen inside the jelly roll, away from the core.
    rois = [("normal_1", (80, 330), False), ("normal_2", (330, 380), False),
            ("porosity_1", (200, 400), True), ("porosity_2", (60, 300), True)]
    rng = np.random.default_rng(cfg["seed"] + 7)
    series_uid, study_uid = uid("battery", "series"), uid("battery", "study")
    written = []
    for i, (name, (top, left), defective) in enumerate(rois):
        view = img[top:top + 160, left:left + 160]
        reg = region[top:top + 160, left:left + 160]
        mask = np.zeros_like(reg)
        if defective:
            view, mask = insert_voids(view, reg, rng, cfg["view"]["voids"], min_radius_px=3.0)
        px = np.round(view * 65535).astype(np.uint16)
        cv2.imwrite(str(out / f"ct_slice2_{name}.png"), px)
        if defective:
            cv2.imwrite(str(GT / "battery-ct-porosity" / f"ct_slice2_{name}_voids.png"), mask.astype(np.uint8) * 255)
        write_ct(out / "dicom-series" / f"ct_slice2_{name}.dcm", px, i + 1, (top, left), series_uid, study_uid)
        written.append((name, int(mask.sum())))
    log(f"battery samples: {written}")


def write_ct(path, px, number, origin, series_uid, study_uid):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = uid("battery", path.name)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_ROOT + "1"
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.FrameOfReferenceUID = uid("battery", "frame")
    ds.Modality = "CT"
    ds.Manufacturer = "UCL battery_xct_workflows (MIT); regions prepared by Inspector"
    ds.PatientName, ds.PatientID = "BATTERY^CELL^DEMO", "CELL-DEMO-1"
    ds.StudyDescription = "Li-ion cell X-ray CT, held-out slice 2 (demo)"
    ds.SeriesDescription = "Winding ROIs 160 px; porosity_* have inserted voids"
    ds.StudyDate = ds.SeriesDate = "20250101"
    ds.StudyTime = "120000"
    ds.SeriesNumber, ds.InstanceNumber = 1, number
    ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
    ds.ImageComments = path.stem
    ds.ImagePositionPatient = [float(origin[1]), float(origin[0]), 0.0]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing = [1.0, 1.0]
    ds.SliceThickness = 1.0
    ds.Rows, ds.Columns = px.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"
    # A window over the whole stored range: the app feeds DICOM to models as displayed with the
    # default window, and this one reproduces the model's 16-bit scaling (value / 65535).
    ds.WindowCenter, ds.WindowWidth = 32768, 65536
    ds.PixelData = px.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(str(path), write_like_original=False)


def surface():
    res = json.loads((WORK / "surface-pitting-ae" / "results.json").read_text())
    root = require_data("bsdata")
    out = OUT / "surface-pitting-ae"
    out.mkdir(parents=True, exist_ok=True)
    (GT / "surface-pitting-ae").mkdir(parents=True, exist_ok=True)
    labelled = {p.stem for p in (root / "labels").glob("*.json")}
    test = res["test_stems"]
    normal = [s for s in test if s not in labelled]
    pitted = [s for s in test if s in labelled]
    # Spread over the test period: an early and a late normal, a mid and a late pitted photo.
    picks = [normal[0], normal[-1], pitted[len(pitted) // 2], pitted[-1]]
    for s in picks:
        shutil.copyfile(root / "images" / f"{s}.jpg", out / f"{s}.jpg")
        if s in labelled:
            h, w = cv2.imread(str(root / "images" / f"{s}.jpg")).shape[:2]
            shutil.copyfile(root / "labels" / f"{s}.json", GT / "surface-pitting-ae" / f"{s}.json")
            cv2.imwrite(str(GT / "surface-pitting-ae" / f"{s}_pitting.png"),
                        pitting_mask(root, s, (h, w), (h, w)).astype(np.uint8) * 255)
    log(f"surface samples: {picks}")


def chest():
    res = json.loads((WORK / "chest-xray-pneumonia" / "results.json").read_text())
    root = require_data("chest-xray-nih")
    out = OUT / "chest-xray-pneumonia"
    (out / "dicom").mkdir(parents=True, exist_ok=True)
    items = res["test_items"]
    picks = [rel for rel, y in items if y == 0][:2] + [rel for rel, y in items if y == 1][:2]
    for rel in picks:
        cls, name = rel.split("/")
        shutil.copyfile(root / rel, out / f"{cls}_{name}")
    # A real CR (MONOCHROME1, 15-bit, JPEG 2000): pydicom-data RG1, MIT. Not one of the training
    # classes' sources, and showing a different pathology: a deliberate out-of-distribution case.
    shutil.copyfile(require_data("dicom", "pydicom-data", "RG1_J2KI.dcm"), out / "dicom" / "RG1_J2KI.dcm")
    log(f"chest samples: {picks} + dicom/RG1_J2KI.dcm")


if __name__ == "__main__":
    battery()
    surface()
    chest()
    log(f"samples written {datetime.date.today()}")
