/**
 * The retrieve side's configuration and negotiation rules, without a network: answer_retrieve is
 * off by default and validated, a C-MOVE destination must come with host and port from the
 * allow-list, and a C-GET association proposes every compressed syntax our decoders read in its
 * own context per SOP class, within DICOM's 128 contexts, with one SCP role item per class.
 */
import { describe, expect, it } from 'vitest';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { dimse } from '../../../src/core/dicomnet/dimse';
import { addStorageContexts, compressedSyntaxes, storageProposals } from '../../../src/core/dicomnet/getContexts';
import { moveDestination } from '../../../src/core/dicomnet/retrieveScp';
import { decodableTransferSyntaxes } from '../../../src/core/imaging/dicom/transferSyntax';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('answer_retrieve and move destinations', () => {
  it('is off by default; on, it needs an allow-list; a port needs its host', () => {
    expect(parseDicomConfig('allow: [{ aet: A, host: 127.0.0.1 }]').answer_retrieve).toBe(false);
    expect(parseDicomConfig('answer_retrieve: true\nallow: [{ aet: A, host: 127.0.0.1, port: 4242 }]').allow[0]).toEqual({ aet: 'A', host: '127.0.0.1', port: 4242 });
    expect(codeOf(() => parseDicomConfig('answer_retrieve: true'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('allow: [{ aet: A, port: 4242 }]'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('answer_retrieve: yes please'))).toBe('DICOM_CONFIG_INVALID');
  });

  it('moves only to an allow entry with host and port, never to an address a peer names', () => {
    const allow = [{ aet: 'WS1', host: '10.0.0.5', port: 104 }, { aet: 'PEER', host: '10.0.0.6' }];
    expect(moveDestination(allow, 'WS1 ')).toEqual({ aet: 'WS1', host: '10.0.0.5', port: 104 });
    expect(codeOf(() => moveDestination(allow, 'PEER'))).toBe('DICOM_MOVE_DESTINATION_UNKNOWN');
    expect(codeOf(() => moveDestination(allow, 'OTHER'))).toBe('DICOM_MOVE_DESTINATION_UNKNOWN');
  });
});

describe('C-GET storage contexts', () => {
  it('one context per compressed decodable syntax per SOP class, plus an uncompressed one; at most 127', () => {
    const compressed = compressedSyntaxes();
    const wanted = decodableTransferSyntaxes().filter((t) => t.codec !== 'native').map((t) => t.uid);
    expect(compressed.sort()).toEqual(wanted.sort());
    for (const ts of ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.80']) expect(compressed).toContain(ts);
    const p = storageProposals(['CR', 'CT', 'CT']);
    expect(p.length).toBe(2 * (compressed.length + 1));
    expect(p.filter((x) => x.sopClass === 'CT' && x.transferSyntaxes.length === 1).map((x) => x.transferSyntaxes[0]).sort()).toEqual([...compressed].sort());
    const many = storageProposals(Array.from({ length: 40 }, (_, i) => `1.2.3.${i}`));
    expect(many.length).toBeLessThanOrEqual(127);
    expect(new Set(many.map((x) => x.sopClass)).size).toBe(40); // every class at least uncompressed
  });

  it('puts them on the association with the SCP role once per class', () => {
    const a = new dimse.association.Association('INSPECTOR', 'PACS');
    addStorageContexts(a, storageProposals(['1.2.840.10008.5.1.4.1.1.2']));
    const ctxs = a.getPresentationContexts().map(({ id }) => a.getPresentationContext(id));
    expect(ctxs.length).toBe(compressedSyntaxes().length + 1);
    expect(new Set(ctxs.map((c) => c.getPresentationContextId())).size).toBe(ctxs.length);
    expect(ctxs.filter((c) => c.getProviderRole() === true).length).toBe(1);
  });
});
