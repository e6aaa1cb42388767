/**
 * The Node settings panel's draft ↔ edit mapping and the host's issues by field: what the page
 * sends is what the admin typed (a whole-number port as a number, anything else as typed, for the
 * schema to name), the keys the panel does not show ride along, and DICOMweb destinations are not
 * in the draft (the host keeps them).
 */
import { describe, expect, it } from 'vitest';
import { draftOf, editOf, issuesByField } from '../../../src/renderer/src/worklist/nodeSettingsView';

const CONFIG = {
  ae_title: 'INSPECTOR',
  port: 11112,
  bind: '127.0.0.1',
  allow: [{ aet: 'MOVER', host: '10.0.0.5', port: 104 }, { aet: 'ANY' }],
  send_results: [{ aet: 'PACS1', host: '10.0.0.9', port: 104, objects: ['sr', 'seg'], deidentify: true }, { url: 'https://pacs.example/dicom-web', objects: ['sr'] }],
};

describe('nodeSettingsView', () => {
  it('round-trips the parsed config through the draft unchanged (extra keys kept, web destinations left to the host)', () => {
    const d = draftOf(CONFIG);
    expect(d).toMatchObject({ ae_title: 'INSPECTOR', port: '11112', allow: [{ aet: 'MOVER', host: '10.0.0.5', extra: { port: 104 } }, { aet: 'ANY', host: '' }] });
    expect(d.send_results).toHaveLength(1);
    expect(editOf(d)).toEqual({
      ae_title: 'INSPECTOR',
      port: 11112,
      allow: [{ aet: 'MOVER', host: '10.0.0.5', port: 104 }, { aet: 'ANY', host: '' }],
      send_results: [{ aet: 'PACS1', host: '10.0.0.9', port: 104, objects: ['sr', 'seg'], deidentify: true }],
    });
  });

  it('a port that is not a whole number goes as typed; entries are trimmed', () => {
    const d = { ...draftOf(CONFIG), port: '11a' };
    d.allow[1] = { aet: ' CT1 ', host: ' 10.1.1.1 ', extra: {} };
    const e = editOf(d);
    expect(e.port).toBe('11a');
    expect(e.allow[1]).toEqual({ aet: 'CT1', host: '10.1.1.1' });
    expect(editOf({ ...d, port: ' 104 ' }).port).toBe(104);
  });

  it('groups the host issues by field path; an issue without a path is under ""', () => {
    const err = { code: 'DICOM_CONFIG_INVALID', message: 'x', details: { issues: ['port: Too big: expected number to be <=65535', 'allow.1.aet: an AE title must not be blank', 'allow.1.aet: second', '(root): whole'] } };
    expect(issuesByField(err)).toEqual({ port: ['Too big: expected number to be <=65535'], 'allow.1.aet': ['an AE title must not be blank', 'second'], '': ['whole'] });
    expect(issuesByField(null)).toEqual({});
    expect(issuesByField({ code: 'DICOM_PORT_IN_USE', message: 'busy' })).toEqual({});
  });
});
