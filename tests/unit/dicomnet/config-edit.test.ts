/**
 * configEdit on real files: only the edited fields change in the YAML document (comments, flow
 * style of untouched keys, TLS, DICOMweb destinations and the keys the panel does not show stay);
 * the loader's schema judges the result with its field paths; the write is atomic with a `.bak`.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { applyDicomEdit, readDicomConfigFile, writeDicomConfigFile, type DicomSettingsEdit } from '../../../src/core/dicomnet/configEdit';
import { loadDicomConfig } from '../../../src/core/dicomnet/config';
import { InspectorError } from '../../../src/shared/errors';

const TEXT = [
  '# CT room node',
  'ae_title: INSPECTOR # as the PACS knows us',
  'port: 11112',
  'allow: [{ aet: MOVER, host: 10.0.0.5, port: 104 }] # a C-MOVE destination',
  'send_results:',
  '  - { aet: PACS1, host: 10.0.0.9, port: 104, objects: [sr, seg], deidentify: true }',
  '  - url: https://pacs.example/dicom-web',
  '    objects: [sr]',
  'query: { url: "https://pacs.example/dicom-web" }',
  'retry_seconds: 60',
  '',
].join('\n');

describe('configEdit', () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-config-edit-'));
  const file = join(dir, 'dicom.yaml');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = () => {
    writeFileSync(file, TEXT);
    return readDicomConfigFile(file);
  };
  const editOf = (f: ReturnType<typeof fresh>): DicomSettingsEdit => ({
    ae_title: f.config.ae_title,
    port: f.config.port,
    allow: f.config.allow,
    send_results: f.config.send_results.filter((d) => !('url' in d)),
  });

  it('an unchanged edit changes nothing and keeps the text byte for byte', () => {
    const f = fresh();
    const r = applyDicomEdit(f, editOf(f));
    expect(r.changed).toEqual([]);
    expect(r.text).toBe(TEXT);
  });

  it('sets only the edited fields: comments, untouched keys, extra keys of edited entries and DICOMweb destinations stay', () => {
    const f = fresh();
    const dests = f.config.send_results.filter((d) => !('url' in d));
    const r = applyDicomEdit(f, { ...editOf(f), port: 4104, send_results: [{ ...dests[0]!, aet: 'PACS2' }] });
    expect(r.changed).toEqual(['port', 'send_results']);
    expect(r.text).toContain('# CT room node');
    expect(r.text).toContain('ae_title: INSPECTOR # as the PACS knows us');
    // The untouched allow-list keeps its flow style and comment (the stringifier pads its brackets).
    expect(r.text).toMatch(/^allow: \[ ?\{ aet: MOVER, host: 10\.0\.0\.5, port: 104 \} ?\] # a C-MOVE destination$/m);
    const y = parse(r.text) as Record<string, unknown>;
    expect(y['port']).toBe(4104);
    expect(y['send_results']).toEqual([
      { aet: 'PACS2', host: '10.0.0.9', port: 104, objects: ['sr', 'seg'], deidentify: true },
      { url: 'https://pacs.example/dicom-web', objects: ['sr'] },
    ]);
    expect(y['query']).toEqual({ url: 'https://pacs.example/dicom-web' });
    expect(y['retry_seconds']).toBe(60);
    expect(r.config.send_results[0]).toMatchObject({ aet: 'PACS2', deidentify: true });
  });

  it('an empty host means any host; a blank AE title, a port as text and a bad destination port are refused with their field paths', () => {
    const f = fresh();
    const ok = applyDicomEdit(f, { ...editOf(f), allow: [{ aet: 'CT1', host: '' }] });
    expect((parse(ok.text) as { allow: unknown }).allow).toEqual([{ aet: 'CT1' }]);
    const issues = (edit: Partial<DicomSettingsEdit>): string[] => {
      try {
        applyDicomEdit(f, { ...editOf(f), ...edit });
      } catch (e) {
        expect(e).toBeInstanceOf(InspectorError);
        expect((e as InspectorError).code).toBe('DICOM_CONFIG_INVALID');
        return (e as InspectorError).details!['issues'] as string[];
      }
      throw new Error('expected DICOM_CONFIG_INVALID');
    };
    expect(issues({ ae_title: '' })[0]).toMatch(/^ae_title: /);
    expect(issues({ port: 'eleven' })).toEqual([expect.stringMatching(/^port: Invalid input: expected number/)]);
    expect(issues({ send_results: [{ aet: 'PACS1', host: 'h', port: 0, objects: ['sr'] }] })).toEqual([expect.stringMatching(/^send_results\.0\.port: Too small/)]);
    expect(issues({ send_results: [{ aet: 'PACS1', host: 'h', port: 104, objects: [] }] })[0]).toMatch(/^send_results\.0\.objects: /);
  });

  it('writes atomically: the new text is loadable, the old one is the .bak, no temp file is left', () => {
    const f = fresh();
    const r = applyDicomEdit(f, { ...editOf(f), ae_title: 'CT_ROOM' });
    writeDicomConfigFile(file, r.text);
    expect(readFileSync(file, 'utf8')).toBe(r.text);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(TEXT);
    expect(loadDicomConfig(file).ae_title).toBe('CT_ROOM');
    expect(readdirSync(dir).sort()).toEqual(['dicom.yaml', 'dicom.yaml.bak']);
    expect(existsSync(`${file}.tmp-${process.pid}`)).toBe(false);
  });
});
