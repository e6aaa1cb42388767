/**
 * DICOM TLS (PS3.15 Annex B, the BCP 195 profile): the node's certificate, key and the CA its
 * peers' certificates must chain to, read from the files `dicom.yaml` names. The listener then
 * accepts TLS only (a plaintext peer fails the handshake and is logged as rejected), asks for the
 * peer's certificate by default (mutual TLS, as the profile's "authenticated" node does), and
 * destinations marked `tls: true` are reached over TLS with the server's certificate checked
 * against the same CA and its host name. TLS 1.2 is the floor. Node's own `tls` module does the
 * work — the same one dcmjs-dimse uses for its `securityOptions`.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { TlsOptions } from 'node:tls';
import { InspectorError } from '../../shared/errors';

export interface TlsConfig {
  cert: string;
  key: string;
  ca: string;
  require_client_cert: boolean;
  /** Seconds between checks of the files for a renewed set (tlsReload.ts); 0 = never. */
  reload_seconds?: number | undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  requireClientCert: boolean;
}

function readPem(what: string, path: string, base: string | undefined): Buffer {
  const full = isAbsolute(path) || !base ? path : join(base, path);
  let b: Buffer;
  try {
    b = readFileSync(full);
  } catch {
    throw new InspectorError('DICOM_TLS_FILE_NOT_FOUND', `The TLS ${what} file ${full} cannot be read.`, { what, path: full });
  }
  if (!b.toString('latin1').includes('-----BEGIN ')) throw new InspectorError('DICOM_TLS_FILE_INVALID', `The TLS ${what} file ${full} is not PEM.`, { what, path: full });
  return b;
}

/** Reads the PEM files (relative paths from the config file's folder). */
export function loadTls(c: TlsConfig, base?: string): TlsMaterial {
  return { cert: readPem('certificate', c.cert, base), key: readPem('key', c.key, base), ca: readPem('CA', c.ca, base), requireClientCert: c.require_client_cert };
}

export function serverOptions(m: TlsMaterial): TlsOptions {
  return { cert: m.cert, key: m.key, ca: m.ca, requestCert: m.requireClientCert, rejectUnauthorized: m.requireClientCert, minVersion: 'TLSv1.2' };
}

/** What dcmjs-dimse's Client passes to `tls.connect` (its `securityOptions`). */
export function clientOptions(m: TlsMaterial): { cert: Buffer; key: Buffer; ca: Buffer; rejectUnauthorized: true; minVersion: 'TLSv1.2' } {
  return { cert: m.cert, key: m.key, ca: m.ca, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}
