/**
 * A PLC driving the OPC 40100 VisionStateMachine of a station, as a separate process (node-opcua
 * client, SignAndEncrypt + Basic256Sha256, user name). It walks the transitions, reads CurrentState
 * of VisionStateMachine and AutomaticModeStateMachine after each, and prints one JSON line per step.
 * Between "Stop" and "StartSingleJob" it waits for the file $OPCUA_GO (the test drops images meanwhile).
 * Env: OPCUA_ENDPOINT, OPCUA_PKI, OPCUA_USER, OPCUA_PASSWORD, OPCUA_STATION, OPCUA_GO;
 * OPCUA_SCRIPT=error walks the Error path instead (a station whose pack fails to load).
 * Connection and session: opcuaPeer.ts (shared with opcuaClient.ts).
 */
import { existsSync } from 'node:fs';
import { AttributeIds, ClientMonitoredItem, constructEventFilter, DataType, makeBrowsePath, ofType, TimestampsToReturn, type ClientSession, type NodeId, type Variant } from 'node-opcua';
import { connectStation, env, out, sleep, runClient } from './opcuaPeer';

async function resolvePath(session: ClientSession, start: string, path: string): Promise<NodeId> {
  const r = await session.translateBrowsePath(makeBrowsePath(start, path));
  const target = r.targets?.[0]?.targetId;
  if (!target) throw new Error(`no node at ${start}${path}: ${r.statusCode.name}`);
  return target as NodeId;
}

