import { parseArgs } from 'node:util';
import { readAnchor, verifyAudit } from '../../core/history/index';
import { auditReport, configuredUidRoot } from '../../core/reports/index';
import { readAppVersion } from '../../host/createHost';
import { findAppRoot } from '../../host/paths';
import { loadStation, stationDirOf } from '../../core/settings/index';
import type { Command } from '../command';
import { historyDbPath, openExisting, usageError, withStore } from '../historyDb';
import { FILTER_OPTIONS, filterQuery, formatExport } from './history';

export const auditCommand: Command = {
  name: 'audit',
  summary: 'verify the tamper-evident audit chain; PDF audit reports (verify|report)',
  help: [
    'Usage: inspector audit verify [--db FILE] [--blobs] [--json]',
    '       inspector audit report --out FILE.pdf [--operator ID] [--db FILE] [history filters: see history --help] [--desc] [--pdfa] [--deidentify]',
    '',
    'Walks the audit chain from its first entry, rehashing every entry and the record it describes,',
    'and checks it against the head written beside the database. Reports the first broken link:',
    'an edited, deleted, reordered or cut-off entry, or an edited, deleted or unlogged record.',
    'It then recomputes what the app shows from the signed rows (review state, daily counts, score',
    'histograms, error counts, agreement, the validated notice, the case search index) and checks the',
    'rows that are chained rather than derived against their latest logged hash: the DICOM worklist,',
    'the station ledger (the result messages the Line room lists, their files, runs and outbox) and',
    'the DICOM send queue ("Results sent"); the drift baselines and the selected operator likewise.',
    '--blobs also re-hashes every heatmap and received DICOM file against the digest its signed row',
    'names (slower: reads every file). See docs/HISTORY.md for what verify covers and what it cannot',
    'detect. A read-only database is verified read-only.',
    'Exit status: 0 the chain verifies, 1 it does not (or the database cannot be read).',
    '',
    'report writes a PDF: who exported it and when, the filters, the chain check and its head hash,',
    'summary counts, then every matching run with its reviews in order. Its SHA-256 is logged in the',
    'chain (export.pdf). Exit status 1 when the chain does not verify (the report is still written).',
    'It also lists failed images, the integrated verdict per case (INCOMPLETE when an image failed),',
    'the station (inspector settings set station.id), thumbnails of defect and override decisions and a signature',
    'block. --pdfa writes PDF/A-2b (every font embedded; slower, see docs/REPORTS.md).',
    '--deidentify writes what may leave the app (PS3.15 basic profile, docs/PRIVACY.md): patient ids as the',
    "DICOM node's pseudonyms, UIDs derived under its uid_root, paths and non-UID case keys hashed, reviewer",
    'names and notes removed, no DICOM thumbnail unless the image says Burned In Annotation NO; a line at',
    'the top and every footer say it is de-identified.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'report') return writeReport(rest);
    if (sub !== 'verify') throw usageError(`audit needs "verify" or "report"; got "${sub ?? ''}".`);
    const { values } = parseArgs({ args: rest, strict: true, options: { db: { type: 'string' }, json: { type: 'boolean' }, blobs: { type: 'boolean' } } });
    const file = historyDbPath(values.db);
    const report = withStore(values.db, (s) => verifyAudit(s.db, readAnchor(file), values.blobs ? { blobs: s.blobs } : {}));
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else if (report.ok) {
      const recs = Object.entries(report.records).map(([k, v]) => `${v} ${k}${v === 1 ? '' : 's'}`).join(', ');
      process.stdout.write(`OK: ${report.entries} entries verified up to #${report.head.seq} (${report.head.hash.slice(0, 16)}…); ${recs}.\n`);
      if (!report.anchor) process.stdout.write('Note: no head anchor beside the database, so a cut-off end could not be checked.\n');
      if (report.derived) process.stdout.write(`Shown tables match the signed records: ${report.derived.join(', ')}.\n`);
      process.stdout.write(
        report.blobsChecked !== undefined
          ? `Blob files: ${report.blobsChecked} heatmap(s)${report.dicomFilesChecked !== undefined ? ` and ${report.dicomFilesChecked} received DICOM file(s)` : ''} re-hashed, all match their signed digests.\n`
          : 'Blob files (heatmaps, received DICOM files) were not re-hashed; run audit verify --blobs to check them too.\n',
      );
      // The same line every export and audit report prints (offMachineAnchor), so copies compare as text.
      process.stdout.write(`Head to keep off this machine: audit head #${report.head.seq} sha256 ${report.head.hash}\n`);
    } else {
      const b = report.firstBreak!;
      process.stdout.write(`BROKEN at entry #${b.seq}: ${b.code}\n  ${b.message}\n  ${report.entries} entries read; the chain holds up to #${Math.max(0, b.seq - 1)}.\n`);
    }
    return report.ok ? 0 : 1;
  },
};

async function writeReport(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { ...FILTER_OPTIONS, out: { type: 'string' }, operator: { type: 'string' }, desc: { type: 'boolean' }, json: { type: 'boolean' }, pdfa: { type: 'boolean' }, deidentify: { type: 'boolean' } },
  });
  if (!values.out) throw usageError('audit report needs --out FILE.pdf.');
  const store = openExisting(values.db);
  try {
    const operator = values.operator ?? store.currentOperator()?.id;
    const result = await auditReport(store, { ...filterQuery(values), order: values.desc ? 'desc' : 'asc' }, operator, {
      out: values.out,
      appVersion: readAppVersion(findAppRoot()),
      station: loadStation(stationDirOf(store.file)),
      pdfa: values.pdfa === true,
      // The DICOM node's uid_root from this data folder's settings, so UIDs match what it sends.
      ...(values.deidentify ? { deidentify: { uidRoot: configuredUidRoot(stationDirOf(store.file)) } } : {}),
    });
    if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      const b = result.chain.firstBreak;
      process.stdout.write(formatExport(result, operator!));
      process.stdout.write(b ? `  audit chain BROKEN at entry #${b.seq}: ${b.code}\n` : `  audit chain verifies (${result.chain.entries} entries)\n`);
    }
    return result.chain.ok ? 0 : 1;
  } finally {
    store.close();
  }
}
