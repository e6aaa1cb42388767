/**
 * Model packs down: a central table of approved packs (name, version, content hash, Ed25519
 * signature, approver). Stations pull approved packs from a share and install one only when its
 * bytes hash to the approved hash and the signature verifies with the key the station trusts —
 * unsigned, altered or wrongly signed packs are refused with a coded error and installed nowhere.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type pg from 'pg';
import { InspectorError } from '../../shared/errors';
import { sha256Hex } from '../history/hash';
import { readManifest } from '../packs/load';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
      else throw new InspectorError('PACK_ALTERED', `Pack ${dir} holds ${p}, which is not a plain file.`, { path: p });
    }
  };
  walk(dir);
  return out.map((p) => relative(dir, p).split(sep).join('/')).sort();
}

/** The pack's content hash: every file's path and SHA-256, in path order. */
export function packDigest(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InspectorError('PACK_NOT_FOUND', `No pack folder at ${dir}.`, { dir });
  return sha256Hex(listFiles(dir).map((f) => `${f}\t${sha256Hex(readFileSync(join(dir, f)))}\n`).join(''));
}

const signedText = (name: string, version: string, hash: string) => `inspector-pack:v1\n${name}\n${version}\n${hash}\n`;

export interface Approval {
  name: string;
  version: string;
  hash: string;
  signature: string | null;
  approver: string;
}

export async function approvePack(c: pg.Client, dir: string, privateKeyPem: string, approver: string): Promise<Approval> {
  const { manifest } = readManifest(dir);
  const hash = packDigest(dir);
  const signature = sign(null, Buffer.from(signedText(manifest.name, manifest.version, hash)), createPrivateKey(privateKeyPem)).toString('base64');
  await c.query(
    `INSERT INTO approved_packs(name, version, hash, signature, approver) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (name, version) DO UPDATE SET hash = excluded.hash, signature = excluded.signature, approver = excluded.approver, approved_at = now()`,
    [manifest.name, manifest.version, hash, signature, approver],
  );
  return { name: manifest.name, version: manifest.version, hash, signature, approver };
}

/** Throws the coded reason a pack folder may not be installed under this approval. */
export function checkApproved(dir: string, a: Approval, publicKeyPem: string): void {
  const what = `${a.name} ${a.version}`;
  if (!a.signature) throw new InspectorError('PACK_UNSIGNED', `Pack ${what} has no signature in the approved-pack table; it is not installed.`, { name: a.name, version: a.version });
  const ok = verify(null, Buffer.from(signedText(a.name, a.version, a.hash)), createPublicKey(publicKeyPem), Buffer.from(a.signature, 'base64'));
  if (!ok) throw new InspectorError('PACK_SIGNATURE_INVALID', `The signature of pack ${what} does not verify with the trusted key; it is not installed.`, { name: a.name, version: a.version });
  const actual = packDigest(dir);
  if (actual !== a.hash) {
    throw new InspectorError('PACK_ALTERED', `Pack ${what} on the share does not match what was approved (hash ${actual.slice(0, 12)}…, approved ${a.hash.slice(0, 12)}…); it is not installed.`, {
      name: a.name,
      version: a.version,
      hash: actual,
      approved: a.hash,
    });
  }
}

export interface PullResult {
  installed: string[];
  current: string[];
  refused: { name: string; version: string; code: string; message: string }[];
}

/** Installs every approved pack found as `<share>/<name>-<version>` into `<into>/<name>-<version>`. */
export async function pullPacks(c: pg.Client, share: string, into: string, publicKeyPem: string): Promise<PullResult> {
  const rows = (await c.query('SELECT name, version, hash, signature, approver FROM approved_packs ORDER BY name, version')).rows as Approval[];
  const res: PullResult = { installed: [], current: [], refused: [] };
  for (const a of rows) {
    const id = `${a.name}-${a.version}`;
    const target = join(into, id);
    try {
      if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new InspectorError('PACK_ALTERED', `Approved pack name "${id}" is not a plain folder name.`);
      if (existsSync(target)) {
        checkApproved(target, a, publicKeyPem);
        res.current.push(id);
        continue;
      }
      const src = join(share, id);
      // Copied first, then checked: the share may change between a check and a copy.
      const staging = `${target}.pull-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(src)) throw new InspectorError('PACK_NOT_FOUND', `Approved pack ${id} is not on the share ${share}.`, { name: a.name, version: a.version });
      cpSync(src, staging, { recursive: true });
      try {
        checkApproved(staging, a, publicKeyPem);
      } catch (e) {
        rmSync(staging, { recursive: true, force: true });
        throw e;
      }
      renameSync(staging, target);
      res.installed.push(id);
    } catch (e) {
      const err = e instanceof InspectorError ? e : new InspectorError('PACK_PULL_FAILED', (e as Error).message);
      res.refused.push({ name: a.name, version: a.version, code: err.code, message: err.message });
    }
  }
  return res;
}