async function main(finished: () => void): Promise<void> {
  const peer = await connectStation({ applicationName: 'PLC vision state machine client', applicationUri: 'urn:inspector:test:plc-vision' });
  const { session, mv, obj } = peer;
  const typeDef = await session.read({ nodeId: obj, attributeId: AttributeIds.BrowseName });
  const sm = await resolvePath(session, obj, `/${mv}:VisionStateMachine`);
  const am = await resolvePath(session, obj, `/${mv}:VisionStateMachine/${mv}:AutomaticModeStateMachine`);
  const smState = await resolvePath(session, obj, `/${mv}:VisionStateMachine/CurrentState`);
  const amState = await resolvePath(session, obj, `/${mv}:VisionStateMachine/${mv}:AutomaticModeStateMachine/CurrentState`);
  const methodOf = (parent: string, name: string) => resolvePath(session, obj, `${parent}/${mv}:${name}`);
  const smPath = `/${mv}:VisionStateMachine`;
  const amPath = `${smPath}/${mv}:AutomaticModeStateMachine`;

  const states = async () => {
    const a = await session.read({ nodeId: smState, attributeId: AttributeIds.Value });
    const b = await session.read({ nodeId: amState, attributeId: AttributeIds.Value });
    return { vision: (a.value.value as { text?: string } | null)?.text ?? null, automatic: (b.value.value as { text?: string } | null)?.text ?? null };
  };
  const readVar = async (name: string) => (await session.read({ nodeId: `${obj}.${name}`, attributeId: AttributeIds.Value })).value.value as unknown;
  const callOn = async (objectId: NodeId, parent: string, name: string, given?: { dataType: DataType; value: unknown }[]) => {
    const inputArguments = given ?? (await argsOf(`${parent}/${mv}:${name}`));
    const r = await session.call({ objectId, methodId: await methodOf(parent, name), inputArguments });
    return { status: r.statusCode.name, outputs: (r.outputArguments ?? []).map((v) => v.value as unknown) };
  };
  // Arguments as the method declares them (InputArguments): PartId given, the rest neutral values.
  const argsOf = async (methodPath: string, partId?: string) => {
    const at = await resolvePath(session, obj, `${methodPath}/InputArguments`).catch(() => null); // no arguments
    const decl = at ? ((await session.read({ nodeId: at, attributeId: AttributeIds.Value })).value.value as { name: string; dataType: NodeId }[]) : [];
    return Promise.all(
      decl.map(async (a) => {
        const t = a.dataType.namespace === 0 ? Number(a.dataType.value) : -1;
        if (t === DataType.Int32) return { dataType: DataType.Int32, value: 0 };
        if (t === DataType.String) return { dataType: DataType.String, value: '' };
        if (t === DataType.LocalizedText) return { dataType: DataType.LocalizedText, value: { text: 'test' } };
        if (t === DataType.Boolean) return { dataType: DataType.Boolean, value: false };
        if (t === 24) return { dataType: DataType.Null, value: null }; // BaseDataType: nothing to give
        try {
          return { dataType: DataType.ExtensionObject, value: await session.constructExtensionObject(a.dataType, a.name === 'PartId' && partId ? { id: partId } : {}) };
        } catch (e) {
          // An abstract structure (no value to give): null; a String subtype (MeasIdDataType…): a string.
          return /abstract/i.test((e as Error).message) ? { dataType: DataType.ExtensionObject, value: null } : { dataType: DataType.String, value: '' };
        }
      }),
    );
  };
  const causeArgs = () => argsOf(`${amPath}/${mv}:Stop`);

  // ResultReady events (part ids), to see which parts were inspected when. Only that type (i=1024 in the
  // Machine Vision nodeset), as a MES would filter: the station also raises ExplanationReady events.
  const sub = await session.createSubscription2({ requestedPublishingInterval: 50, publishingEnabled: true, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 600 });
  const events: string[] = [];
  // What each event carried besides its PartId: ResultId and the result content (the published JSON).
  const eventResults: { partId: string; resultId: string; verdict?: string; evaluation?: string }[] = [];
  const ev = ClientMonitoredItem.create(
    sub,
    { nodeId: obj, attributeId: AttributeIds.EventNotifier },
    { queueSize: 100, filter: constructEventFilter([`${mv}:PartId`, `${mv}:ResultId`, `${mv}:ResultContent`], ofType(`ns=${mv};i=1024`)), discardOldest: true },
    TimestampsToReturn.Neither,
  );
  ev.on('changed', (values: unknown) => {
    const [p, r, c] = values as Variant[];
    const id = (v: Variant | undefined) => {
      const x = v?.value as { id?: string } | string | undefined;
      return typeof x === 'string' ? x : (x?.id ?? '');
    };
    events.push(id(p));
    const content = Array.isArray(c?.value) ? String(c.value[0] ?? '') : '';
    let parsed: { verdict?: string; evaluation?: string } = {};
    try {
      parsed = JSON.parse(content) as { verdict?: string; evaluation?: string };
    } catch {
      /* no content: the fields stay absent and the test says so */
    }
    eventResults.push({ partId: id(p), resultId: id(r), ...(parsed.verdict ? { verdict: parsed.verdict } : {}), ...(parsed.evaluation ? { evaluation: parsed.evaluation } : {}) });
  });
  await sleep(500);
  const log: Record<string, unknown>[] = [];
  const step = async (name: string, r?: unknown) => {
    const s = { step: name, ...(r === undefined ? {} : { r }), ...(await states()), resultCount: await readVar('ResultCount'), events: [...events] };
    log.push(s);
    out(s);
  };
  const waitFor = async (what: () => boolean | Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await what()) && Date.now() < end) await sleep(50);
  };

  out({ step: 'browse', browseName: typeDef.value.value?.toString() ?? null, sm: sm.toString(), am: am.toString() });
  await step('start');
  if (env('OPCUA_SCRIPT') === 'error') {
    // The station's pack cannot load: the first part it takes sends it to Error; Reset brings it back.
    out({ step: 'waiting-for-go' });
    await waitFor(async () => (await states()).vision === 'Error', 90_000);
    // The INCOMPLETE result is raised as a ResultReady event before the Error transition; its
    // notification may come in the next Publish response, after the state read above.
    await waitFor(() => events.length > 0, 10_000);
    out({ step: 'last result', partId: await readVar('LastPartId'), verdict: await readVar('LastVerdict'), evaluation: await readVar('LastEvaluationName'), resultId: await readVar('LastResultId') });
    out({ step: 'result events', events: [...eventResults] });
    await step('after the failed part');
    const trigErr = await session.call({ objectId: obj, methodId: `${obj}.TriggerInspection`, inputArguments: [{ dataType: DataType.String, value: 'E-2' }] });
    await step('TriggerInspection in Error', { status: trigErr.statusCode.name });
    await step('StartContinuous in Error', await callOn(am, amPath, 'StartContinuous', await argsOf(`${amPath}/${mv}:StartSingleJob`, '')));
    await step('Reset', await callOn(sm, smPath, 'Reset'));
    await step('SelectModeAutomatic', await callOn(sm, smPath, 'SelectModeAutomatic'));
    await step('StartContinuous', await callOn(am, amPath, 'StartContinuous', await argsOf(`${amPath}/${mv}:StartSingleJob`, '')));
    out({ step: 'done', log });
    finished();
    await sub.terminate();
    await peer.close();
    return;
  }
  await step('Stop', await callOn(am, amPath, 'Stop', await causeArgs()));
  await step('Stop again', await callOn(am, amPath, 'Stop', await causeArgs()));
  out({ step: 'waiting-for-go' });
  await waitFor(() => existsSync(env('OPCUA_GO')), 60_000);
  await step('files dropped while Ready');

  // StartSingleJob(MeasId, PartId, RecipeId, ProductId, Parameters) → (JobId, Error).
  const startArgs = (partId: string) => argsOf(`${amPath}/${mv}:StartSingleJob`, partId);
  const single = await callOn(am, amPath, 'StartSingleJob', await startArgs('Q-1'));
  const jobId = (single.outputs[0] as { id?: string } | null)?.id ?? single.outputs[0];
  await step('StartSingleJob Q-1', { status: single.status, jobId });
  await waitFor(() => events.includes('Q-1'));
  await waitFor(async () => (await states()).automatic === 'Ready', 10_000);
  await sleep(1500);
  await step('after single job');
  await step('StartContinuous', await callOn(am, amPath, 'StartContinuous', await startArgs('')));
  await step('StartContinuous again', await callOn(am, amPath, 'StartContinuous', await startArgs('')));
  await waitFor(() => events.includes('Q-2'));
  await step('after continuous');
  await step('Halt', await callOn(sm, smPath, 'Halt'));
  const trig = await session.call({ objectId: obj, methodId: `${obj}.TriggerInspection`, inputArguments: [{ dataType: DataType.String, value: 'Q-3' }] });
  await step('TriggerInspection while Halted', { status: trig.statusCode.name });
  await step('StartContinuous while Halted', await callOn(am, amPath, 'StartContinuous', await startArgs('')));
  await step('SelectModeAutomatic while Halted', await callOn(sm, smPath, 'SelectModeAutomatic'));
  await step('Reset', await callOn(sm, smPath, 'Reset'));
  await step('SelectModeAutomatic', await callOn(sm, smPath, 'SelectModeAutomatic'));
  await step('Reset while Operational', await callOn(sm, smPath, 'Reset'));
  await step('StartContinuous after reset', await callOn(am, amPath, 'StartContinuous', await startArgs('')));
  out({ step: 'done', log });
  finished();
  await sub.terminate();
  await peer.close();
}

runClient(main);
