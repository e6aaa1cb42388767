/** The CLI's commands, by name, loaded on first use. */
import type { Command } from './command';

/**
 * Commands are loaded when called, not at start: each pulls in its own dependencies (SQLite, PDF,
 * image codecs…), and `inspector --version` should cost node's start-up, not theirs. An entry is
 * either a Command itself or its name and summary with a loader (tests/unit/cli checks they agree).
 */
export type Entry = Command | { name: string; summary: string; load: () => Promise<Command> };

export const commands: readonly Entry[] = [
  { name: 'doctor', summary: 'versions, usable execution providers (tried, not listed) and model packs found', load: async () => (await import('./commands/doctor')).doctorCommand },
  { name: 'pack', summary: 'create a model pack from a plain ONNX export, or check one', load: async () => (await import('./commands/pack')).packCommand },
  { name: 'inspect', summary: 'run model packs on images: probabilities, verdict, Grad-CAM/anomaly maps, regions', load: async () => (await import('./commands/inspect')).inspectCommand },
  { name: 'batch', summary: 'inspect folders case by case with progress; every case recorded at once; resumable', load: async () => (await import('./commands/batch')).batchCommand },
  { name: 'probe', summary: 'decode images/DICOM and report geometry, type, window and pixel hash per frame, or the coded error', load: async () => (await import('./commands/probe')).probeCommand },
  { name: 'history', summary: 'list, export, show and summarise recorded inspections (list|export|show|stats)', load: async () => (await import('./commands/history')).historyCommand },
  { name: 'operator', summary: 'operator profiles that sign reviews and exports (list|create|select)', load: async () => (await import('./commands/operator')).operatorCommand },
  { name: 'settings', summary: 'workstation settings: station id/line/name stamped on runs and reports, station/DICOM/fleet configs (show|set)', load: async () => (await import('./commands/settings')).settingsCommand },
  { name: 'audit', summary: 'verify the tamper-evident audit chain; PDF audit reports (verify|report)', load: async () => (await import('./commands/audit')).auditCommand },
  { name: 'sync', summary: "send this station's history to the central PostgreSQL (outbox, exactly once; --once or background loop)", load: async () => (await import('./commands/sync')).syncCommand },
  { name: 'queue', summary: 'a re-inspection work queue in the central PostgreSQL that idle stations pull from (push|work|status)', load: async () => (await import('./commands/queue')).queueCommand },
  { name: 'central', summary: 'the central PostgreSQL of many stations: verify every audit chain, fleet statistics and drift, signed packs (verify|stats|drift|migrate|approve-pack|pull-packs)', load: async () => (await import('./commands/central')).centralCommand },
  { name: 'db', summary: 'online backup of the history database and restore from one (backup|restore)', load: async () => (await import('./commands/db')).dbCommand },
  { name: 'evaluate', summary: 'measure a pack or a station setup on a labelled set; records an audited evaluation', load: async () => (await import('./commands/evaluate')).evaluateCommand },
  { name: 'evaluation', summary: 'recorded evaluations: the PDF validation record (report)', load: async () => (await import('./commands/evaluation')).evaluationCommand },
  { name: 'threshold', summary: 'apply a threshold from an evaluation or reviewed history (audited, role-checked); propose from history; show validated status (apply|propose|status)', load: async () => (await import('./commands/threshold')).thresholdCommand },
  { name: 'station', summary: 'line service: hot folder in, one verdict per case out on MQTT / OPC UA / REST, exactly once', load: async () => (await import('./commands/station')).stationCommand },
  { name: 'agreement', summary: "compare recorded runs' boxes on one image (IoU, who found what) and record the figure", load: async () => (await import('./commands/agreement')).agreementCommand },
  { name: 'dicom', summary: 'DICOM node: receive studies (C-STORE SCP), auto-inspect, send SR/SC back (C-STORE, STOW-RS)', load: async () => (await import('./commands/dicom')).dicomCommand },
];

export async function loadCommand(e: Entry): Promise<Command> {
  return 'load' in e ? e.load() : e;
}
