/**
 * The OPC 40100 VisionStateMachine of a running station, driven by a node-opcua client in a
 * separate process (visionClient.ts): the station object is a VisionSystemType, it starts in
 * Operational / ContinuousExecution; Stop → Ready and files dropped then are NOT inspected;
 * StartSingleJob(PartId) inspects exactly that part (SingleExecution, then Ready again);
 * StartContinuous reads the folder again; Halt stops everything (TriggerInspection refused);
 * Reset → Preoperational, SelectModeAutomatic → Operational / Ready; transitions that do not apply
 * answer BadInvalidState. A station whose pack cannot load goes to Error after publishing that part
 * INCOMPLETE; Reset → Preoperational, SelectModeAutomatic → Operational again.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { dropCell, freePort, sleep, startStationProcess, stationYaml, stopStation, tempRoot } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

interface Step {
  step: string;
  r?: { status: string; jobId?: unknown };
  vision?: string;
  automatic?: string;
  resultCount?: number;
  events?: string[];
  log?: Step[];
  [k: string]: unknown;
}


/** Runs visionClient.ts in its own process against the station; `onGo` when it waits for the test. */
async function driveClient(root: string, endpoint: string, script: string, onGo: (goFile: string) => void): Promise<{ lines: Step[]; code: number | null; stderr: string }> {
  const go = join(root, 'go');
  const p = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'visionClient.ts')], {
    cwd: repoRoot,
    env: { ...process.env, OPCUA_ENDPOINT: endpoint, OPCUA_PKI: join(root, 'plc-pki'), OPCUA_USER: 'plc', OPCUA_PASSWORD: 'vision-secret', OPCUA_STATION: 'ST01', OPCUA_GO: go, OPCUA_SCRIPT: script },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Step[] = [];
  let buf = '';
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!l.startsWith('{')) continue;
      const s = JSON.parse(l) as Step;
      lines.push(s);
      if (s.step === 'waiting-for-go') onGo(go);
    }
  });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  return { lines, code, stderr };
}

