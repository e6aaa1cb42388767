/**
 * The names of every request channel the renderer may call. Kept dependency-free so the sandboxed
 * preload can bundle it without pulling in schemas; `contract.ts` gives each name its schemas.
 */
export const CHANNELS = ['app.info', 'system.doctor', 'system.status', 'packs.list', 'files.choose', 'samples.list', 'images.open', 'images.openSeries',
  'history.search', 'history.run', 'history.stats', 'review.submit', 'operator.list', 'operator.create', 'operator.select', 'audit.verify', 'inspect.run',
  'images.openRun', 'packs.card', 'history.export', 'dicom.worklist', 'dicom.openStudy', 'dicom.query', 'dicom.retrieve', 'dicom.cancelRetrieve', 'dicom.retryOutbox', 'dicom.settings', 'dicom.saveSettings', 'images.tags',
  'evaluation.start', 'evaluation.progress', 'evaluation.cancel', 'evaluation.propose', 'threshold.apply', 'evaluation.list', 'evaluation.open', 'station.feed',
  'review.box', 'agreement.record', 'fleet.status', 'fleet.stats', 'station.control',
  'station.explanation', 'station.openRun', 'station.thumbnail'] as const;

export type Channel = (typeof CHANNELS)[number];

/** Events main pushes to the page (payload schemas in shared/station.ts). */
export const EVENT_NAMES = ['station.event'] as const;
export type EventChannel = (typeof EVENT_NAMES)[number];

export function isEventChannel(name: unknown): name is EventChannel {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);
}

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && (CHANNELS as readonly string[]).includes(name);
}
