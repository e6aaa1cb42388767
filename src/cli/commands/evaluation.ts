import { parseArgs } from 'node:util';
import { evaluationReport, type EvaluationReportResult } from '../../core/evaluation/report';
import { loadStation, stationDirOf } from '../../core/settings/index';
import { readAppVersion } from '../../host/createHost';
import { findAppRoot } from '../../host/paths';
import type { HistoryStore } from '../../core/history/index';
import type { Command } from '../command';
import { openExisting, usageError } from '../historyDb';

const HELP = [
  'Usage: inspector evaluation report ID --out FILE.pdf [--operator ID] [--db FILE] [--json]',
  '',
  'The validation record of evaluation ID as a PDF a quality system can file: the labelled set\'s',
  'identity (file-list hash), the pack identities and config hash, the metrics with their 95 %',
  'intervals, the plots, the proposed thresholds, every threshold version applied from it (who, when,',
  'objective) and the one in force now, and the audit chain\'s state and head. Signed by the operator',
  '(default: the selected one); the PDF\'s SHA-256 is logged in the audit chain (export.pdf).',
].join('\n');

export function formatEvaluationReport(r: EvaluationReportResult): string {
  return [
    `Wrote ${r.file} (${r.bytes} bytes, SHA-256 ${r.sha256}): evaluation ${r.evaluationId}, threshold versions ${r.thresholdVersions.join(', ') || 'none'}`,
    `  audit chain ${r.chain.ok ? 'verifies' : 'BROKEN'} (${r.chain.entries} entries, head #${r.chain.head.seq} ${r.chain.head.hash.slice(0, 16)}…); report logged as entry #${r.audit.seq}`,
  ].join('\n') + '\n';
}

export async function writeEvaluationReport(store: HistoryStore, id: number, out: string, operator: string | undefined): Promise<EvaluationReportResult> {
  return evaluationReport(store, id, operator ?? store.currentOperator()?.id, { out, appVersion: readAppVersion(findAppRoot()), station: loadStation(stationDirOf(store.file)) });
}

export const evaluationCommand: Command = {
  name: 'evaluation',
  summary: 'recorded evaluations: the PDF validation record (report)',
  help: HELP,
  async run(args) {
    const [sub, idText, ...rest] = args;
    if (sub !== 'report') throw usageError('evaluation needs a subcommand: report ID --out FILE.pdf');
    const id = Number(idText);
    if (!Number.isInteger(id) || id <= 0) throw usageError('evaluation report needs an evaluation id (a whole number)');
    const { values } = parseArgs({ args: rest, strict: true, options: { out: { type: 'string' }, operator: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } } });
    if (!values.out) throw usageError('evaluation report needs --out FILE.pdf');
    const store = openExisting(values.db);
    try {
      const r = await writeEvaluationReport(store, id, values.out, values.operator);
      process.stdout.write(values.json ? JSON.stringify(r, null, 2) + '\n' : formatEvaluationReport(r));
      return r.chain.ok ? 0 : 1;
    } finally {
      store.close();
    }
  },
};
