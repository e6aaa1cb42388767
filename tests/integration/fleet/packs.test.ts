/**
 * Model packs down: a pack from models/ approved centrally (Ed25519 via node:crypto) is pulled
 * from a share and installed only when its bytes and signature hold; an altered, unsigned or
 * wrongly signed pack is refused with its code and installed nowhere. Real PostgreSQL 15.
 */
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDigest } from '../../../src/core/fleet/packs';
import { repoRoot } from '../../support/paths';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from './postgres';
import { cli } from './support';

if (!postgresAvailable) console.warn(`fleet pack tests skipped: ${skipReason}`);

describe.skipIf(!postgresAvailable)('signed pack pull', () => {
  let pgs: TempPostgres;
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-packs-'));
  const share = join(root, 'share');
  const into = join(root, 'station-packs');
  const keys = (name: string) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(root, `${name}.key.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(root, `${name}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  };
  beforeAll(async () => {
    pgs = await startPostgres();
    keys('quality');
    keys('stranger');
    mkdirSync(share, { recursive: true });
    cpSync(join(repoRoot, 'models', 'battery-ct-porosity'), join(share, 'battery-ct-porosity-1.0.0'), { recursive: true });
    cpSync(join(repoRoot, 'models', 'surface-pitting-ae'), join(share, 'surface-pitting-ae-x'), { recursive: true });
  });
  afterAll(() => pgs?.stop());

  it('installs an approved pack whose bytes and signature verify, and refuses altered, unsigned and foreign-signed ones', async () => {
    const approve = cli(['central', 'approve-pack', join(share, 'battery-ct-porosity-1.0.0'), '--db', pgs.url, '--key', join(root, 'quality.key.pem'), '--approver', 'qa.lee'], root);
    expect(approve.status, approve.stderr).toBe(0);
    const hash = packDigest(join(repoRoot, 'models', 'battery-ct-porosity'));
    expect(approve.stdout).toContain(`approved battery-ct-porosity 1.0.0 (hash ${hash}) by qa.lee`);

    const pull = (pub = 'quality') => cli(['central', 'pull-packs', '--db', pgs.url, '--share', share, '--into', into, '--public-key', join(root, `${pub}.pub.pem`), '--json'], root);
    const ok = pull();
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ installed: ['battery-ct-porosity-1.0.0'], current: [], refused: [] });
    expect(packDigest(join(into, 'battery-ct-porosity-1.0.0'))).toBe(hash);
    // The installed pack is a working pack.
    const check = cli(['pack', 'check', join(into, 'battery-ct-porosity-1.0.0')], root);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(JSON.parse(pull().stdout).current).toEqual(['battery-ct-porosity-1.0.0']);

    // A station that trusts another key refuses the same pack.
    const foreign = pull('stranger');
    expect(foreign.status).toBe(1);
    expect(JSON.parse(foreign.stdout).refused[0]).toMatchObject({ name: 'battery-ct-porosity', code: 'PACK_SIGNATURE_INVALID' });

    const c = new pg.Client({ connectionString: pgs.url });
    await c.connect();
    try {
      // Unsigned: an approval row without a signature (e.g. inserted by hand).
      await c.query("INSERT INTO approved_packs(name, version, hash, signature, approver) VALUES ('surface-pitting-ae', 'x', $1, NULL, 'someone')", [packDigest(join(share, 'surface-pitting-ae-x'))]);
      // Altered: a second approved version whose share copy is edited after approval.
      cpSync(join(share, 'battery-ct-porosity-1.0.0'), join(root, 'v2'), { recursive: true });
      const yaml = join(root, 'v2', 'pack.yaml');
      writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('version: 1.0.0', 'version: 1.0.1'));
      cpSync(join(root, 'v2'), join(share, 'battery-ct-porosity-1.0.1'), { recursive: true });
      expect(cli(['central', 'approve-pack', join(share, 'battery-ct-porosity-1.0.1'), '--db', pgs.url, '--key', join(root, 'quality.key.pem'), '--approver', 'qa.lee'], root).status).toBe(0);
      appendFileSync(join(share, 'battery-ct-porosity-1.0.1', 'model.onnx'), Buffer.from([0]));
    } finally {
      await c.end();
    }
    const mixed = pull();
    expect(mixed.status).toBe(1);
    const r = JSON.parse(mixed.stdout);
    expect(r.current).toEqual(['battery-ct-porosity-1.0.0']);
    expect(r.installed).toEqual([]);
    expect(r.refused.map((x: { name: string; version: string; code: string }) => `${x.name}-${x.version} ${x.code}`).sort()).toEqual([
      'battery-ct-porosity-1.0.1 PACK_ALTERED',
      'surface-pitting-ae-x PACK_UNSIGNED',
    ]);
    expect(existsSync(join(into, 'battery-ct-porosity-1.0.1'))).toBe(false);
    expect(existsSync(join(into, 'surface-pitting-ae-x'))).toBe(false);
  });
});
