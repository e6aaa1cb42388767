/**
 * OPC UA server (node-opcua) for PLCs, MES and SCADA. One object per station under Objects, modelled
 * on OPC 40100 Machine Vision where it fits without the full VisionSystemType state machine:
 *   State (Initialized / Ready / Busy / Stopped), QueueDepth, ResultCount,
 *   LastResultId, LastPartId, LastLot, LastVerdict, LastEvaluation (OPC 40001-101
 *   ResultEvaluationEnum: 1 OK, 2 NotOK, 3 NotDecidable), LastEvaluationName, LastCreationTime,
 *   LastResult (the full JSON result, as on MQTT), LastCorrection (the last correction, JSON; after
 *   a restart rebuilt from the history),
 *   handshake: Busy, ResultReady, PendingResultId;
 *   methods TriggerInspection(PartId) → (ResultId, Verdict, Evaluation) and AcknowledgeResult(ResultId).
 * Every result raises the Machine Vision ResultReadyEventType on the station object with ResultId,
 * PartId, ResultState (1 = Completed; the verdict is NOT in ResultState), CreationTime,
 * ProcessingTimes and ResultContent (the JSON result).
 * A case's explanation (the deciding packs' maps, recorded after its result) raises this server's
 * ExplanationReadyEventType (urn:inspector:station; a BaseEventType) on the station object with
 * ResultId, PartId, RunIds, MapSha256 (one per map) and ExplanationContent (the JSON message, as on
 * MQTT), and sets LastExplanation, LastExplanationResultId, LastExplanationMapSha256 — never the
 * verdict variables: an explanation does not change a published result.
 * A reviewer's correction raises this server's CorrectionEventType (a BaseEventType) on the station
 * object with ResultId (the original), CorrectionId, PartId, OriginalVerdict, CorrectedVerdict,
 * CorrectedEvaluation (ResultEvaluationEnum code), VerdictChanged, Reviewer, ReviewedAt and
 * CorrectionContent (the JSON message, as on MQTT); the Last* result variables do not change.
 * The OPC 40100 ResultManagement object (opcuaResults.ts) answers GetResultById /
 * GetResultListFiltered from the history, so an MES fetches the results it missed while offline.
 * Security: SignAndEncrypt with Basic256Sha256 only by default, certificates in <dataDir>/pki
 * (unknown client certificates land in pki/rejected until an admin moves them to pki/trusted/certs),
 * anonymous off unless configured, users checked against passwords held in environment variables.
 */
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  nodesets,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  VariantArrayType,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { InspectorError } from '../../shared/errors';
import type { OpcUaConfig } from './config';
import { buildExplanation, type StationExplanation } from './explanation';
import { bindResultManagement } from './opcuaResults';
import { EVALUATION_CODE, type StationCorrection, type StationResult } from './result';
import type { Station } from './station';
import { bindVisionStateMachine, VISION_OPTIONALS, type VisionMachine } from './visionStateMachine';

export const MACHINE_VISION_NS = 'http://opcfoundation.org/UA/MachineVision';
export const INSPECTOR_NS = 'urn:inspector:station';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface OpcUaChannel {
  endpointUrl: string;
  /** Client sessions open now (the desktop app's connection state). */
  sessionCount(): number;
  /** The OPC 40100 state machine, for the app's Halt / Reset (the same transitions as the methods). */
  machine: VisionMachine;
  close(): Promise<void>;
}

