/** station.yaml: the example parses as written; every mistake is a coded error naming the key. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStationConfig, parseStationConfig } from '../../../src/core/station/config';
import { InspectorError } from '../../../src/shared/errors';

const EXAMPLE = `
station: { id: ST01, line: L1 }          # recorded with every result and export
inspection: inspector.yaml               # packs and integrated verdict, as for batch
watch:
  - dir: /data/incoming
    pattern: "{serial}_{view}.{ext}"
    views: [ct, surface]
    settle_ms: 500
    case_timeout_ms: 10000
    after: move:/data/done
publish:
  mqtt:  { url: "mqtt://127.0.0.1:1883", topic: "inspector/ST01", qos: 1 }
  opcua: { port: 4840 }
  rest:  { port: 8080 }
`;

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InspectorError);
    return { code: (e as InspectorError).code, message: (e as InspectorError).message };
  }
  throw new Error('expected an error');
}

describe('station config', () => {
  it('parses the example of the issue with its defaults', () => {
    const { config, sha256 } = parseStationConfig(EXAMPLE, '/etc/inspector/station.yaml');
    expect(config.station).toEqual({ id: 'ST01', line: 'L1' });
    expect(config.inspection).toBe('/etc/inspector/inspector.yaml'); // relative to the station file
    expect(config.watch[0]).toMatchObject({ dir: '/data/incoming', views: ['ct', 'surface'], settle_ms: 500, case_timeout_ms: 10000, after: 'move:/data/done' });
    expect(config.publish.mqtt).toEqual({ url: 'mqtt://127.0.0.1:1883', topic: 'inspector/ST01', qos: 1 });
    // Secure and loopback by default.
    expect(config.publish.opcua).toMatchObject({ port: 4840, host: '127.0.0.1', security: 'sign-and-encrypt', allow_anonymous: false, auto_accept_certificates: false });
    expect(config.publish.rest).toMatchObject({ port: 8080, host: '127.0.0.1', token_env: 'INSPECTOR_STATION_TOKEN' });
    expect(config.queue.max).toBe(64);
    // Decision first: findings and the deciding packs' map after the publish unless asked otherwise.
    expect(config.findings).toBe('after_publish');
    expect(config.explanation).toBe('after_publish');
    expect(parseStationConfig(`${EXAMPLE}explanation: with_decision\n`).config.explanation).toBe('with_decision');
    expect(codeOf(() => parseStationConfig(`${EXAMPLE}explanation: later\n`)).message).toMatch(/explanation/);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names each wrong key in one STATION_CONFIG_INVALID', () => {
    const bad = EXAMPLE.replace('settle_ms: 500', 'settle_ms: -1').replace('after: move:/data/done', 'after: archive').replace('qos: 1', 'qos: 3').replace('line: L1', 'line: L1, shift: night');
    const e = codeOf(() => parseStationConfig(bad));
    expect(e.code).toBe('STATION_CONFIG_INVALID');
    expect(e.message).toMatch(/watch\.0\.settle_ms/);
    expect(e.message).toMatch(/watch\.0\.after/);
    expect(e.message).toMatch(/publish\.mqtt\.qos/);
    expect(e.message).toMatch(/station.*shift|Unrecognized key.*shift/);
  });

  it('requires {serial} and {view} in the pattern, at least one view and a topic without wildcards', () => {
    expect(codeOf(() => parseStationConfig(EXAMPLE.replace('"{serial}_{view}.{ext}"', '"{serial}.{ext}"'))).message).toMatch(/pattern needs \{serial\} and \{view\}/);
    expect(codeOf(() => parseStationConfig(EXAMPLE.replace('views: [ct, surface]', 'views: []'))).code).toBe('STATION_CONFIG_INVALID');
    expect(codeOf(() => parseStationConfig(EXAMPLE.replace('inspector/ST01', 'inspector/#'))).message).toMatch(/publish\.mqtt\.topic/);
    expect(codeOf(() => parseStationConfig(EXAMPLE.replace('publish:', 'watch2: 1\npublish:'))).message).toMatch(/watch2/);
  });

  it('refuses the same folder watched twice', () => {
    const twice = EXAMPLE.replace('publish:', '  - { dir: /data/incoming, views: [ct] }\npublish:');
    expect(codeOf(() => parseStationConfig(twice)).message).toMatch(/same dir is listed twice/);
  });

  it('tells unreadable YAML and a missing file apart', () => {
    expect(codeOf(() => parseStationConfig('station: [unclosed')).code).toBe('STATION_CONFIG_UNREADABLE');
    expect(codeOf(() => loadStationConfig('/nonexistent/station.yaml')).code).toBe('STATION_CONFIG_NOT_FOUND');
    const dir = mkdtempSync(join(os.tmpdir(), 'station-cfg-'));
    writeFileSync(join(dir, 'station.yaml'), EXAMPLE.replace('/data/incoming', 'incoming'));
    expect(loadStationConfig(join(dir, 'station.yaml')).config.watch[0]!.dir).toBe(join(dir, 'incoming'));
  });
});
