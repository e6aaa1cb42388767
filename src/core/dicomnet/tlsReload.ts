/**
 * Certificate rotation without a restart. Hospitals renew the node's certificate (often a
 * short-lived one from an internal CA) by replacing the PEM files; restarting the receiver would
 * drop associations in flight and lose what modalities send meanwhile. So the files `dicom.yaml`
 * names are polled every `tls.reload_seconds`: a periodic stat of inode, size and mtime, because
 * fs.watch misses editors' and certbot's write-temp-then-rename and changes under bind mounts.
 * When any of them changes the whole set is read again and checked — PEM, the key belongs to the
 * certificate, the certificate is valid now, every CA certificate parses, Node builds a secure
 * context from it — and only then handed to `apply` (the listener's `setSecureContext`). A set
 * that fails (a key of another certificate, garbage, a file missing mid-rename) is refused with
 * DICOM_TLS_RELOAD_FAILED and the material in service stays; the next change is tried again.
 * New TLS sessions get the new certificate; sessions already up keep the one they shook hands with.
 */
import { EventEmitter } from 'node:events';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { InspectorError, toErrorInfo } from '../../shared/errors';
import { loadTls, serverOptions, type TlsConfig, type TlsMaterial } from './tls';

/** What is logged about a certificate: ids and dates, never key material. */
export type CertificateIdentity = {
  fingerprint256: string;
  serialNumber: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
};

// Types, not interfaces: node events are plain records (they index as Record<string, unknown>).
export type TlsReloaded = CertificateIdentity & {
  /** The certificate this one replaced. */
  previousFingerprint256: string;
};

export type TlsReloadFailure = {
  code: 'DICOM_TLS_RELOAD_FAILED';
  message: string;
  /** What was wrong: file-not-found, file-invalid, certificate-invalid, key-invalid, key-mismatch, expired, not-yet-valid, ca-invalid, context-failed, apply-failed. */
  reason: string;
};

function refuse(reason: string, message: string): never {
  throw new InspectorError('DICOM_TLS_RELOAD_FAILED', message, { reason });
}

/** Node writes a distinguished name one RDN a line; a log line wants it on one. */
const oneLine = (dn: string) => dn.split('\n').join(', ');

function identity(c: X509Certificate): CertificateIdentity {
  return {
    fingerprint256: c.fingerprint256,
    serialNumber: c.serialNumber,
    subject: oneLine(c.subject),
    issuer: oneLine(c.issuer),
    validFrom: new Date(c.validFrom).toISOString(),
    validTo: new Date(c.validTo).toISOString(),
  };
}

/**
 * Checks a set before it goes into service; returns the certificate's identity. A certificate
 * file may carry the chain after the leaf: the first block is the node's own.
 */
export function validateTls(m: TlsMaterial, now: Date = new Date()): CertificateIdentity {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(m.cert);
  } catch (e) {
    refuse('certificate-invalid', `The TLS certificate does not parse: ${toErrorInfo(e).message}`);
  }
  let key;
  try {
    key = createPrivateKey(m.key);
  } catch (e) {
    refuse('key-invalid', `The TLS key does not parse: ${toErrorInfo(e).message}`);
  }
  if (!cert.checkPrivateKey(key))
    refuse(
      'key-mismatch',
      `The TLS key is not the key of certificate ${cert.fingerprint256} (${oneLine(cert.subject)}).`,
    );
  if (new Date(cert.validTo).getTime() < now.getTime())
    refuse('expired', `The TLS certificate ${cert.fingerprint256} expired on ${new Date(cert.validTo).toISOString()}.`);
  if (new Date(cert.validFrom).getTime() > now.getTime())
    refuse(
      'not-yet-valid',
      `The TLS certificate ${cert.fingerprint256} is not valid before ${new Date(cert.validFrom).toISOString()}.`,
    );
  const blocks = m.ca.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) refuse('ca-invalid', 'The TLS CA file holds no certificate.');
  for (const [i, b] of blocks.entries()) {
    try {
      new X509Certificate(b);
    } catch (e) {
      refuse('ca-invalid', `CA certificate ${i + 1} of ${blocks.length} does not parse: ${toErrorInfo(e).message}`);
    }
  }
  try {
    createSecureContext(serverOptions(m));
  } catch (e) {
    refuse('context-failed', `Node refuses the TLS set: ${toErrorInfo(e).message}`);
  }
  return identity(cert);
}

/** Inode, size and mtime of each file ("missing" when it cannot be stat'ed, e.g. between unlink and rename). */
function signature(c: TlsConfig): string {
  return [c.cert, c.key, c.ca]
    .map((p) => {
      try {
        const s = statSync(p);
        return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

export interface TlsReloaderOptions {
  /** Seconds between checks; 0 = never (the material read at start stays). */
  reloadSeconds: number;
  /** Puts a checked set into service (the listener's setSecureContext); a throw keeps the old one. */
  apply: (m: TlsMaterial) => void;
}

/**
 * Emits 'reloaded' (TlsReloaded) and 'failed' (TlsReloadFailure). `current` is what is in
 * service, for the SCU side, which builds its TLS options per association from it.
 */
export class TlsReloader extends EventEmitter {
  private timer: NodeJS.Timeout | null = null;
  private seen: string;
  private currentFingerprint: string;

  constructor(
    private readonly config: TlsConfig,
    public current: TlsMaterial,
    private readonly opts: TlsReloaderOptions,
  ) {
    super();
    this.seen = signature(config);
    try {
      this.currentFingerprint = new X509Certificate(current.cert).fingerprint256;
    } catch {
      this.currentFingerprint = '';
    }
  }

  start(): void {
    if (this.timer || !(this.opts.reloadSeconds > 0)) return;
    this.timer = setInterval(() => this.check(), this.opts.reloadSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll: when a file changed since the last attempt, try the set once. Returns whether something new went into service. */
  check(): boolean {
    const sig = signature(this.config);
    if (sig === this.seen) return false;
    // Remembered before trying: a refused set is not retried (and logged) every tick, only when the files change again.
    this.seen = sig;
    try {
      let next: TlsMaterial;
      try {
        next = loadTls(this.config);
      } catch (e) {
        const info = toErrorInfo(e);
        refuse(info.code === 'DICOM_TLS_FILE_NOT_FOUND' ? 'file-not-found' : 'file-invalid', info.message);
      }
      // Touched but not changed (a renewal job that rewrites the same files): nothing to do.
      if (next.cert.equals(this.current.cert) && next.key.equals(this.current.key) && next.ca.equals(this.current.ca))
        return false;
      const id = validateTls(next);
      try {
        this.opts.apply(next);
      } catch (e) {
        refuse('apply-failed', `The listener refused the new TLS set: ${toErrorInfo(e).message}`);
      }
      const previous = this.currentFingerprint;
      this.current = next;
      this.currentFingerprint = id.fingerprint256;
      this.emit('reloaded', { ...id, previousFingerprint256: previous } satisfies TlsReloaded);
      return true;
    } catch (e) {
      const info = toErrorInfo(e, 'DICOM_TLS_RELOAD_FAILED');
      const reason =
        e instanceof InspectorError && typeof e.details?.['reason'] === 'string' ? e.details['reason'] : 'unknown';
      this.emit('failed', {
        code: 'DICOM_TLS_RELOAD_FAILED',
        message: info.message,
        reason,
      } satisfies TlsReloadFailure);
      return false;
    }
  }
}
