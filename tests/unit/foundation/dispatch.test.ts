import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { dispatch } from '../../../src/host/dispatch';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { repoRoot } from '../../support/paths';

const dataDir = mkdtempSync(join(os.tmpdir(), 'inspector-dispatch-'));
const host = createHost(appPaths(repoRoot, dataDir), nodeWorkerLauncher(repoRoot), 'http://127.0.0.1:1/media');
afterAll(() => host.close());

describe('dispatch: the one entry for renderer requests', () => {
  it('answers a valid call with data that satisfies the contract', async () => {
    const r = await dispatch(host.handlers, 'app.info', {}, { checkOutput: true });
    expect(r).toMatchObject({ ok: true, value: { dataDir, mediaBase: 'http://127.0.0.1:1/media' } });
    const status = await dispatch(host.handlers, 'system.status', {}, { checkOutput: true });
    expect(status).toMatchObject({ ok: true, value: { activeProvider: 'cpu', database: join(dataDir, 'inspector.sqlite') } });
  });

  it('refuses unknown channels and payloads outside the schema, naming the field', async () => {
    expect(await dispatch(host.handlers, 'shell.exec', { cmd: 'rm -rf /' })).toMatchObject({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL' } });
    const bad = await dispatch(host.handlers, 'app.info', { path: '/etc/passwd' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'IPC_INVALID_PAYLOAD' } });
    expect(bad.ok ? '' : bad.error.message).toMatch(/app\.info/);
    expect(await dispatch(host.handlers, 123, {})).toMatchObject({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL' } });
  });
});

describe('files.choose: choosing is the grant', () => {
  it('makes exactly the picked folder readable', async () => {
    const picked = mkdtempSync(join(os.tmpdir(), 'inspector-picked-'));
    const elsewhere = mkdtempSync(join(os.tmpdir(), 'inspector-elsewhere-'));
    const h = createHost(appPaths(repoRoot, dataDir), nodeWorkerLauncher(repoRoot), 'media:', async (kind) => (kind === 'folder' ? [picked] : []));
    try {
      expect(() => h.grants.check(picked)).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED' }));
      expect(await dispatch(h.handlers, 'files.choose', { kind: 'folder' }, { checkOutput: true })).toEqual({ ok: true, value: { paths: [picked] } });
      expect(h.grants.check(picked)).toBe(picked);
      expect(() => h.grants.check(elsewhere)).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED' }));
      // Cancelling the dialog grants nothing.
      expect(await dispatch(h.handlers, 'files.choose', { kind: 'files' })).toEqual({ ok: true, value: { paths: [] } });
    } finally {
      h.close();
    }
  });
});
