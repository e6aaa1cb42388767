/** A labelled set: images with their truth, in whatever format the labels came in. */

export type SetFormat = 'folders' | 'csv' | 'coco' | 'yolo' | 'labelme';

/** [x, y, width, height] in the image's pixels. */
export type Box = [number, number, number, number];

export interface LabelledBox {
  label: string;
  box: Box;
}

export interface LabelledPolygon {
  label: string;
  /** Vertices in image pixels. */
  points: [number, number][];
}

export interface LabelledImage {
  /** Absolute path. */
  path: string;
  /** Image-level truth: a class, or the set's normal class for an image without defects. */
  label: string;
  serial?: string;
  view?: string;
  boxes: LabelledBox[];
  polygons: LabelledPolygon[];
  /** Binary mask image (non-zero = defect), same geometry as the image. */
  maskPath?: string;
  /** YOLO: boxes are fractions of the image size (scaled to pixels once the size is known). */
  boxesNormalised?: boolean;
  /** Size the annotations refer to, when the format states it. */
  width?: number;
  height?: number;
}

export interface LabelledSet {
  root: string;
  format: SetFormat;
  /** Classes in a fixed order (declared order where the format has one, else sorted). */
  classes: string[];
  /** The class an image without any defect annotation gets. */
  normalLabel: string;
  images: LabelledImage[];
  /** SHA-256 over the sorted relative paths, each file's SHA-256 and its label: the set's identity. */
  identity: string;
}
