/**
 * settings.yaml's fleet section beside the others: each section kept when another is written, keys
 * removed one by one, bad values refused with a coded error, and the CLI refusing an off-machine
 * URL that does not state its TLS before it is saved.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDicomSetting, loadFleetSetting, loadStation, saveDicomSetting, saveFleetSetting, saveStation, stationFile } from '../../../src/core/settings/index';
import { repoRoot } from '../../support/paths';

describe('settings: fleet', () => {
  it('sets and clears fleet keys without touching the station or the DICOM node, and the other way round', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-settings-'));
    saveStation(dir, { id: 'ST07', line: 'L2' });
    saveDicomSetting(dir, 'dicom.yaml');
    saveFleetSetting(dir, { central: 'postgres://st07@127.0.0.1/fleet', interval_s: 30 });
    saveFleetSetting(dir, { dashboard: 'postgres://viewer@127.0.0.1/fleet' });
    expect(loadFleetSetting(dir)).toEqual({ central: 'postgres://st07@127.0.0.1/fleet', interval_s: 30, dashboard: 'postgres://viewer@127.0.0.1/fleet' });
    saveStation(dir, { id: 'ST08', line: 'L2' });
    expect(loadFleetSetting(dir)?.central).toBe('postgres://st07@127.0.0.1/fleet');
    expect(loadDicomSetting(dir)).toBe(join(dir, 'dicom.yaml'));
    saveFleetSetting(dir, { interval_s: null });
    expect(loadFleetSetting(dir)).toEqual({ central: 'postgres://st07@127.0.0.1/fleet', dashboard: 'postgres://viewer@127.0.0.1/fleet' });
    saveFleetSetting(dir, { central: null, dashboard: null });
    expect(loadFleetSetting(dir)).toBeNull();
    expect(readFileSync(stationFile(dir), 'utf8')).not.toContain('fleet:');
    expect(loadStation(dir)).toEqual({ id: 'ST08', line: 'L2' });
    expect(() => saveFleetSetting(dir, { central: 'mysql://x/y' })).toThrow(expect.objectContaining({ code: 'SETTINGS_BAD_VALUE' }));
  });

  it('the CLI refuses an off-machine URL without sslmode before saving it, and accepts a verified one', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-settings-cli-'));
    const cli = (...a: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'settings', ...a, '--db', join(dir, 'inspector.sqlite')], { encoding: 'utf8' });
    const bad = cli('set', 'fleet.central', 'postgres://st07@central.plant/fleet');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('FLEET_TLS_REQUIRED');
    expect(loadFleetSetting(dir)).toBeNull();
    const good = cli('set', 'fleet.central', 'postgres://st07@central.plant/fleet?sslmode=verify-full&sslrootcert=/etc/inspector/ca.pem');
    expect(good.status, good.stderr).toBe(0);
    expect(loadFleetSetting(dir)?.central).toContain('sslmode=verify-full');
    expect(cli('show').stdout).toContain('fleet.central postgres://st07@central.plant/fleet?sslmode=verify-full');
  });
});
