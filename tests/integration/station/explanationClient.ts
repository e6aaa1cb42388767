/**
 * A MES as a separate process: node-opcua client (SignAndEncrypt, Basic256Sha256, a user) that
 * subscribes to the station's ExplanationReadyEventType events and reads LastExplanation*. Prints
 * one JSON line per step: `subscribed`, then `event` per explanation, then `done` with the
 * variables, after EXPLANATION_EVENTS events (or EXPLANATION_TIMEOUT_MS).
 * Env: as opcuaPeer.ts, plus EXPLANATION_EVENTS, EXPLANATION_TIMEOUT_MS.
 */
import { AttributeIds, ClientMonitoredItem, constructEventFilter, TimestampsToReturn, type Variant } from 'node-opcua';
import { connectStation, env, out, sleep } from './opcuaPeer';

async function main(): Promise<void> {
  const peer = await connectStation({ applicationName: 'MES explanation client', applicationUri: 'urn:inspector:test:mes-explanation' }, (step) => out({ step }));
  const { session, own, obj } = peer;
  const sub = await session.createSubscription2({ requestedPublishingInterval: 50, publishingEnabled: true, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 600 });
  const fields = ['EventType', 'SourceName', `${own}:ResultId`, `${own}:PartId`, `${own}:RunIds`, `${own}:MapSha256`, `${own}:ExplanationContent`];
  let events = 0;
  const item = ClientMonitoredItem.create(sub, { nodeId: obj, attributeId: AttributeIds.EventNotifier }, { queueSize: 100, filter: constructEventFilter(fields), discardOldest: true }, TimestampsToReturn.Both);
  item.on('changed', (values: unknown) => {
    const vs = values as Variant[];
    const content = vs[6]?.value as string | null;
    // Only this server's explanation events carry ExplanationContent (ResultReady events leave it null).
    if (!content) return;
    events++;
    const arr = (v: unknown) => (v && typeof v === 'object' && 'length' in v ? Array.from(v as ArrayLike<unknown>) : v);
    out({ step: 'event', eventType: String(vs[0]?.value), source: vs[1]?.value, resultId: vs[2]?.value, partId: vs[3]?.value, runIds: arr(vs[4]?.value), mapSha256: arr(vs[5]?.value), content: JSON.parse(content) as unknown });
  });
  await sleep(300);
  out({ step: 'subscribed' });
  const want = Number(env('EXPLANATION_EVENTS') || '1');
  const end = Date.now() + Number(env('EXPLANATION_TIMEOUT_MS') || '120000');
  while (events < want && Date.now() < end) await sleep(50);
  await sleep(300);
  const read = async (name: string) => (await session.read({ nodeId: `${obj}.${name}`, attributeId: AttributeIds.Value })).value.value as unknown;
  out({ step: 'done', events, lastResultId: await read('LastExplanationResultId'), lastMapSha256: await read('LastExplanationMapSha256'), last: await read('LastExplanation'), lastVerdict: await read('LastVerdict') });
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
