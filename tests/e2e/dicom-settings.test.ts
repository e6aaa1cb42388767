/**
 * The worklist's Node settings in real Chromium with the real handlers and a real listener: a
 * reviewer sees the settings read-only with no Edit; an administrator edits the AE title and port,
 * a port of 70000 is refused with the schema's issue next to the port field (file unchanged), then
 * a valid port is saved: the panel says the node restarted on it, the worklist's node line shows
 * the new AE title and port, and the listener answers C-ECHO there.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo } from '../../src/core/dicomnet/send';
import { openBridge, type Bridge } from '../support/bridge';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('Node settings panel (worklist room, Chromium, real handlers and listener)', () => {
  let b: Bridge;
  let port: number;
  const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-nodesettings-'));
  const file = join(userDataDir, 'dicom.yaml');

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(file, ['# the node of CT room 2', 'ae_title: INSPECTOR', `port: ${port}`, 'allow: [{ aet: MODALITY1, host: 127.0.0.1 }, { aet: ECHOER }]', 'send_results: [{ url: "http://127.0.0.1:9/dicom-web", objects: [sr] }]', 'auto_inspect:', '  - when: { modality: CR }', '    pack: cxr-demo', 'stable_seconds: 1', ''].join('\n'));
    writeFileSync(join(userDataDir, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
    b = await openBridge({ userDataDir });
    await b.host.handlers['operator.create']({ id: 'kim.r', name: 'Kim Reviewer', role: 'reviewer' });
    await b.host.handlers['operator.create']({ id: 'park.a', name: 'Park Admin', role: 'admin' });
    await b.host.handlers['operator.select']({ id: 'kim.r' });
    expect((await b.host.dicom.startFromSettings()).state).toBe('listening');
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const dismissOperatorChooser = async () => {
    const later = b.page.getByTestId('operator-later');
    if (await later.isVisible()) await later.click();
  };

  it('a reviewer sees the settings read-only, without Edit', async () => {
    await dismissOperatorChooser();
    await b.page.getByTestId('view-worklist').click();
    await b.page.getByTestId('ns-toggle').click();
    await b.page.getByTestId('ns-read').waitFor();
    expect(await b.page.getByTestId('ns-read-ae').textContent()).toBe('INSPECTOR');
    expect(await b.page.getByTestId('ns-read-port').textContent()).toContain(String(port));
    expect(await b.page.getByTestId('ns-read-allow').textContent()).toBe('MODALITY1 @ 127.0.0.1, ECHOER');
    expect(await b.page.getByTestId('ns-read-rules').textContent()).toContain('modality=CR → cxr-demo');
    expect(await b.page.getByTestId('ns-read-dests').textContent()).toContain('http://127.0.0.1:9/dicom-web');
    expect(await b.page.getByTestId('ns-edit').count()).toBe(0);
    expect(await b.page.getByTestId('ns-admin-only').textContent()).toContain('kim.r (reviewer)');
    await b.page.getByTestId('ns-toggle').click();
  });

  it('an admin edits AE title and port: 70000 is refused next to the port field; a free port is saved, the node restarts there', async () => {
    const before = readFileSync(file, 'utf8');
    const { page } = b;
    await page.getByTestId('ns-toggle').click();
    await page.getByTestId('ns-admin-only').waitFor();
    // The admin takes over in the header's operator chooser: the open panel follows with Edit.
    await page.getByTestId('operator-chip').click();
    await page.getByTestId('operator-pick').selectOption('park.a');
    await page.getByTestId('operator-use').click();
    await page.getByTestId('ns-edit').click();
    // The DICOMweb destination is not editable here: listed, and kept by the save.
    expect(await page.getByTestId('ns-dest-web').textContent()).toContain('http://127.0.0.1:9/dicom-web');
    await page.getByLabel('AE title', { exact: true }).fill('CT2_NODE');
    await page.getByTestId('ns-port').fill('70000');
    await page.getByTestId('ns-save').click();
    const issue = page.getByTestId('ns-issue-port');
    await issue.waitFor();
    expect(await issue.textContent()).toMatch(/^port: Too big/);
    expect(await page.getByTestId('ns-port').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('ns-save-error').getAttribute('data-code')).toBe('DICOM_CONFIG_INVALID');
    expect(readFileSync(file, 'utf8')).toBe(before);
    await b.screenshot('node-settings-invalid-port');

    const newPort = await freePort();
    await page.getByTestId('ns-port').fill(String(newPort));
    await page.getByTestId('ns-allow-add').click();
    await page.getByTestId('ns-allow-aet-2').fill('CT2_SCANNER');
    await page.getByTestId('ns-allow-host-2').fill('127.0.0.1');
    await page.getByTestId('ns-save').click();
    const saved = page.getByTestId('ns-saved');
    await saved.waitFor({ timeout: 20_000 });
    expect(await saved.textContent()).toBe(`Saved; the node restarted on port ${newPort}.`);
    expect(await page.getByTestId('ns-issue-port').count()).toBe(0);
    const nodeLine = page.getByTestId('node-state');
    await page.waitForFunction((p) => document.querySelector('[data-testid="node-state"]')?.textContent?.includes(`:${p}`), newPort);
    expect(await nodeLine.getAttribute('data-state')).toBe('listening');
    expect(await nodeLine.textContent()).toContain(`CT2_NODE @ 127.0.0.1:${newPort}`);
    expect(await page.getByTestId('ns-read-ae').textContent()).toBe('CT2_NODE');
    expect(await page.getByTestId('ns-read-allow').textContent()).toBe('MODALITY1 @ 127.0.0.1, ECHOER, CT2_SCANNER @ 127.0.0.1');
    await b.screenshot('node-settings-saved');

    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# the node of CT room 2');
    expect(text).toContain('ae_title: CT2_NODE');
    expect(text).toContain(`port: ${newPort}`);
    expect(text).toContain('url: "http://127.0.0.1:9/dicom-web"');
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(before);
    await echo({ aet: 'CT2_NODE', host: '127.0.0.1', port: newPort }, { callingAet: 'ECHOER', timeoutSeconds: 3 });

    await page.getByTestId('ns-edit').click();
    await b.screenshot('node-settings-edit');
    await page.getByTestId('ns-cancel').click();
  });
});
