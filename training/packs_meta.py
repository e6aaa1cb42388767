"""Per-pack facts that are not experiment settings: names, labels, licences, and how each model
card's generated sections render the numbers a build printed (training/work/<pack>/results.json)."""
import json

from lib.common import WORK


def _row(name, m, ci):
    def cell(k):
        return f"{m[k]:.3f} [{ci[k][0]:.3f}, {ci[k][1]:.3f}]"
    return f"| {name} | {cell('f1')} | {cell('precision')} | {cell('recall')} | {cell('roc_auc')} | {m['n']} ({m['n_positive']} positive) |"


HEAD = ("| set | F1 | precision | recall | ROC-AUC | n |\n"
        "|---|---|---|---|---|---|")


def _decision(m):
    d = m["decision"]
    high, low = (part.split(":", 1)[1].strip() for part in d["derivation"]["method"].split(";"))
    band = ("Between the two the verdict is UNCERTAIN." if d["low"] < d["high"] else
            "That is not below `high` here, so low = high and there is no UNCERTAIN band.")
    sc = m["explanation"]["scale"]
    scale = sc["mode"]
    if sc["mode"] == "anchored":
        scale += (f" [{sc['low']}, {sc['high']:.5g}], {sc['derivation']['method']} "
                  f"(n = {sc['derivation']['stats']['n']})")
    return "\n".join([
        f"- `decision.high` = **{d['high']:.4f}** (defect probability): {high}.",
        f"- `decision.low` = **{d['low']:.4f}**: {low}. {band}",
        f"- {m['explanation']['method']} display scale (`explanation.scale`): {scale}.",
    ])


def battery_sections(r, m):
    loc = r["localisation"]
    metrics = "\n".join([
        f"Held-out slice 2, right half (never used in training or threshold choice); threshold "
        f"{r['threshold']:.4f} chosen on the left half. 95 % bootstrap intervals over views.",
        "",
        HEAD,
        _row("test (slice 2, right half)", r["test"], r["test_ci95"]),
        "",
        f"**Grad-CAM localisation** on the {loc['views']} defective test views (CAM of class `porosity`, "
        "ReLU, bilinear to the input size, no per-image normalisation):",
        "",
        "| measure | Grad-CAM | baseline | baseline is |",
        "|---|---|---|---|",
        f"| share of map energy inside the void masks | {loc['energy_in_mask']:.3f} "
        f"[{loc['energy_in_mask_ci95'][0]:.3f}, {loc['energy_in_mask_ci95'][1]:.3f}] | "
        f"{loc['energy_in_mask_uniform_baseline']:.3f} | a uniform map (= mean mask area share) |",
        f"| pointing game (map maximum within {loc['pointing_tolerance_px']} px of a void) | "
        f"{loc['pointing_game']:.3f} [{loc['pointing_game_ci95'][0]:.3f}, {loc['pointing_game_ci95'][1]:.3f}] | "
        f"{loc['pointing_random_baseline']:.3f} | a uniformly random point (= mean hit-zone area share) |",
        "",
        f"Build: {r['train_steps']} steps, {r['runtime_s']} s wall on the shared 2-core build box "
        f"(PyTorch {r['torch']}, CPU).",
    ])
    return {"metrics": metrics, "thresholds": _decision(m)}


def chest_sections(r, m):
    c = r["counts"]
    metrics = "\n".join([
        "Patient-grouped split (no patient in two sets): "
        + ", ".join(f"{k} {c[k]['normal']} normal / {c[k]['pneumonia']} pneumonia" for k in ("train", "val", "test")) + ".",
        f"Threshold {r['threshold']:.4f} chosen on validation (best validation ROC-AUC {r['best_val_auc']:.3f}); "
        "test touched once. 95 % bootstrap intervals over images.",
        "",
        HEAD,
        _row("test", r["test"], r["test_ci95"]),
        "",
        f"Baseline for reading these numbers: always answering `pneumonia` gives F1 "
        f"{2 * r['test']['n_positive'] / (r['test']['n'] + r['test']['n_positive']):.3f} and ROC-AUC 0.5.",
        "",
        f"Build: {r['epochs']} epochs, {r['runtime_s']} s wall on the shared 2-core build box (PyTorch {r['torch']}, CPU).",
    ])
    return {"metrics": metrics, "thresholds": _decision(m)}


