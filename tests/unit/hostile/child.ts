/**
 * The process a hostile case runs in (bundled by harness.ts). It loads the real core once, says
 * `ready`, then runs one operation per message and answers with its result or its error's code.
 * Running here rather than in the test process is what lets a hang fail the test: a blocked
 * syscall (a FIFO opened for reading) or a synchronous loop cannot be interrupted in-process, but
 * this process can be killed when its case's deadline passes.
 */
import { readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { readRegularFile } from '../../../src/core/files/read';
import { walkFiles } from '../../../src/core/files/walk';
import { listInputs } from '../../../src/core/engine/inspect';
import { checkPack } from '../../../src/core/packs/check';
import { discoverPacks, type PackRoot } from '../../../src/core/packs/discover';
import { loadPack } from '../../../src/core/packs/load';
import { resolvePackDir } from '../../../src/core/packs/resolve';
import { loadConfig } from '../../../src/core/verdict/config';
import { loadStationConfig } from '../../../src/core/station/config';
import { loadDicomConfig } from '../../../src/core/dicomnet/config';
import { loadSettings } from '../../../src/core/settings';

type Args = Record<string, unknown>;
const skips = (s: { path: string; code: string }[]) => s.map((x) => [x.path, x.code] as [string, string]);

const ops: Record<string, (a: Args) => unknown> = {
  walk: (a) => {
    const r = walkFiles(a['paths'] as string[], {
      ...(a['roots'] ? { roots: a['roots'] as string[] } : {}),
      ...(a['recursive'] === false ? { recursive: false } : {}),
    });
    return { files: r.files, skipped: skips(r.skipped) };
  },
  /** Entries named in `vanish` are deleted the moment the walk reaches their name. */
  walkVanishing: (a) => {
    const vanish = new Set(a['vanish'] as string[]);
    const r = walkFiles(a['paths'] as string[], {
      roots: a['roots'] as string[],
      accept: (name) => {
        if (vanish.has(name)) for (const p of a['vanishPaths'] as string[]) if (basename(p) === name) rmSync(p, { recursive: true, force: true });
        return true;
      },
    });
    return { files: r.files, skipped: skips(r.skipped) };
  },
  /** What inspect / batch / inspect.run do with a folder: list the inputs, then read each one. */
  listAndRead: async (a) => {
    const roots = a['roots'] as string[] | undefined;
    const listing = listInputs(a['paths'] as string[], roots ? { roots } : {});
    const read: [string, number | string][] = [];
    for (const f of listing.files) {
      try {
        read.push([f, (await readRegularFile(f, roots)).byteLength]);
      } catch (e) {
        read.push([f, (e as { code?: string }).code ?? 'UNCODED']);
      }
    }
    return { read, skipped: skips(listing.skipped) };
  },
  loadPack: (a) => {
    const p = loadPack(a['dir'] as string);
    return { name: p.manifest.name, labels: p.manifest.labels.length };
  },
  checkPack: async (a) => {
    const r = await checkPack(a['dir'] as string);
    return { ok: r.ok, code: r.error?.code ?? null };
  },
  discover: (a) => discoverPacks(a['roots'] as PackRoot[]).map((p) => ({ name: p.name, code: p.error?.code ?? null })),
  resolvePack: (a) => resolvePackDir(a['ref'] as string, a['roots'] as PackRoot[], a['grants'] ? { grants: a['grants'] as string[] } : {}),
  loadConfig: (a) => Object.keys(loadConfig(a['path'] as string).config),
  loadStationConfig: (a) => typeof loadStationConfig(a['path'] as string),
  loadDicomConfig: (a) => typeof loadDicomConfig(a['path'] as string),
  loadSettings: (a) => typeof loadSettings(a['dir'] as string),
  readBack: (a) => readFileSync(a['path'] as string, 'utf8').length,
};

process.on('message', (msg: { id: number; op: string; args: Args }) => {
  void (async () => {
    try {
      const fn = ops[msg.op];
      if (!fn) throw new Error(`no operation ${msg.op}`);
      process.send!({ id: msg.id, ok: await fn(msg.args) });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const coded = typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !/^E[A-Z]+$/.test(code);
      process.send!({ id: msg.id, ...(coded ? { code } : { uncoded: String(code ?? (e as Error).name) }), message: (e as Error).message });
    }
  })();
});
process.send!({ ready: true });
