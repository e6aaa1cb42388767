/**
 * A MES as a separate process: node-opcua client (SignAndEncrypt, Basic256Sha256, a user) that
 * subscribes to the station's CorrectionEventType events on the vision system object and reads
 * LastCorrection. Prints one JSON line per step: `subscribed` (with LastCorrection as read then), then `event` per correction, then
 * `done` with the variables, after CORRECTION_EVENTS events (0: read only) or CORRECTION_TIMEOUT_MS.
 * Env: as opcuaPeer.ts, plus CORRECTION_EVENTS, CORRECTION_TIMEOUT_MS.
 */
import { AttributeIds, ClientMonitoredItem, constructEventFilter, makeBrowsePath, TimestampsToReturn, type Variant } from 'node-opcua';
import { connectStation, env, out, sleep } from './opcuaPeer';

async function main(): Promise<void> {
  const peer = await connectStation({ applicationName: 'MES correction client', applicationUri: 'urn:inspector:test:mes-correction' }, (step) => out({ step }));
  const { session, own, obj } = peer;
  // The event type is found by browse name under BaseEventType, in the station's namespace, as a MES configures it.
  const found = await session.translateBrowsePath(makeBrowsePath('i=2041', `<HasSubtype>${own}:CorrectionEventType`));
  const correctionType = found.targets?.[0]?.targetId.toString() ?? null;
  const sub = await session.createSubscription2({ requestedPublishingInterval: 50, publishingEnabled: true, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 600 });
  const names = ['ResultId', 'CorrectionId', 'PartId', 'OriginalVerdict', 'CorrectedVerdict', 'CorrectedEvaluation', 'VerdictChanged', 'Reviewer', 'ReviewedAt', 'CorrectionContent'];
  const fields = ['EventType', 'SourceName', 'Severity', ...names.map((n) => `${own}:${n}`)];
  let events = 0;
  const item = ClientMonitoredItem.create(sub, { nodeId: obj, attributeId: AttributeIds.EventNotifier }, { queueSize: 100, filter: constructEventFilter(fields), discardOldest: true }, TimestampsToReturn.Both);
  item.on('changed', (values: unknown) => {
    const vs = values as Variant[];
    const eventType = String(vs[0]?.value);
    // ResultReady and explanation events arrive on the same notifier: only corrections are counted.
    if (eventType !== correctionType) return;
    events++;
    const f = Object.fromEntries(names.map((n, i) => [n, vs[i + 3]?.value as unknown]));
    const at = f['ReviewedAt'] as Date | null;
    out({
      step: 'event',
      eventType,
      source: vs[1]?.value,
      severity: vs[2]?.value,
      ...f,
      ReviewedAt: at?.toISOString?.() ?? null,
      CorrectionContent: JSON.parse(String(f['CorrectionContent'])) as unknown,
    });
  });
  const read = async (name: string) => (await session.read({ nodeId: `${obj}.${name}`, attributeId: AttributeIds.Value })).value.value as string;
  const json = (s: string) => (s ? (JSON.parse(s) as unknown) : null);
  await sleep(300);
  out({ step: 'subscribed', correctionType, lastCorrection: json(await read('LastCorrection')) });
  const want = Number(env('CORRECTION_EVENTS') || '0');
  const end = Date.now() + Number(env('CORRECTION_TIMEOUT_MS') || '120000');
  while (events < want && Date.now() < end) await sleep(50);
  await sleep(300);
  out({ step: 'done', events, lastCorrection: json(await read('LastCorrection')), lastVerdict: await read('LastVerdict') });
  await sub.terminate();
  await peer.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    out({ step: 'error', message: (e as Error).message });
    process.exit(1);
  },
);
