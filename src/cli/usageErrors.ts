/**
 * Node's parseArgs throws its own errors (ERR_PARSE_ARGS_UNKNOWN_OPTION and friends) with advice
 * about positionals that fits no Inspector command ("place it at the end of the command after
 * '--'"). A line script or an operator who mistyped a flag gets the CLI's own USAGE error instead:
 * which command, which flag, the closest flag that command has (from its help text, so it cannot
 * drift from the options), and where to read the rest.
 */
import { InspectorError } from '../shared/errors';

const PARSE_ERROR = /^ERR_PARSE_ARGS_/;

export function isParseArgsError(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && PARSE_ERROR.test(code);
}

/** The long flags a command's help text lists (`--db`, `--name`, …). */
export function flagsInHelp(help: string): string[] {
  return [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The known flag nearest to a mistyped one: within one edit (short flags) or two, or one it abbreviates. */
export function closestFlag(typed: string, known: string[]): string | undefined {
  // Short flags are close to everything: "--id" is two edits from "--db" and means nothing like it.
  const limit = typed.length <= 5 ? 1 : 2;
  let best: { flag: string; d: number } | undefined;
  for (const flag of known) {
    const d = flag.startsWith(typed) && typed.length > 3 ? 0.5 : editDistance(typed, flag);
    if (d <= limit && (!best || d < best.d)) best = { flag, d };
  }
  return best?.flag;
}

/** The USAGE error for a parseArgs failure of `inspector <command>`. */
export function usageErrorFor(e: Error & { code: string }, command: string, help: string): InspectorError {
  const more = `Run "inspector ${command} --help" for its options.`;
  const quoted = /'([^']+)'/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = quoted ?? '?';
      const near = flag.startsWith('--') ? closestFlag(flag, flagsInHelp(help)) : undefined;
      return new InspectorError('USAGE', `inspector ${command}: unknown option ${flag}.${near ? ` Did you mean ${near}?` : ''} ${more}`, { option: flag, ...(near ? { suggestion: near } : {}) });
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '--db <value>' argument missing" or "Option '--json' does not take an argument".
      const flag = quoted?.split(' ')[0] ?? '?';
      const what = /does not take an argument/.test(e.message) ? 'takes no value' : 'needs a value';
      return new InspectorError('USAGE', `inspector ${command}: option ${flag} ${what}. ${more}`, { option: flag });
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new InspectorError('USAGE', `inspector ${command}: unexpected argument ${quoted ? `"${quoted}"` : ''} (this command takes options only). ${more}`, { ...(quoted ? { argument: quoted } : {}) });
    default:
      return new InspectorError('USAGE', `inspector ${command}: ${e.message} ${more}`);
  }
}
