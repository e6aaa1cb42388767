/** Segmentation packs: per-pixel class maps, areas and regions (see segment.ts, docs/SEGMENTATION.md). */
export { segment, type SegClass, type SegmentationSpec, type SegmentationOutput, type SegRegion, type SegmentOptions } from './segment';
