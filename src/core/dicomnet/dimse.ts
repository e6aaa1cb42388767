/**
 * dcmjs-dimse (MIT, pure JS; DIMSE SCU and SCP over TCP/TLS) and dcmjs, loaded once. Both are
 * CommonJS builds, so they come in through `createRequire`; dcmjs ships no types, so the few parts
 * we use are typed here. The library logs through loglevel at "info" by default, which would put
 * patient names from dataset dumps into our output: we silence it and log ids ourselves.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const dimse = require('dcmjs-dimse') as typeof import('dcmjs-dimse');
dimse.log.setLevel('silent');

export interface DcmjsDict {
  meta: Record<string, unknown>;
  dict: Record<string, unknown>;
  write(options?: Record<string, unknown>): ArrayBuffer;
}

export interface Dcmjs {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => DcmjsDict;
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DcmjsDict };
    DicomMetaDictionary: {
      naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown>;
      denaturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
    };
  };
  log: { setLevel(level: string): void };
}

export const dcmjs = require('dcmjs') as Dcmjs;
dcmjs.log.setLevel('error');
