/**
 * A PLC/MES as a separate process: node-opcua client with SignAndEncrypt + Basic256Sha256 and a
 * user name, subscribing to the station's ResultReady events and LastVerdict, calling
 * TriggerInspection(PartId) and acknowledging the result. Prints one JSON line per step on stdout.
 * Usage (env): OPCUA_ENDPOINT, OPCUA_PKI, OPCUA_USER/OPCUA_PASSWORD (absent: anonymous),
 * OPCUA_STATION, OPCUA_PART. Connection and session: opcuaPeer.ts (shared with visionClient.ts).
 */
import { AttributeIds, ClientMonitoredItem, constructEventFilter, DataType, TimestampsToReturn, type Variant } from 'node-opcua';
import { connectStation, env, out } from './opcuaPeer';

let t0 = Date.now();

async function main(): Promise<void> {
  const peer = await connectStation({ applicationName: 'PLC test client', applicationUri: 'urn:inspector:test:plc' }, (step) => out({ step }));
  const { session, mv, own, nsArray, obj } = peer;
  out({ step: 'namespaces', own: nsArray[own], mv });
  const sub = await session.createSubscription2({ requestedPublishingInterval: 50, publishingEnabled: true, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 600 });
  const fields = ['EventType', 'SourceName', `${mv}:ResultId`, `${mv}:PartId`, `${mv}:ResultState`, `${mv}:CreationTime`, `${mv}:ProcessingTimes`, `${mv}:ResultContent`];
  const events: Record<string, unknown>[] = [];
  const evItem = ClientMonitoredItem.create(sub, { nodeId: obj, attributeId: AttributeIds.EventNotifier }, { queueSize: 100, filter: constructEventFilter(fields), discardOldest: true }, TimestampsToReturn.Both);
  evItem.on('changed', (values: unknown) => {
    const vs = values as Variant[];
    const get = (i: number) => vs[i]?.value as unknown;
    const rid = get(2) as { id?: string } | string;
    const pid = get(3) as { id?: string } | string;
    const times = get(6) as { processingDuration?: number; startTime?: Date } | null;
    const content = get(7) as string[] | string;
    const ev = {
      resultId: typeof rid === 'string' ? rid : rid?.id,
      partId: typeof pid === 'string' ? pid : pid?.id,
      resultState: get(4),
      creationTime: (get(5) as Date | null)?.toISOString?.() ?? null,
      processingDuration: times?.processingDuration ?? null,
      content: JSON.parse(Array.isArray(content) ? content[0]! : content) as Record<string, unknown>,
    };
    events.push(ev);
    (ev as Record<string, unknown>)['atMs'] = Date.now() - t0;
    out({ step: 'event', ...ev });
  });
  const verdicts: string[] = [];
  const vItem = ClientMonitoredItem.create(sub, { nodeId: `${obj}.LastVerdict`, attributeId: AttributeIds.Value }, { samplingInterval: 50, queueSize: 10, discardOldest: true }, TimestampsToReturn.Both);
  vItem.on('changed', (dv) => verdicts.push(String(dv.value.value)));
  await new Promise((r) => setTimeout(r, 500));
  out({ step: 'calling', partId: env('OPCUA_PART') });
  t0 = Date.now();
  const call = await session.call({ objectId: obj, methodId: `${obj}.TriggerInspection`, inputArguments: [{ dataType: DataType.String, value: env('OPCUA_PART') }] });
  const [resultId, verdict, evaluation] = (call.outputArguments ?? []).map((a) => a.value as unknown);
  out({ step: 'result', status: call.statusCode.name, resultId, verdict, evaluation });
  const read = async (name: string) => (await session.read({ nodeId: `${obj}.${name}`, attributeId: AttributeIds.Value })).value.value as unknown;
  const before = { resultReady: await read('ResultReady'), pending: await read('PendingResultId'), busy: await read('Busy') };
  const wrongAck = await session.call({ objectId: obj, methodId: `${obj}.AcknowledgeResult`, inputArguments: [{ dataType: DataType.String, value: 'not-this-one' }] });
  const ack = await session.call({ objectId: obj, methodId: `${obj}.AcknowledgeResult`, inputArguments: [{ dataType: DataType.String, value: resultId }] });
  const after = { resultReady: await read('ResultReady'), pending: await read('PendingResultId') };
  const end = Date.now() + 30_000;
  // Notifications may trail the call's answer on a loaded machine: wait for both (bounded).
  while ((!events.some((e) => e.resultId === resultId) || !verdicts.includes(String(verdict))) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  const last = { lastVerdict: await read('LastVerdict'), lastEvaluation: await read('LastEvaluation'), lastResultId: await read('LastResultId'), lastPartId: await read('LastPartId') };
  out({ step: 'done', before, wrongAck: wrongAck.statusCode.name, ack: ack.statusCode.name, after, last, verdicts, events: events.length });
  finished = true;
  await sub.terminate();
  await peer.close();
}

let finished = false;
// Lazy data-type loading in node-opcua may still be reading when the session closes; not our failure.
process.on('unhandledRejection', (e) => {
  if (!finished) out({ step: 'error', message: String(e) });
});
process.on('uncaughtException', (e) => {
  if (!finished) out({ step: 'error', message: e.message });
  process.exit(finished ? 0 : 1);
});

main().then(
  () => process.exit(0),
  (e: unknown) => {
    out({ step: 'error', message: (e as Error).message });
    process.exit(1);
  },
);
