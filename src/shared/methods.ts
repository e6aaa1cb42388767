/**
 * How the CAM family is usually written (pytorch-grad-cam's names), shared by the renderer (map
 * legends, the three-systems card) and the core (the systems an agreement records), so a system is
 * always named by the explanation method its run really used — HiResCAM is never shown as Grad-CAM.
 */
export const CAM_METHOD_NAMES: Readonly<Record<string, string>> = {
  gradcam: 'Grad-CAM',
  gradcampp: 'Grad-CAM++',
  xgradcam: 'XGrad-CAM',
  hirescam: 'HiResCAM',
  layercam: 'LayerCAM',
  eigencam: 'EigenCAM',
  scorecam: 'Score-CAM',
  gradcamelementwise: 'Grad-CAM element-wise',
  eigengradcam: 'EigenGrad-CAM',
  finercam: 'Finer-CAM',
  ablationcam: 'Ablation-CAM',
  kpcacam: 'KPCA-CAM',
  fem: 'FEM',
};

/** A method id as written for people; ids outside the CAM family (anomaly formats) pass through. */
export function methodDisplayName(method: string): string {
  return CAM_METHOD_NAMES[method] ?? method;
}

export function isCamMethod(method: string | null | undefined): boolean {
  return !!method && method in CAM_METHOD_NAMES;
}