def _plain_row():
    """The plain-autoencoder ablation (configs/surface-pitting-ae-plain.yaml), when it was built."""
    p = WORK / "surface-pitting-ae-plain" / "results.json"
    if not p.exists():
        return []
    a = json.loads(p.read_text())["test_autoencoder"]
    return [f"| ablation: plain autoencoder (no skips, clean inputs; image ROC-AUC {a['at_mean_k_std']['roc_auc']:.4f}) "
            f"| {a['pixel_auroc']:.4f} | {a['pixel_auroc_pitted_only']:.4f} |"]


def _selection_rows(r):
    """How the shipped residual was chosen: every candidate on the validation series (test unseen)."""
    sel = r.get("residual_selection") or []
    if not sel:
        return []
    return ["", "**Choice of the map** (pixel ROC-AUC on the *validation* series, same σ; the shipped one is in bold):", "",
            "| residual | autoencoder | mean normal photo, same maths |", "|---|---|---|",
            *[(f"| **{residual_words(c['residual'])}** |" if c["residual"] == r.get("residual") else f"| {residual_words(c['residual'])} |")
              + f" {c['val_pixel_auroc']:.4f} | {c['val_baseline_pixel_auroc']:.4f} |" for c in sel]]


def residual_words(residual):
    """The manifest's `anomaly.residual` in words (absent: the format's default squared error)."""
    r = {"metric": "l2", "channels": "mean", "window": 7, **(residual or {})}
    metric = {"l2": "squared error", "l1": "absolute error",
              "ssim": f"1 − SSIM in a {r['window']} × {r['window']} window"}[r["metric"]]
    return f"{metric} on luma" if r["channels"] == "luma" else f"{metric} averaged over RGB"