export async function startOpcUaServer(station: Station, cfg: OpcUaConfig, dataDir: string, log: (l: string) => void = () => {}): Promise<OpcUaChannel> {
  const id = station.config.station.id;
  const pki = join(dataDir, 'pki');
  const certificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: cfg.auto_accept_certificates });
  await certificateManager.initialize();
  const users = Object.entries(cfg.users);
  if (!cfg.allow_anonymous && users.length === 0) {
    throw new InspectorError('STATION_OPCUA_NO_USERS', 'OPC UA has anonymous access off and no users: add publish.opcua.users (user: PASSWORD_ENV) or allow_anonymous: true.');
  }
  const modes =
    cfg.security === 'none'
      ? [MessageSecurityMode.SignAndEncrypt, MessageSecurityMode.None]
      : cfg.security === 'sign'
        ? [MessageSecurityMode.SignAndEncrypt, MessageSecurityMode.Sign]
        : [MessageSecurityMode.SignAndEncrypt];
  const policies = cfg.security === 'none' ? [SecurityPolicy.Basic256Sha256, SecurityPolicy.None] : [SecurityPolicy.Basic256Sha256];
  const server = new OPCUAServer({
    port: cfg.port,
    host: cfg.host,
    nodeset_filename: [nodesets.standard, nodesets.machineVision],
    serverCertificateManager: certificateManager,
    securityModes: modes,
    securityPolicies: policies,
    allowAnonymous: cfg.allow_anonymous,
    // With only secure endpoints, discovery must stay on or clients fail in findEndpoint.
    disableDiscovery: false,
    userManager: {
      isValidUser: (user: string, password: string) => {
        const env = cfg.users[user];
        const expected = env ? process.env[env] : undefined;
        return !!expected && sameSecret(password, expected);
      },
    },
    buildInfo: { productName: 'Inspector station', manufacturerName: 'Inspector', softwareVersion: '1' },
    serverInfo: { applicationUri: `urn:inspector:station:${id}`, productUri: 'urn:inspector:station', applicationName: { text: `Inspector station ${id}` } },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const ns = addressSpace.getOwnNamespace();
  const mvIndex = addressSpace.getNamespaceIndex(MACHINE_VISION_NS);
  const resultReady = addressSpace.findEventType('ResultReadyEventType', mvIndex);
  if (!resultReady) throw new InspectorError('STATION_OPCUA_MODEL', 'The Machine Vision nodeset has no ResultReadyEventType.');

  // The station object is an OPC 40100 VisionSystemType instance (with its VisionStateMachine).
  const systemType = addressSpace.findObjectType('VisionSystemType', mvIndex);
  if (!systemType) throw new InspectorError('STATION_OPCUA_MODEL', 'The Machine Vision nodeset has no VisionSystemType.');
  const obj: UAObject = systemType.instantiate({ organizedBy: addressSpace.rootFolder.objects, browseName: id, nodeId: `s=${id}`, eventNotifier: 1, optionals: [...VISION_OPTIONALS, 'ResultManagement'] }) as UAObject;
  const machine = bindVisionStateMachine(addressSpace, obj, mvIndex, station, cfg.trigger_timeout_ms, log);
  bindResultManagement(addressSpace, obj, mvIndex, station, log);
  const vars = new Map<string, UAVariable>();
  const variable = (name: string, dataType: DataType, value: unknown) => {
    const v = ns.addVariable({ componentOf: obj, browseName: name, nodeId: `s=${id}.${name}`, dataType: DataType[dataType], minimumSamplingInterval: 50 });
    v.setValueFromSource(new Variant({ dataType, value }));
    vars.set(name, v);
  };
  const set = (name: string, dataType: DataType, value: unknown) => vars.get(name)!.setValueFromSource(new Variant({ dataType, value }));
  variable('StationId', DataType.String, id);
  variable('Line', DataType.String, station.config.station.line);
  variable('State', DataType.String, station.status().state);
  variable('QueueDepth', DataType.UInt32, 0);
  variable('ResultCount', DataType.UInt32, station.ledger.count(id));
  variable('Busy', DataType.Boolean, false);
  variable('ResultReady', DataType.Boolean, false);
  variable('PendingResultId', DataType.String, '');
  const last = station.ledger.last(id);
  variable('LastResultId', DataType.String, last?.resultId ?? '');
  variable('LastPartId', DataType.String, last?.partId ?? '');
  variable('LastLot', DataType.String, last?.lot ?? '');
  variable('LastVerdict', DataType.String, last?.verdict ?? '');
  variable('LastEvaluation', DataType.Int32, last ? EVALUATION_CODE[last.evaluation] : EVALUATION_CODE.Undefined);
  variable('LastEvaluationName', DataType.String, last?.evaluation ?? 'Undefined');
  variable('LastCreationTime', DataType.DateTime, last ? new Date(last.createdAt) : null);
  variable('LastResult', DataType.String, last ? JSON.stringify(last) : '');
  // The last correction published (after a restart too: rebuilt from the history as it was sent).
  const lastCorrected = station.lastCorrection();
  variable('LastCorrection', DataType.String, lastCorrected ? JSON.stringify(lastCorrected) : '');
  // The last explanation recorded (after a restart too: rebuilt from the records of the last result that has one).
  const lastExplained = lastExplanation(station);
  variable('LastExplanationResultId', DataType.String, lastExplained?.resultId ?? '');
  variable('LastExplanationMapSha256', DataType.String, lastExplained?.maps.map((m) => m.map.sha256 ?? '').join(',') ?? '');
  variable('LastExplanation', DataType.String, lastExplained ? JSON.stringify(lastExplained) : '');
  const explanationReady = ns.addEventType({ browseName: 'ExplanationReadyEventType', subtypeOf: 'BaseEventType', isAbstract: false });
  const eventField = (name: string, dataType: DataType, valueRank = -1) =>
    ns.addVariable({ propertyOf: explanationReady, browseName: name, dataType: DataType[dataType], valueRank, modellingRule: 'Mandatory' });
  eventField('ResultId', DataType.String);
  eventField('PartId', DataType.String);
  eventField('RunIds', DataType.UInt32, 1);
  eventField('MapSha256', DataType.String, 1);
  eventField('ExplanationContent', DataType.String);
  // A reviewer's correction of a published result: its own event type (the result was not produced
  // again, so not a second ResultReady), carrying the corrected case verdict.
  const correctionType = ns.addEventType({ browseName: 'CorrectionEventType', subtypeOf: 'BaseEventType', isAbstract: false });
  const correctionField = (name: string, dataType: DataType) =>
    ns.addVariable({ propertyOf: correctionType, browseName: name, dataType: DataType[dataType], modellingRule: 'Mandatory' });
  correctionField('ResultId', DataType.String);
  correctionField('CorrectionId', DataType.String);
  correctionField('PartId', DataType.String);
  correctionField('OriginalVerdict', DataType.String);
  correctionField('CorrectedVerdict', DataType.String);
  correctionField('CorrectedEvaluation', DataType.Int32);
  correctionField('VerdictChanged', DataType.Boolean);
  correctionField('Reviewer', DataType.String);
  correctionField('ReviewedAt', DataType.DateTime);
  correctionField('CorrectionContent', DataType.String);

  const structure = (name: string, fields: Record<string, unknown>) => {
    const dt = addressSpace.findDataType(name, mvIndex);
    return dt ? addressSpace.constructExtensionObject(dt, fields) : null;
  };
  const onResult = (r: StationResult) => {
    set('LastResultId', DataType.String, r.resultId);
    set('LastPartId', DataType.String, r.partId);
    set('LastLot', DataType.String, r.lot ?? '');
    set('LastVerdict', DataType.String, r.verdict);
    set('LastEvaluation', DataType.Int32, EVALUATION_CODE[r.evaluation]);
    set('LastEvaluationName', DataType.String, r.evaluation);
    set('LastCreationTime', DataType.DateTime, new Date(r.createdAt));
    set('LastResult', DataType.String, JSON.stringify(r));
    set('ResultCount', DataType.UInt32, station.ledger.count(id));
    const t = r.processingTimes;
    const times = structure('ProcessingTimesDataType', {
      startTime: new Date(t.startTime),
      endTime: new Date(t.endTime),
      acquisitionDuration: t.acquisitionMs,
      processingDuration: t.inspectMs,
    });
    const resultId = structure('ResultIdDataType', { id: r.resultId });
    const partId = structure('PartIdDataType', { id: r.partId });
    obj.raiseEvent(resultReady, {
      sourceName: { dataType: DataType.String, value: id },
      message: { dataType: DataType.LocalizedText, value: { text: `${r.partId}: ${r.verdict}` } },
      severity: { dataType: DataType.UInt16, value: r.evaluation === 'OK' ? 100 : 500 },
      resultId: resultId ? { dataType: DataType.ExtensionObject, value: resultId } : { dataType: DataType.String, value: r.resultId },
      partId: partId ? { dataType: DataType.ExtensionObject, value: partId } : { dataType: DataType.String, value: r.partId },
      isPartial: { dataType: DataType.Boolean, value: false },
      isSimulated: { dataType: DataType.Boolean, value: false },
      resultState: { dataType: DataType.Int32, value: 1 },
      creationTime: { dataType: DataType.DateTime, value: new Date(r.createdAt) },
      ...(times ? { processingTimes: { dataType: DataType.ExtensionObject, value: times } } : {}),
      resultContent: new Variant({ dataType: DataType.String, arrayType: VariantArrayType.Array, value: [JSON.stringify(r)] }),
    });
  };
  station.on('result', onResult);
  const onCorrection = (c: StationCorrection) => {
    const content = JSON.stringify(c);
    set('LastCorrection', DataType.String, content);
    obj.raiseEvent(correctionType, {
      sourceName: { dataType: DataType.String, value: id },
      message: {
        dataType: DataType.LocalizedText,
        value: { text: `${c.partId}: review ${c.reviewId} (${c.decision}${c.label ? ` ${c.label}` : ''}) of ${c.resultId}: ${c.verdictChanged ? `${c.originalVerdict} → ${c.correctedVerdict}` : `stays ${c.correctedVerdict}`}` },
      },
      severity: { dataType: DataType.UInt16, value: c.verdictChanged ? 500 : 100 },
      resultId: { dataType: DataType.String, value: c.resultId },
      correctionId: { dataType: DataType.String, value: c.correctionId },
      partId: { dataType: DataType.String, value: c.partId },
      originalVerdict: { dataType: DataType.String, value: c.originalVerdict },
      correctedVerdict: { dataType: DataType.String, value: c.correctedVerdict },
      correctedEvaluation: { dataType: DataType.Int32, value: EVALUATION_CODE[c.correctedEvaluation] },
      verdictChanged: { dataType: DataType.Boolean, value: c.verdictChanged },
      reviewer: { dataType: DataType.String, value: c.reviewer },
      reviewedAt: { dataType: DataType.DateTime, value: new Date(c.reviewedAt) },
      correctionContent: { dataType: DataType.String, value: content },
    });
  };
  station.on('correction', onCorrection);
  const onExplanation = (x: StationExplanation) => {
    const content = JSON.stringify(x);
    set('LastExplanationResultId', DataType.String, x.resultId);
    set('LastExplanationMapSha256', DataType.String, x.maps.map((m) => m.map.sha256 ?? '').join(','));
    set('LastExplanation', DataType.String, content);
    obj.raiseEvent(explanationReady, {
      sourceName: { dataType: DataType.String, value: id },
      message: { dataType: DataType.LocalizedText, value: { text: `${x.partId}: explanation of ${x.resultId} (${x.maps.map((m) => `${m.method} ${m.explainedClass ?? ''}`.trim()).join(', ')})` } },
      severity: { dataType: DataType.UInt16, value: 100 },
      resultId: { dataType: DataType.String, value: x.resultId },
      partId: { dataType: DataType.String, value: x.partId },
      runIds: new Variant({ dataType: DataType.UInt32, arrayType: VariantArrayType.Array, value: x.runIds }),
      mapSha256: new Variant({ dataType: DataType.String, arrayType: VariantArrayType.Array, value: x.maps.map((m) => m.map.sha256 ?? '') }),
      explanationContent: { dataType: DataType.String, value: content },
    });
  };
  station.on('explanation', onExplanation);
  const onState = (s: string) => set('State', DataType.String, s);
  const onQueue = (d: number) => set('QueueDepth', DataType.UInt32, d);
  station.on('state', onState);
  station.on('queue', onQueue);

  // PLC handshake: Busy while a trigger runs; ResultReady + PendingResultId until acknowledged or ack_timeout_ms.
  let ackTimer: NodeJS.Timeout | undefined;
  const clearPending = () => {
    if (ackTimer) clearTimeout(ackTimer);
    ackTimer = undefined;
    set('ResultReady', DataType.Boolean, false);
    set('PendingResultId', DataType.String, '');
  };
  let busy = false;
  ns.addMethod(obj, {
    browseName: 'TriggerInspection',
    nodeId: `s=${id}.TriggerInspection`,
    inputArguments: [{ name: 'PartId', dataType: DataType.String, description: { text: 'Serial / part id; its files come from the hot folder' } }],
    outputArguments: [
      { name: 'ResultId', dataType: DataType.String },
      { name: 'Verdict', dataType: DataType.String },
      { name: 'Evaluation', dataType: DataType.Int32 },
    ],
  }).bindMethod(async (inputs: Variant[], _context: unknown) => {
    const partId = String(inputs[0]?.value ?? '').trim();
    if (!partId) return { statusCode: StatusCodes.BadInvalidArgument };
    if (busy) return { statusCode: StatusCodes.BadInvalidState };
    // Halted, Error or Preoperational: no inspections (OPC 40100 VisionStateMachine).
    const done = machine.beginTrigger();
    if (!done) return { statusCode: StatusCodes.BadInvalidState };
    busy = true;
    clearPending();
    set('Busy', DataType.Boolean, true);
    try {
      const r = await station.trigger(partId, 'opcua', cfg.trigger_timeout_ms);
      set('PendingResultId', DataType.String, r.resultId);
      set('ResultReady', DataType.Boolean, true);
      ackTimer = setTimeout(() => {
        log(`opcua: result ${r.resultId} for ${partId} not acknowledged within ${cfg.ack_timeout_ms} ms`);
        clearPending();
      }, cfg.ack_timeout_ms);
      return {
        statusCode: StatusCodes.Good,
        outputArguments: [
          { dataType: DataType.String, value: r.resultId },
          { dataType: DataType.String, value: r.verdict },
          { dataType: DataType.Int32, value: EVALUATION_CODE[r.evaluation] },
        ],
      };
    } finally {
      busy = false;
      done();
      set('Busy', DataType.Boolean, false);
    }
  });
  ns.addMethod(obj, {
    browseName: 'AcknowledgeResult',
    nodeId: `s=${id}.AcknowledgeResult`,
    inputArguments: [{ name: 'ResultId', dataType: DataType.String }],
    outputArguments: [],
  }).bindMethod(async (inputs: Variant[], _context: unknown) => {
    const rid = String(inputs[0]?.value ?? '');
    const pending = vars.get('PendingResultId')!.readValue().value.value as string;
    if (!pending || rid !== pending) return { statusCode: StatusCodes.BadInvalidArgument };
    clearPending();
    return { statusCode: StatusCodes.Good };
  });

  await server.start();
  const endpointUrl = server.getEndpointUrl();
  log(`opcua: listening on ${endpointUrl} (${cfg.security}, anonymous ${cfg.allow_anonymous ? 'on' : 'off'}); certificates in ${pki}`);
  return {
    endpointUrl,
    machine,
    sessionCount: () => server.currentSessionCount,
    async close() {
      machine.close();
      station.off('result', onResult);
      station.off('correction', onCorrection);
      station.off('explanation', onExplanation);
      station.off('state', onState);
      station.off('queue', onQueue);
      if (ackTimer) clearTimeout(ackTimer);
      await server.shutdown(0);
      await certificateManager.dispose();
    },
  };
}

/** The newest of the station's recent results that has a recorded explanation (server start). */
function lastExplanation(station: Station): StationExplanation | null {
  for (const r of station.ledger.recent(station.config.station.id, 20)) {
    const x = buildExplanation(station.ledger.store, r);
    if (x) return x;
  }
  return null;
}
