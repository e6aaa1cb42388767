/**
 * `inspector`: the headless face of the app, on the same core and the same worker process as the
 * desktop shell. Each command is a module in ./commands; this file only routes.
 */
import { commands, loadCommand } from './registry';
import { isParseArgsError, usageErrorFor } from './usageErrors';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Inspector — offline inspection workstation (CLI)',
    '',
    'Usage: inspector <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: inspector <command> --help)',
    '  -v, --version  print the version',
    '',
    'Exit status: 0 success, 1 a file/model failed, 2 usage error, 130 stopped by Ctrl-C/SIGTERM (batch).',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '-v' || name === '--version') {
    const { readAppVersion } = await import('../host/workerConfig');
    const { findAppRoot } = await import('../host/paths');
    process.stdout.write(readAppVersion(findAppRoot()) + '\n');
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`inspector: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const command = await loadCommand(entry);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    // A mistyped flag: the CLI's USAGE error naming the command, the flag and its nearest neighbour.
    if (isParseArgsError(e)) throw usageErrorFor(e, name, command.help);
    throw e;
  }
}

/**
 * process.exit() drops what a pipe has not taken yet (stdout to a pipe is asynchronous on POSIX):
 * a line script reading `--json` from a pipe got it cut at 64 KiB. Exit once both streams drained;
 * each write's callback runs after the writes before it.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`inspector: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    exitAfterFlush(e.code === 'USAGE' ? 2 : 1);
  },
);
