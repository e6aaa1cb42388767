import { parseArgs } from 'node:util';
import { HistoryStore, OPERATOR_ROLES, type OperatorRole } from '../../core/history/index';
import type { Command } from '../command';
import { historyDbPath, openExisting, usageError } from '../historyDb';

/**
 * Operator profiles from the command line: a headless station (or an auditor's shell) creates and
 * chooses the profile its reviews and exports are signed with, as the app's chooser does.
 */
export const operatorCommand: Command = {
  name: 'operator',
  summary: 'operator profiles that sign reviews and exports (list|create|select)',
  help: [
    'Usage: inspector operator list   [--db FILE] [--json]',
    '       inspector operator create ID --name NAME [--role operator|reviewer|supervisor|admin] [--select] [--db FILE]',
    '       inspector operator select ID [--db FILE]',
    '',
    'Profiles are local identities (name, ID, role), not accounts: no password is stored.',
    'The selected profile is the one the app starts with and the one `history export` and',
    '`audit report` sign with when --operator is not given. Creating one is logged in the audit chain.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { db: { type: 'string' }, json: { type: 'boolean' }, name: { type: 'string' }, role: { type: 'string' }, select: { type: 'boolean' } },
    });
    const say = (v: unknown, text: string) => process.stdout.write(values.json ? JSON.stringify(v, null, 2) + '\n' : text);
    if (sub === 'list') {
      const s = openExisting(values.db);
      try {
        const ops = s.listOperators();
        const current = s.currentOperator()?.id;
        say(
          { operators: ops, current: current ?? null },
          ops.length ? ops.map((o) => `${o.id === current ? '*' : ' '} ${o.id.padEnd(16)} ${o.role.padEnd(10)} ${o.name}\n`).join('') : 'No operator profiles yet (inspector operator create ID --name NAME).\n',
        );
      } finally {
        s.close();
      }
      return 0;
    }
    const id = positionals[0];
    if ((sub !== 'create' && sub !== 'select') || !id) throw usageError('operator needs "list", "create ID --name NAME" or "select ID".');
    // Creating the first profile may also create the database; selecting needs one.
    const s = sub === 'create' ? HistoryStore.open(historyDbPath(values.db)) : openExisting(values.db);
    try {
      if (sub === 'create') {
        if (!values.name) throw usageError('operator create needs --name NAME.');
        const role = (values.role ?? 'reviewer') as OperatorRole;
        if (!OPERATOR_ROLES.includes(role)) throw usageError(`--role is one of ${OPERATOR_ROLES.join(', ')}; got "${role}".`);
        const op = s.createOperator({ id, name: values.name, role });
        if (values.select) s.selectOperator(op.id);
        say(op, `Created operator ${op.id} (${op.name}, ${op.role})${values.select ? ', selected' : ''} in ${s.file}.\n`);
        return 0;
      }
      const op = s.selectOperator(id);
      say(op, `Selected operator ${op.id} (${op.name}, ${op.role}).\n`);
      return 0;
    } finally {
      s.close();
    }
  },
};
