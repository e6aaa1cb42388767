/** Transfer syntaxes by UID: their name, how their pixel data is laid out and which codec reads it. */

export type Codec = 'native' | 'deflate-frame' | 'rle' | 'jpeg-baseline' | 'jpeg-extended' | 'jpeg-lossless' | 'jpeg-ls' | 'j2k' | 'htj2k';

export interface TransferSyntax {
  uid: string;
  name: string;
  codec: Codec | null;
  littleEndian: boolean;
  explicitVr: boolean;
  deflated?: boolean;
  lossy?: boolean;
}

const T = (uid: string, name: string, codec: Codec | null, extra: Partial<TransferSyntax> = {}): TransferSyntax => ({
  uid,
  name,
  codec,
  littleEndian: true,
  explicitVr: true,
  ...extra,
});

const TABLE: TransferSyntax[] = [
  T('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native', { explicitVr: false }),
  T('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
  T('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  T('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native', { littleEndian: false }),
  T('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  T('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-baseline', { lossy: true }),
  T('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg-extended', { lossy: true }),
  T('1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)', 'jpeg-extended', { lossy: true }),
  T('1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)', 'jpeg-extended', { lossy: true }),
  T('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
  T('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [SV1])', 'jpeg-lossless'),
  T('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  T('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)', 'jpeg-ls', { lossy: true }),
  T('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'j2k'),
  T('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'j2k', { lossy: true }),
  T('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', 'j2k'),
  T('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component Image Compression', 'j2k', { lossy: true }),
  T('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'htj2k'),
  T('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', 'htj2k'),
  T('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', 'htj2k', { lossy: true }),
  // Known but not decodable here: named so the error can say which one it is.
  T('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', null, { lossy: true }),
  T('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', null, { lossy: true }),
  T('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', null, { lossy: true }),
  T('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', null, { lossy: true }),
  T('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', null, { lossy: true }),
  T('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', null, { lossy: true }),
  T('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless', null),
  T('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression', null),
  T('1.2.840.10008.1.2.4.112', 'JPEG XL', null, { lossy: true }),
  T('1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression', 'deflate-frame'),
  T('1.2.840.10008.1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', null),
  T('1.2.840.10008.1.2.7.2', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', null),
  T('1.2.840.10008.1.2.7.3', 'SMPTE ST 2110-30 PCM Digital Audio', null),
  T('1.2.840.10008.1.2.4.94', 'JPIP Referenced', null),
  T('1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', null),
];

const BY_UID = new Map(TABLE.map((t) => [t.uid, t]));

export function transferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

export function transferSyntaxName(uid: string): string {
  return BY_UID.get(uid)?.name ?? 'unknown transfer syntax';
}

export function decodableTransferSyntaxes(): TransferSyntax[] {
  return TABLE.filter((t) => t.codec !== null);
}