def surface_sections(r, m):
    a, b = r["test_autoencoder"], r["test_baseline_mean_image"]
    bs = r.get("test_baseline_mean_image_pack_residual")
    t = r["threshold"]
    n = r["counts"]

    def img_row(name, res, key):
        mm, ci = res[key], res[key + "_ci95"]
        return _row(name, mm, ci)

    metrics = "\n".join([
        "Split by series (spindle position × camera angle), so no series is in two sets: "
        + ", ".join(f"{k} {n[k]['normal']} normal / {n[k]['pitting']} pitted photos" for k in ("train", "val", "test")) + ".",
        "95 % bootstrap intervals over photos.",
        "",
        "**Image level** (test series only):",
        "",
        HEAD,
        img_row(f"autoencoder, mean + {t['k']:g}·std threshold", a, "at_mean_k_std"),
        img_row("autoencoder, F1-optimal threshold (from validation)", a, "at_f1_optimal"),
        img_row(f"baseline (mean normal photo), mean + {t['k']:g}·std", b, "at_mean_k_std"),
        img_row("baseline (mean normal photo), F1-optimal", b, "at_f1_optimal"),
        *([img_row(f"baseline, shipped map's maths on the mean photo, mean + {t['k']:g}·std", bs, "at_mean_k_std"),
           img_row("baseline, shipped map's maths on the mean photo, F1-optimal", bs, "at_f1_optimal")] if bs else []),
        "",
        "**Pixel level** (ROC-AUC of the smoothed map against the pitting polygons):",
        "",
        "| map | pixel ROC-AUC, all test photos | pitted test photos only |",
        "|---|---|---|",
        f"| autoencoder, shipped map ({residual_words(r.get('residual'))}, σ = {m['anomaly']['sigma']} px) "
        f"| {a['pixel_auroc']:.4f} | {a['pixel_auroc_pitted_only']:.4f} |",
        f"| baseline: squared colour distance to the mean normal training photo (σ = {m['anomaly']['sigma']} px) "
        f"| {b['pixel_auroc']:.4f} | {b['pixel_auroc_pitted_only']:.4f} |",
        *([f"| baseline with the shipped map's maths: {residual_words(r['residual'])} against the mean normal training "
           f"photo (σ = {m['anomaly']['sigma']} px) | {bs['pixel_auroc']:.4f} | {bs['pixel_auroc_pitted_only']:.4f} |"]
          if bs else []),
        *_plain_row(),
        *_selection_rows(r),
        "",
        f"Build: {r['train_steps']} steps, {r['runtime_s']} s wall on the shared 2-core build box (PyTorch {r['torch']}, CPU).",
    ])
    an = m["anomaly"]
    it, pt = an["imageThreshold"], an["pixelThreshold"]
    th = "\n".join([
        f"- Build script (PyTorch): image threshold = mean + k·std of the {t['n_normal_val']} normal validation photos' "
        f"scores = {t['normal_val_mean']:.6g} + {t['k']:g} × {t['normal_val_std']:.6g} = **{t['value']:.6g}**. "
        f"F1-optimal alternative on validation: {t['f1_optimal_value']:.6g} (validation F1 {t['f1_optimal_val_f1']:.3f}).",
        f"- Shipped `anomaly.imageThreshold` = **{it['value']:.6g}** ({it['derivation']['method']}, "
        f"n = {it['derivation']['stats']['n']}); `pixelThreshold` = {pt['value']:.6g} ({pt['derivation']['method']}); "
        f"normalisation spans: scores {an['normalisation']['scores']}, maps {an['normalisation']['maps']}. "
        "Computed by the build with the same maths as `inspector pack create --calibrate`.",
        f"- Residual map: {residual_words(an.get('residual'))}, Gaussian σ = {an['sigma']} px at model resolution, "
        f"image score = {an['score']} of the map; shown normalised so the threshold sits at 0.5.",
    ])
    return {"metrics": metrics, "thresholds": th}