describe('station → OPC 40100 VisionStateMachine (client in another process)', () => {
  it('maps Preoperational / Halted / Error / Operational and Ready / SingleExecution / ContinuousExecution onto the hot folder', async () => {
    const root = tempRoot('station-vision-sm');
    const watch = join(root, 'incoming');
    mkdirSync(watch, { recursive: true });
    const cfg = join(root, 'station.yaml');
    writeFileSync(
      cfg,
      stationYaml({
        watchDir: watch,
        settleMs: 200,
        caseTimeoutMs: 20_000,
        // Commissioning mode for this test's client certificate; the trust dance is tested in opcua.test.ts.
        extra: `  opcua: { port: ${await freePort()}, users: { plc: PLC_PASSWORD }, auto_accept_certificates: true, trigger_timeout_ms: 20000 }`,
      }),
    );
    const st = startStationProcess(cfg, join(root, 'history.sqlite'), { PLC_PASSWORD: 'vision-secret' });
    cleanup.push(() => stopStation(st));
    const endpoint = String((await st.ready)['opcua']);
    const { lines, code, stderr } = await driveClient(root, endpoint, '', (go) => {
      // Ready (folder not read): two parts arrive; wait well past settle_ms, then let the PLC go on.
      dropCell(watch, 'cell-002', 'Q-1');
      dropCell(watch, 'cell-003', 'Q-2');
      void sleep(1500).then(() => writeFileSync(go, 'go'));
    });
    const done = lines.find((l) => l.step === 'done');
    expect(done, `client failed (${code}):\n${JSON.stringify(lines.filter((l) => l.step === 'error'))}\n${stderr.slice(-2000)}\n${st.stderr.slice(-2000)}`).toBeDefined();
    const at = (name: string) => done!.log!.find((s) => s.step === name)!;

    expect(at('start')).toMatchObject({ vision: 'Operational', automatic: 'ContinuousExecution', resultCount: 0 });
    expect(at('Stop')).toMatchObject({ r: { status: 'Good' }, vision: 'Operational', automatic: 'Ready' });
    expect(at('Stop again').r!.status).toBe('BadInvalidState');
    // Ready: the dropped parts wait on disk.
    expect(at('files dropped while Ready')).toMatchObject({ automatic: 'Ready', resultCount: 0, events: [] });
    const single = at('StartSingleJob Q-1');
    expect(single.r!.status).toBe('Good');
    expect(String(single.r!.jobId)).toMatch(/^[0-9a-f-]{36}$/);
    expect(single.automatic).toBe('SingleExecution');
    // Exactly the triggered part, then Ready again; Q-2 still waits.
    expect(at('after single job')).toMatchObject({ automatic: 'Ready', resultCount: 1, events: ['Q-1'] });
    expect(at('StartContinuous')).toMatchObject({ r: { status: 'Good' }, automatic: 'ContinuousExecution' });
    expect(at('StartContinuous again').r!.status).toBe('BadInvalidState');
    expect(at('after continuous')).toMatchObject({ automatic: 'ContinuousExecution', resultCount: 2, events: ['Q-1', 'Q-2'] });
    expect(at('Halt')).toMatchObject({ r: { status: 'Good' }, vision: 'Halted', automatic: null });
    expect(at('TriggerInspection while Halted').r!.status).toBe('BadInvalidState');
    expect(at('StartContinuous while Halted').r!.status).toBe('BadInvalidState');
    expect(at('SelectModeAutomatic while Halted').r!.status).toBe('BadInvalidState');
    expect(at('Reset')).toMatchObject({ r: { status: 'Good' }, vision: 'Preoperational' });
    expect(at('SelectModeAutomatic')).toMatchObject({ r: { status: 'Good' }, vision: 'Operational', automatic: 'Ready' });
    expect(at('Reset while Operational').r!.status).toBe('BadInvalidState');
    expect(at('StartContinuous after reset')).toMatchObject({ r: { status: 'Good' }, automatic: 'ContinuousExecution', resultCount: 2 });
    expect(code).toBe(0);
    expect(await stopStation(st)).toBe(0);
  }, 180_000);
  it('goes to Error when its pack cannot load (the part is still published INCOMPLETE) and comes back with Reset', async () => {
    const root = tempRoot('station-vision-error');
    const watch = join(root, 'incoming');
    mkdirSync(watch, { recursive: true });
    // A copy of the CT pack whose model.onnx is damaged after packing: it fails to load (PACK_HASH_MISMATCH).
    const pack = join(root, 'broken-pack');
    cpSync(join(repoRoot, 'models', 'battery-ct-porosity'), pack, { recursive: true });
    writeFileSync(join(pack, 'model.onnx'), Buffer.alloc(4096, 7));
    const inspection = join(root, 'inspector.yaml');
    writeFileSync(
      inspection,
      readFileSync(join(repoRoot, 'resources', 'samples', 'line-demo', 'inspector.yaml'), 'utf8')
        .replace('pack: battery-ct-porosity', `pack: ${pack}`)
        .split('\n')
        .filter((l) => !l.includes('grounding:'))
        .join('\n'),
    );
    const cfg = join(root, 'station.yaml');
    writeFileSync(
      cfg,
      stationYaml({
        watchDir: watch,
        settleMs: 200,
        caseTimeoutMs: 20_000,
        inspection,
        extra: `  opcua: { port: ${await freePort()}, users: { plc: PLC_PASSWORD }, auto_accept_certificates: true, trigger_timeout_ms: 2000 }`,
      }),
    );
    const db = join(root, 'history.sqlite');
    const st = startStationProcess(cfg, db, { PLC_PASSWORD: 'vision-secret' });
    cleanup.push(() => stopStation(st));
    const endpoint = String((await st.ready)['opcua']);
    const { lines, code, stderr } = await driveClient(root, endpoint, 'error', () => dropCell(watch, 'cell-001', 'E-1'));
    const done = lines.find((l) => l.step === 'done');
    expect(done, `client failed (${code}):\n${JSON.stringify(lines.filter((l) => l.step === 'error'))}\n${stderr.slice(-2000)}\n${st.stderr.slice(-2000)}`).toBeDefined();
    const at = (name: string) => done!.log!.find((s) => s.step === name)!;
    expect(at('start')).toMatchObject({ vision: 'Operational', automatic: 'ContinuousExecution', resultCount: 0 });
    // The part is published (last-result variables, counted) NotDecidable, then the station reports it cannot operate.
    const lastResult = lines.find((l) => l.step === 'last result')!;
    expect(lastResult).toMatchObject({ partId: 'E-1', verdict: 'INCOMPLETE', evaluation: 'NotDecidable' });
    // …and raised as OPC 40100 ResultReadyEventType, received by the client: the same result id and content.
    const events = lines.find((l) => l.step === 'result events')!.events as unknown as { partId: string; resultId: string; verdict?: string; evaluation?: string }[];
    expect(events).toEqual([{ partId: 'E-1', resultId: lastResult['resultId'], verdict: 'INCOMPLETE', evaluation: 'NotDecidable' }]);
    expect(at('after the failed part')).toMatchObject({ vision: 'Error', automatic: null, resultCount: 1, events: ['E-1'] });
    expect(at('TriggerInspection in Error').r!.status).toBe('BadInvalidState');
    expect(at('StartContinuous in Error').r!.status).toBe('BadInvalidState');
    expect(at('Reset')).toMatchObject({ r: { status: 'Good' }, vision: 'Preoperational' });
    expect(at('SelectModeAutomatic')).toMatchObject({ r: { status: 'Good' }, vision: 'Operational', automatic: 'Ready' });
    expect(at('StartContinuous')).toMatchObject({ r: { status: 'Good' }, vision: 'Operational', automatic: 'ContinuousExecution' });
    expect(code).toBe(0);
    expect(await stopStation(st)).toBe(0);
    // Recorded, never a silent skip: INCOMPLETE with the pack's own code.
    const h = new Database(db, { readonly: true });
    const row = h.prepare("SELECT verdict, message FROM station_cases WHERE serial = 'E-1'").get() as { verdict: string; message: string };
    h.close();
    expect(row.verdict).toBe('INCOMPLETE');
    expect((JSON.parse(row.message) as { reasons: { code: string }[] }).reasons.map((r) => r.code)).toContain('PACK_HASH_MISMATCH');
    expect(st.stderr).toMatch(/VisionStateMachine Operational\/ContinuousExecution → Error\/-/);
  }, 180_000);
});
