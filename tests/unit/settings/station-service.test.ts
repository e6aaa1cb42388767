/** settings.yaml's station_service (the line station the desktop app runs) beside the station facts: each kept when the other is written. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStation, loadStationService, saveStation, saveStationService, stationFile } from '../../../src/core/settings/index';

describe('settings: station_service', () => {
  it('sets, keeps and clears the station config without touching the station facts', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-settings-'));
    expect(loadStationService(dir)).toBeNull();
    saveStation(dir, { id: 'ST01', line: 'L1' });
    saveStationService(dir, { config: '/etc/inspector/station.yaml' });
    expect(loadStation(dir)).toEqual({ id: 'ST01', line: 'L1' });
    expect(loadStationService(dir)).toEqual({ config: '/etc/inspector/station.yaml' });
    // Writing the facts again keeps the service, and the other way round.
    saveStation(dir, { id: 'ST02', line: 'L1' });
    expect(loadStationService(dir)).toEqual({ config: '/etc/inspector/station.yaml' });
    expect(readFileSync(stationFile(dir), 'utf8')).toContain('station_service:');
    saveStationService(dir, null);
    expect(loadStationService(dir)).toBeNull();
    expect(loadStation(dir)).toEqual({ id: 'ST02', line: 'L1' });
  });

  it('refuses an unknown key under station_service with a coded error', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-settings-'));
    writeFileSync(stationFile(dir), 'station_service: { config: a.yaml, autostart: yes }\n');
    expect(() => loadStationService(dir)).toThrow(expect.objectContaining({ code: 'SETTINGS_BAD_FILE' }));
  });
});