PACKS = {
    "battery-ct-porosity": {
        "kind": "classifier", "version": "1.0.0", "side": "internal", "licence": "MIT",
        "training_data": "battery-xct slices (UCL battery_xct_workflows), synthetic voids inserted",
        "title": {"en": "Battery CT porosity", "ko": "배터리 CT 기공"},
        "description": "Normal vs porosity on 16-bit CT views of a wound Li-ion cell (views of 112-320 px of "
                       "the cross-section). Trained on one real slice with inserted synthetic voids; see MODEL_CARD.md.",
        "labels": {"normal": {"display": {"en": "Normal", "ko": "정상"}, "severity": "none"},
                   "porosity": {"display": {"en": "Porosity", "ko": "기공"}, "severity": "high"}},
        "uncertain_recall": 0.98,
        "provenance": {"dataLicence": "MIT (Copyright (c) 2025 University College London, Department of Chemical Engineering)"},
        "headline": lambda r: {"f1": r["test"]["f1"], "roc_auc": r["test"]["roc_auc"], "precision": r["test"]["precision"],
                               "recall": r["test"]["recall"],
                               "gradcam_energy_in_mask": r["localisation"]["energy_in_mask"],
                               "gradcam_pointing_game": r["localisation"]["pointing_game"]},
        "rebuild": "nice -n 10 /usr/bin/python3 training/battery_ct/build.py training/configs/battery-ct-porosity.yaml "
                   "&& /usr/bin/python3 training/package.py training/configs/battery-ct-porosity.yaml",
        "card_sections": battery_sections,
    },
    "surface-pitting-ae": {
        "kind": "anomaly", "version": "1.1.0", "side": "external", "licence": "CC BY-SA 4.0",
        "training_data": "BSData ball-screw photos (Schlagenhauf & Landwehr, KIT wbk), pitting-free series only",
        "title": {"en": "Ball-screw surface pitting (autoencoder)", "ko": "볼스크류 표면 피팅 (오토인코더)"},
        "description": "Convolutional autoencoder anchored on the mean pitting-free BSData photo, trained only on "
                       "pitting-free photos; the map (1 - SSIM on luma) shows where the surface's local structure "
                       "differs from what it learnt. Beats the mean-photo baselines at pixel level; see MODEL_CARD.md.",
        "labels": {},
        "provenance": {"dataLicence": "CC BY-SA 4.0 (BSData, github.com/2Obe/BSData)"},
        "headline": lambda r: {"image_auroc": r["test_autoencoder"]["at_mean_k_std"]["roc_auc"],
                               "image_f1": r["test_autoencoder"]["at_mean_k_std"]["f1"],
                               "image_f1_at_f1_optimal": r["test_autoencoder"]["at_f1_optimal"]["f1"],
                               "pixel_auroc": r["test_autoencoder"]["pixel_auroc"],
                               "baseline_pixel_auroc": r["test_baseline_mean_image"]["pixel_auroc"],
                               **({"baseline_same_map_pixel_auroc": r["test_baseline_mean_image_pack_residual"]["pixel_auroc"]}
                                  if r.get("test_baseline_mean_image_pack_residual") else {}),
                               "pixel_auroc_pitted_only": r["test_autoencoder"]["pixel_auroc_pitted_only"],
                               "baseline_pixel_auroc_pitted_only": r["test_baseline_mean_image"]["pixel_auroc_pitted_only"]},
        "rebuild": "nice -n 10 /usr/bin/python3 training/surface_ae/build.py training/configs/surface-pitting-ae.yaml "
                   "&& /usr/bin/python3 training/package.py training/configs/surface-pitting-ae.yaml",
        "card_sections": surface_sections,
    },
    "chest-xray-pneumonia": {
        "kind": "classifier", "version": "1.0.0", "side": "internal", "licence": "MIT",
        "training_data": "NIH ChestX-ray14 subset, 500 normal + 500 pneumonia (NIH Clinical Center; Wang et al., CVPR 2017)",
        "title": {"en": "Chest X-ray pneumonia (DEMO - not for clinical use)", "ko": "흉부 X선 폐렴 (데모 - 임상 사용 불가)"},
        "description": "DEMO ONLY, NOT FOR CLINICAL USE. Normal vs pneumonia on frontal chest radiographs, trained "
                       "from scratch on 700 NIH images with noisy text-mined labels; see MODEL_CARD.md.",
        # code: the SNOMED CT concept the SR/SEG name the label by (docs/PACKS.md, "Label codes").
        "labels": {"normal": {"display": {"en": "Normal", "ko": "정상"}, "severity": "none",
                              "code": {"scheme": "SCT", "value": "17621005", "meaning": "Normal"}},
                   "pneumonia": {"display": {"en": "Pneumonia (demo)", "ko": "폐렴 (데모)"}, "severity": "medium",
                                 "code": {"scheme": "SCT", "value": "233604007", "meaning": "Pneumonia"}}},
        "uncertain_recall": 0.95,
        "provenance": {"dataLicence": "NIH Clinical Center ChestX-ray14: use unrestricted, with citation of Wang et al. "
                                      "CVPR 2017 and acknowledgement of the NIH Clinical Center"},
        "headline": lambda r: {"f1": r["test"]["f1"], "roc_auc": r["test"]["roc_auc"], "precision": r["test"]["precision"],
                               "recall": r["test"]["recall"]},
        "rebuild": "nice -n 10 /usr/bin/python3 training/chest_xray/build.py training/configs/chest-xray-pneumonia.yaml "
                   "&& /usr/bin/python3 training/package.py training/configs/chest-xray-pneumonia.yaml",
        "card_sections": chest_sections,
    },
}
