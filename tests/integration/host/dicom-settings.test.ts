/**
 * The worklist's Node settings through the real host handlers, on a real dicom.yaml and a real
 * listener on loopback: a reviewer is refused and the file stays byte-identical; an admin's new AE
 * title, port and allow entry land in the file with its comments and other keys intact, the old
 * file in `.bak`, a `dicom.settings` event in a verifying audit chain, and the node answers C-ECHO
 * (the project's SCU) on the new port as the new AE title and no longer on the old one. A port of
 * 70000 and a blank AE title are refused with the schema's field path; a port another socket holds
 * fails with DICOM_PORT_IN_USE, the previous file is put back and the node listens on it again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../../src/host/createHost';
import { dispatch } from '../../../src/host/dispatch';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { echo } from '../../../src/core/dicomnet/send';
import { sha256Hex } from '../../../src/core/history/hash';
import { repoRoot } from '../../support/paths';
import { freePort } from '../dicomnet/orthanc';

type Reply = { ok: true; value: Record<string, unknown> } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

const ORIGINAL = (port: number) =>
  [
    '# Radiology node — managed by the imaging lead',
    'ae_title: INSPECTOR',
    `port: ${port} # the modality room is told this port`,
    'allow: [{ aet: MODALITY1, host: 127.0.0.1 }]',
    'auto_inspect:',
    '  # chest films go to the CXR pack',
    '  - when: { modality: CR }',
    '    pack: cxr-demo',
    'send_results:',
    '  - { aet: PACS1, host: 127.0.0.1, port: 4242, objects: [sr] }',
    '  - { url: "http://127.0.0.1:8042/dicom-web", objects: [sr] }',
    'stable_seconds: 2',
    '',
  ].join('\n');

describe('dicom.settings / dicom.saveSettings (host handlers, real file, real listener)', () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-dicom-settings-'));
  const file = join(dir, 'dicom.yaml');
  let host: Host;
  let port = 0;
  const call = async (channel: string, input: unknown) => (await dispatch(host.handlers, channel, input, { checkOutput: true })) as Reply;
  const ok = (r: Reply) => {
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  const issuesOf = (r: Reply): string[] => (r.ok ? [] : ((r.error.details?.['issues'] as string[] | undefined) ?? []));
  const settings = async () => ok(await call('dicom.settings', {})) as { path: string; config: Record<string, unknown>; sha256: string; canEdit: boolean; operator: { role: string } | null };
  const echoAs = (aet: string, p: number, callingAet = 'ECHOER') => echo({ aet, host: '127.0.0.1', port: p }, { callingAet, timeoutSeconds: 3 });
  const editOf = (config: Record<string, unknown>) => ({
    ae_title: config['ae_title'],
    port: config['port'],
    allow: config['allow'] as Record<string, unknown>[],
    send_results: (config['send_results'] as Record<string, unknown>[]).filter((d) => !('url' in d)),
  });

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(file, ORIGINAL(port));
    writeFileSync(join(dir, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
    host = createHost(appPaths(repoRoot, dir), nodeWorkerLauncher(repoRoot), 'media:');
    expect((await host.dicom.startFromSettings()).state).toBe('listening');
    ok(await call('operator.create', { id: 'kim.r', name: 'Kim Reviewer', role: 'reviewer' }));
    ok(await call('operator.create', { id: 'park.a', name: 'Park Admin', role: 'admin' }));
  }, 60_000);

  afterAll(async () => {
    await host?.dicom.close();
    host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the parsed config and its file to everyone; a reviewer may not edit and a save is refused with the file unchanged', async () => {
    ok(await call('operator.select', { id: 'kim.r' }));
    const s = await settings();
    expect(s.path).toBe(file);
    expect(s.canEdit).toBe(false);
    expect(s.operator).toMatchObject({ role: 'reviewer' });
    expect(s.sha256).toBe(sha256Hex(ORIGINAL(port)));
    expect(s.config).toMatchObject({ ae_title: 'INSPECTOR', port, allow: [{ aet: 'MODALITY1', host: '127.0.0.1' }], auto_inspect: [{ when: { modality: 'CR' }, pack: 'cxr-demo' }] });
    const r = await call('dicom.saveSettings', { ...editOf(s.config), ae_title: 'HACKED' });
    expect(r).toMatchObject({ ok: false, error: { code: 'DICOM_SETTINGS_ROLE_REQUIRED', details: { operator: 'kim.r', role: 'reviewer' } } });
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL(port));
  });

  it('refuses a port of 70000 and a blank AE title with the field path, leaving the file as it was', async () => {
    ok(await call('operator.select', { id: 'park.a' }));
    const s = await settings();
    expect(s.canEdit).toBe(true);
    const big = await call('dicom.saveSettings', { ...editOf(s.config), port: 70000 });
    expect(big.ok).toBe(false);
    if (big.ok) return;
    expect(big.error.code).toBe('DICOM_CONFIG_INVALID');
    expect(big.error.details?.['issues']).toEqual([expect.stringMatching(/^port: Too big/)]);
    const blank = await call('dicom.saveSettings', { ...editOf(s.config), ae_title: '   ' });
    expect(blank).toMatchObject({ ok: false, error: { code: 'DICOM_CONFIG_INVALID' } });
    expect(issuesOf(blank)[0]).toMatch(/^ae_title: /);
    const badAllow = await call('dicom.saveSettings', { ...editOf(s.config), allow: [{ aet: 'A\\B', host: '127.0.0.1' }] });
    expect(issuesOf(badAllow)[0]).toMatch(/^allow\.0\.aet: /);
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL(port));
    expect(host.dicom.current()).toMatchObject({ state: 'listening', port });
  });

  it('an admin saves a new AE title, port and allow entry: file (comments and other keys kept), .bak, audit event, and the node answers on the new port only', async () => {
    const s = await settings();
    const newPort = await freePort();
    const edit = { ...editOf(s.config), ae_title: 'RAD_NODE', port: newPort, allow: [...(s.config['allow'] as object[]), { aet: 'ECHOER', host: '127.0.0.1' }] };
    const saved = ok(await call('dicom.saveSettings', edit));
    expect(saved).toMatchObject({ path: file, changed: ['ae_title', 'port', 'allow'], oldSha256: sha256Hex(ORIGINAL(port)), node: { state: 'listening', aeTitle: 'RAD_NODE', port: newPort } });

    const text = readFileSync(file, 'utf8');
    expect(saved['newSha256']).toBe(sha256Hex(text));
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(ORIGINAL(port));
    // Comments and the keys the panel does not edit are as the admin wrote them.
    expect(text).toContain('# Radiology node — managed by the imaging lead');
    expect(text).toContain('# chest films go to the CXR pack');
    expect(text).toContain('stable_seconds: 2');
    expect(text).toContain(`port: ${newPort} # the modality room is told this port`);
    const y = parse(text) as Record<string, unknown>;
    expect(y).toMatchObject({ ae_title: 'RAD_NODE', port: newPort, allow: [{ aet: 'MODALITY1', host: '127.0.0.1' }, { aet: 'ECHOER', host: '127.0.0.1' }], auto_inspect: [{ when: { modality: 'CR' }, pack: 'cxr-demo' }] });
    expect(y['send_results']).toEqual([{ aet: 'PACS1', host: '127.0.0.1', port: 4242, objects: ['sr'] }, { url: 'http://127.0.0.1:8042/dicom-web', objects: ['sr'] }]);

    const events = host.history.get().db.prepare("SELECT actor, action, entity, entity_id AS entityId FROM audit_log WHERE action LIKE 'dicom.settings%' ORDER BY seq").all();
    expect(events).toEqual([{ actor: 'park.a', action: 'dicom.settings', entity: 'event', entityId: 'dicom.yaml ae_title,port,allow' }]);
    expect(ok(await call('audit.verify', {}))).toMatchObject({ ok: true, firstBreak: null });

    await echoAs('RAD_NODE', newPort);
    await expect(echoAs('INSPECTOR', newPort)).rejects.toMatchObject({ code: expect.stringMatching(/^DICOM_/) });
    await expect(echoAs('RAD_NODE', port)).rejects.toMatchObject({ code: expect.stringMatching(/^DICOM_/) });
    port = newPort;
  });

  it('a port another socket holds: DICOM_PORT_IN_USE, the previous file is put back and the node listens on it again', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const before = readFileSync(file, 'utf8');
      const s = await settings();
      const r = await call('dicom.saveSettings', { ...editOf(s.config), port: taken });
      expect(r).toMatchObject({ ok: false, error: { code: 'DICOM_PORT_IN_USE', details: { restored: true, node: 'listening', port } } });
      expect(readFileSync(file, 'utf8')).toBe(before);
      expect(host.dicom.current()).toMatchObject({ state: 'listening', aeTitle: 'RAD_NODE', port });
      await echoAs('RAD_NODE', port);
      const actions = host.history.get().db.prepare("SELECT action FROM audit_log WHERE action LIKE 'dicom.settings%' ORDER BY seq").pluck().all();
      expect(actions).toEqual(['dicom.settings', 'dicom.settings', 'dicom.settings_restored']);
      expect(ok(await call('audit.verify', {}))).toMatchObject({ ok: true });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
