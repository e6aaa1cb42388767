/**
 * Keeping a C-STORE's dataset bytes exactly as the peer sent them. dcmjs-dimse would otherwise
 * parse the dataset (dcmjs) and we would write a re-encoding; with these two hooks — the ones the
 * library's network layer calls for every incoming C-STORE — the fragments are collected as they
 * come and a marker Dataset stands for them until the C-STORE request handler picks them up.
 * Used by the listener (SCP) and by C-GET (SCU receiving sub-operations on its own association).
 */
import { Writable } from 'node:stream';
import { dimse, type Dataset as DimseDataset, type PresentationContext } from './dimse';

const { Dataset } = dimse;

/** Collects a C-STORE's dataset fragments; the library awaits 'drain' when write() returns false. */
class Chunks extends Writable {
  readonly parts: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.parts.push(chunk);
    cb();
  }
}

export interface RawDataset {
  bytes: Buffer;
  /** The transfer syntax of the presentation context it came on: the bytes' encoding. */
  ts: string;
  sopClass: string;
}

export class RawStoreCapture {
  private readonly pending = new WeakMap<object, RawDataset>();

  createStoreWritableStream(): Writable {
    return new Chunks();
  }

  createDatasetFromStoreWritableStream(writable: Writable, context: PresentationContext, callback: (d: DimseDataset) => void): void {
    const ts = context.getAcceptedTransferSyntaxUid() ?? '';
    const marker = new Dataset({}, ts);
    this.pending.set(marker, { bytes: Buffer.concat((writable as Chunks).parts), ts, sopClass: context.getAbstractSyntaxUid() ?? '' });
    callback(marker);
  }

  /** The bytes behind a request's (marker) dataset; undefined when it did not come through us. */
  take(dataset: unknown): RawDataset | undefined {
    if (!dataset || typeof dataset !== 'object') return undefined;
    const got = this.pending.get(dataset);
    this.pending.delete(dataset);
    return got;
  }
}
