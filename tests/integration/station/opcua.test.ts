/**
 * The station's OPC UA server against a node-opcua client in a SEPARATE process (a PLC/MES):
 * SignAndEncrypt/Basic256Sha256 only, an unknown client certificate is rejected until an admin
 * trusts it, anonymous access is refused, and a trusted user gets the trigger → busy → result → ack
 * handshake, the Machine Vision ResultReady event with the result content, and the last-result
 * variables; the same case goes out exactly once on MQTT too.
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker, type ClientLine, dropCell, freePort, hasMosquitto, sleep, startStationProcess, stationYaml, runClientProcess, stopStation, subscriber, tempRoot, until } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

/** The out-of-process PLC/MES (opcuaClient.ts), run to its exit. */
const runClient = (env: Record<string, string>, onLine?: (l: ClientLine) => void) => runClientProcess('opcuaClient.ts', env, onLine);

describe.skipIf(!hasMosquitto)('station → OPC UA (node-opcua client in another process)', () => {
  it('secure by default; trigger, ResultReady event, last result, acknowledgement', async () => {
    const root = tempRoot('station-opcua');
    const broker = await Broker.start(root);
    cleanup.push(() => broker.down());
    const watch = join(root, 'incoming');
    mkdirSync(watch, { recursive: true });
    const port = await freePort();
    const cfg = join(root, 'station.yaml');
    writeFileSync(
      cfg,
      stationYaml({
        watchDir: watch,
        mqttUrl: broker.url,
        settleMs: 200,
        caseTimeoutMs: 20_000,
        extra: `  opcua: { port: ${port}, users: { plc: PLC_PASSWORD }, trigger_timeout_ms: 30000, ack_timeout_ms: 20000 }`,
      }),
    );
    const mes = await subscriber(broker.url, 'inspector/ST01/result');
    cleanup.push(() => mes.client.endAsync());
    const db = join(root, 'data', 'history.sqlite');
    mkdirSync(dirname(db), { recursive: true });
    const st = startStationProcess(cfg, db, { PLC_PASSWORD: 'line-1-secret' });
    cleanup.push(() => stopStation(st));
    const ready = await st.ready;
    const endpoint = String(ready['opcua']);
    expect(endpoint).toMatch(/^opc\.tcp:\/\//);
    const clientPki = join(root, 'plc-pki');
    const base = { OPCUA_ENDPOINT: endpoint, OPCUA_PKI: clientPki, OPCUA_STATION: 'ST01', OPCUA_PART: 'P-100' };

    // 1. An unknown client certificate is refused (and kept for an admin in pki/rejected).
    const first = await runClient({ ...base, OPCUA_USER: 'plc', OPCUA_PASSWORD: 'line-1-secret' });
    expect(first.code).toBe(1);
    expect(first.lines.some((l) => l.step === 'session')).toBe(false);
    const serverPki = join(root, 'data', 'pki');
    const rejected = await until('client certificate in pki/rejected', () => {
      const f = readdirSync(join(serverPki, 'rejected')).filter((n) => /\.(pem|der)$/.test(n));
      return f.length ? f : null;
    }, 10_000);
    // The admin trusts it.
    for (const f of rejected) renameSync(join(serverPki, 'rejected', f), join(serverPki, 'trusted', 'certs', f));

    // 2. Trusted certificate but anonymous: refused (anonymous is off unless configured).
    const anon = await runClient(base);
    expect(anon.code).toBe(1);
    expect(anon.lines.some((l) => l.step === 'connected')).toBe(true);
    expect(anon.lines.some((l) => l.step === 'session')).toBe(false);

    // 3. Wrong password: refused.
    const wrong = await runClient({ ...base, OPCUA_USER: 'plc', OPCUA_PASSWORD: 'guess' });
    expect(wrong.code).toBe(1);
    expect(wrong.lines.some((l) => l.step === 'session')).toBe(false);

    // 4. The PLC: trigger for P-100 before its images exist; the camera writes them; result; ack.
    const plc = await runClient({ ...base, OPCUA_USER: 'plc', OPCUA_PASSWORD: 'line-1-secret' }, (l) => {
      if (l.step === 'calling') {
        void sleep(300).then(() => dropCell(watch, 'cell-002', 'P-100'));
      }
    });
    const by = (s: string) => plc.lines.find((l) => l.step === s);
    expect(plc.code, `client failed: ${JSON.stringify(plc.lines)}\n${plc.stderr.slice(-2000)}\nstation:\n${st.stderr.slice(-2000)}`).toBe(0);
    const result = by('result')!;
    expect(result).toMatchObject({ status: 'Good', verdict: 'INTERNAL_DEFECT', evaluation: 2 });
    const done = by('done')!;
    expect(done['before']).toMatchObject({ resultReady: true, pending: result['resultId'], busy: false });
    expect(done['wrongAck']).toBe('BadInvalidArgument');
    expect(done['ack']).toBe('Good');
    expect(done['after']).toMatchObject({ resultReady: false, pending: '' });
    expect(done['last']).toMatchObject({ lastVerdict: 'INTERNAL_DEFECT', lastEvaluation: 2, lastResultId: result['resultId'], lastPartId: 'P-100' });
    expect(done['verdicts']).toContain('INTERNAL_DEFECT');
    const ev = plc.lines.find((l) => l.step === 'event' && l['resultId'] === result['resultId'])!;
    expect(ev).toMatchObject({ partId: 'P-100', resultState: 1 });
    expect(typeof ev['processingDuration']).toBe('number');
    expect(ev['content']).toMatchObject({ resultId: result['resultId'], verdict: 'INTERNAL_DEFECT', evaluation: 'NotOK', trigger: 'opcua', station: 'ST01' });

    // The same case, once, on MQTT.
    await until('MQTT result', () => mes.results().find((m) => m.json['resultId'] === result['resultId']));
    await sleep(1000);
    expect(mes.results().filter((m) => m.json['serial'] === 'P-100')).toHaveLength(1);
    expect(await stopStation(st)).toBe(0);
  }, 240_000);
});
