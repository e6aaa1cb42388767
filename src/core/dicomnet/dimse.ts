/**
 * dcmjs-dimse (MIT, pure JS; DIMSE SCU and SCP over TCP/TLS) and dcmjs, loaded once. Both are
 * CommonJS builds, so they come in through `createRequire`; dcmjs ships no types, so the few parts
 * we use are typed here. The library logs through loglevel at "info" by default, which would put
 * patient names from dataset dumps into our output: we silence it and log ids ourselves.
 */
import { createRequire } from 'node:module';
import type * as DimseModule from 'dcmjs-dimse';

const requireCjs = createRequire(import.meta.url);

export const dimse = requireCjs('dcmjs-dimse') as typeof DimseModule;
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

export const dcmjs = requireCjs('dcmjs') as Dcmjs;
dcmjs.log.setLevel('error');

import type { association, requests, responses, Client as DimseClient, Dataset as DimseDataset } from 'dcmjs-dimse';
export type Association = association.Association;
export type PresentationContext = association.PresentationContext;
export type DimseRequest = requests.Request;
export type CStoreRequest = requests.CStoreRequest;
export type CEchoRequest = requests.CEchoRequest;
export type CFindRequest = requests.CFindRequest;
export type CMoveRequest = requests.CMoveRequest;
export type CStoreResponse = responses.CStoreResponse;
export type CEchoResponse = responses.CEchoResponse;
export type CFindResponse = responses.CFindResponse;
export type CMoveResponse = responses.CMoveResponse;
export type CGetRequest = requests.CGetRequest;
export type CCancelRequest = requests.CCancelRequest;
export type CGetResponse = responses.CGetResponse;
export type Client = DimseClient;
export type Dataset = DimseDataset;
