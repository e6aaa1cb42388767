/**
 * The storage presentation contexts a C-GET association proposes (PS3.4 C.4.3, PS3.7 D.3.3.4).
 * The PACS sends each instance back as a C-STORE on one of *our* contexts, so what we propose
 * decides whether a JPEG 2000 / JPEG / RLE / JPEG-LS study comes as held or must be transcoded
 * (and fails where the PACS cannot: Orthanc 1.10 and J2K). A context carries one abstract syntax
 * and the acceptor picks ONE transfer syntax of it, so every compressed syntax our decoders handle
 * gets its own context per SOP class, next to one context for the uncompressed syntaxes.
 *
 * Why not dcmjs-dimse's own C-GET negotiation: it proposes its storage classes in Implicit/Explicit
 * VR Little Endian only, and contexts added with `addAdditionalPresentationContext` lose the SCP
 * role (the library copies only abstract and transfer syntaxes). So we add our contexts to the
 * library's Association object just before the A-ASSOCIATE-RQ is written (cget.ts hooks the
 * network's `sendAssociationRequest`) — composition, node_modules untouched.
 */
import { decodableTransferSyntaxes } from '../imaging/dicom/transferSyntax';
import { dimse, type Association } from './dimse';

const { TransferSyntax } = dimse.constants;

/** At most 128 contexts (odd ids 1..255); one goes to the C-GET SOP class itself. */
const MAX_CONTEXTS = 127;

const UNCOMPRESSED = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];

/** Every compressed syntax a decoder of ours handles (the viewer and the models read them). */
export function compressedSyntaxes(): string[] {
  return decodableTransferSyntaxes()
    .filter((t) => t.codec !== 'native')
    .map((t) => t.uid);
}

/** Used when the PACS does not say which SOP classes the study holds (image-level C-FIND refused). */
export const COMMON_IMAGE_CLASSES = [
  '1.2.840.10008.5.1.4.1.1.1', // CR
  '1.2.840.10008.5.1.4.1.1.1.1', // DX for presentation
  '1.2.840.10008.5.1.4.1.1.2', // CT
  '1.2.840.10008.5.1.4.1.1.4', // MR
  '1.2.840.10008.5.1.4.1.1.7', // Secondary Capture
  '1.2.840.10008.5.1.4.1.1.12.1', // XA
];

export interface StorageProposal {
  sopClass: string;
  transferSyntaxes: string[];
}

/**
 * One uncompressed context per SOP class first (every class must be receivable), then the
 * compressed ones per class while context ids last; classes beyond that come uncompressed only.
 */
export function storageProposals(sopClasses: string[]): StorageProposal[] {
  const classes = [...new Set(sopClasses.filter(Boolean))];
  const out: StorageProposal[] = classes.map((sopClass) => ({ sopClass, transferSyntaxes: UNCOMPRESSED }));
  const compressed = compressedSyntaxes();
  let left = MAX_CONTEXTS - out.length;
  for (const sopClass of classes) {
    if (left < compressed.length) break;
    for (const ts of compressed) out.push({ sopClass, transferSyntaxes: [ts] });
    left -= compressed.length;
  }
  return out.slice(0, MAX_CONTEXTS);
}

/**
 * Adds the proposals to the association with the SCP role for us (SCU role 0, SCP role 1). Role
 * selection is per SOP class, not per context: one role item per class is written (on its first
 * context), which the acceptor applies to all of that class's contexts.
 */
export function addStorageContexts(association: Association, proposals: StorageProposal[]): void {
  const roled = new Set<string>();
  for (const p of proposals) {
    const id = association.addPresentationContext(p.sopClass);
    const ctx = association.getPresentationContext(id);
    for (const ts of p.transferSyntaxes) ctx.addTransferSyntaxUid(ts);
    if (!roled.has(p.sopClass)) {
      ctx.setUserRole(false);
      ctx.setProviderRole(true);
      roled.add(p.sopClass);
    }
  }
}
