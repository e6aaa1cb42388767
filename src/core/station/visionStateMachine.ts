/**
 * OPC 40100-1 (Machine Vision) VisionStateMachine on the station object, as far as it maps onto a
 * hot-folder station (docs/STATION.md, "OPC 40100 state machine"):
 *
 *   Preoperational ── SelectModeAutomatic ──▶ Operational ── Halt ──▶ Halted ── Reset ──▶ Preoperational
 *         ▲                                      │  (a case cannot be recorded)
 *         └──────────── Reset ──── Error ◀───────┘        ConfirmAll: Error ──▶ Operational
 *                     (a case cannot be recorded, or its inspection cannot run: a pack that fails
 *                      to load, a worker that crashed twice — that case is still published INCOMPLETE)
 *
 *   Operational / AutomaticModeStateMachine:
 *     Initialized ─auto─▶ Ready ── StartContinuous ──▶ ContinuousExecution (the hot folder is read)
 *                         Ready ── StartSingleJob(PartId) ──▶ SingleExecution ─result─▶ Ready
 *     ContinuousExecution / SingleExecution ── Stop | Abort ──▶ Ready
 *
 * The station starts in Operational / ContinuousExecution (as `inspector station` always did). In
 * any other state the hot folders are not read — files wait on disk, nothing is lost — except the
 * files of a part a PLC triggered. Methods called in a state they do not apply to answer
 * BadInvalidState. Stop and Abort cannot interrupt an inference in flight: that case finishes and
 * is recorded and published as usual.
 */
import { randomUUID } from 'node:crypto';
import { DataType, promoteToStateMachine, StatusCodes, type AddressSpace, type UAMethod, type UAObject, type UAStateMachineEx, type UATransitionEx, type Variant } from 'node-opcua';
import type { Station } from './station';

export const VISION_STATES = ['Preoperational', 'Halted', 'Error', 'Operational'] as const;
export const AUTOMATIC_STATES = ['Initialized', 'Ready', 'SingleExecution', 'ContinuousExecution'] as const;
export type VisionState = (typeof VISION_STATES)[number];
export type AutomaticState = (typeof AUTOMATIC_STATES)[number];

/** Optional children of VisionSystemType that the station implements. */
export const VISION_OPTIONALS = [
  'VisionStateMachine.AutomaticModeStateMachine',
  'VisionStateMachine.SelectModeAutomatic',
  'VisionStateMachine.ConfirmAll',
  'VisionStateMachine.AutomaticModeStateMachine.StartSingleJob',
  'VisionStateMachine.AutomaticModeStateMachine.StartContinuous',
  'VisionStateMachine.AutomaticModeStateMachine.Stop',
  'VisionStateMachine.AutomaticModeStateMachine.Abort',
];

export interface VisionMachine {
  vision(): VisionState;
  automatic(): AutomaticState | null;
  /**
   * TriggerInspection: refused (null) outside Operational; while Ready it runs as a single
   * execution. Call the returned function when its result is in.
   */
  beginTrigger(): (() => void) | null;
  /** Halt, as the OPC UA method (false: refused in this state). */
  halt(): boolean;
  /**
   * The app's Reset: Reset (Halted | Error → Preoperational), then SelectModeAutomatic and
   * StartContinuous — back to reading the hot folder in one operator action. False: refused.
   */
  resetToContinuous(): boolean;
  close(): void;
}

export function bindVisionStateMachine(
  addressSpace: AddressSpace,
  system: UAObject,
  mvIndex: number,
  station: Station,
  triggerTimeoutMs: number,
  log: (l: string) => void,
): VisionMachine {
  const smNode = system.getComponentByName('VisionStateMachine', mvIndex) as UAObject;
  const amNode = smNode.getComponentByName('AutomaticModeStateMachine', mvIndex) as UAObject;
  const sm: UAStateMachineEx = promoteToStateMachine(smNode);
  const am: UAStateMachineEx = promoteToStateMachine(amNode);
  void addressSpace;

  const vision = () => (sm.getCurrentState()?.replace(/^\d+:/, '') ?? 'Preoperational') as VisionState;
  const automatic = () => (vision() === 'Operational' ? ((am.getCurrentState()?.replace(/^\d+:/, '') ?? 'Initialized') as AutomaticState) : null);
  // OPC 40100 models a method-caused and an automatic (…Auto) transition between the same states;
  // this picks the one that happened (node-opcua would warn and take the first).
  let automaticTransition = false;
  const pick = (ts: UATransitionEx[]) => {
    const name = (t: UATransitionEx) => t.browseName.name ?? '';
    return ts.find((t) => /Auto$/.test(name(t)) === automaticTransition && !/(Product|Recipe)$/.test(name(t))) ?? ts.find((t) => /Auto$/.test(name(t))) ?? ts[0] ?? null;
  };
  const set = (v: VisionState, a?: AutomaticState, auto = false) => {
    const before = `${vision()}/${automatic() ?? '-'}`;
    automaticTransition = auto;
    sm.setState(v, pick);
    if (v === 'Operational') {
      if (a) am.setState(a, pick);
    } else if (am.getCurrentState() !== null) {
      am.setState(null); // the automatic mode machine is inactive outside Operational
    }
    // The hot folder is read only in ContinuousExecution.
    station.setIntake(v === 'Operational' && automatic() === 'ContinuousExecution');
    const after = `${vision()}/${automatic() ?? '-'}`;
    if (after !== before) log(`opcua: VisionStateMachine ${before} → ${after}`);
  };
  // Start-up: Preoperational, then automatically Operational; Initialized → Ready (no recipe to
  // prepare) → ContinuousExecution: a hot-folder station runs as soon as it is up.
  sm.setState('Preoperational');
  set('Operational', 'Initialized', true);
  set('Operational', 'Ready', true);
  set('Operational', 'ContinuousExecution', true);

  const method = (parent: UAObject, name: string): UAMethod => {
    const m = parent.getMethodByName(name, mvIndex);
    if (!m) throw new Error(`OPC 40100 model: no method ${name}`);
    return m;
  };
  const ok = (outputs: { dataType: DataType; value: unknown }[] = []) => ({ statusCode: StatusCodes.Good, outputArguments: outputs });
  const refused = (name: string) => {
    log(`opcua: ${name} refused in ${vision()}/${automatic() ?? '-'}`);
    return { statusCode: StatusCodes.BadInvalidState };
  };
  const err0 = { dataType: DataType.Int32, value: 0 };

  method(smNode, 'Halt').bindMethod(async (_inputs: Variant[], _context: unknown) => {
    if (vision() === 'Halted') return refused('Halt');
    set('Halted');
    return ok();
  });
  method(smNode, 'Reset').bindMethod(async (_inputs: Variant[], _context: unknown) => {
    if (vision() !== 'Halted' && vision() !== 'Error') return refused('Reset');
    set('Preoperational');
    return ok();
  });
  method(smNode, 'SelectModeAutomatic').bindMethod(async (_inputs: Variant[], _context: unknown) => {
    if (vision() !== 'Preoperational') return refused('SelectModeAutomatic');
    set('Operational', 'Initialized');
    set('Operational', 'Ready', true);
    return ok();
  });
  method(smNode, 'ConfirmAll').bindMethod(async (_inputs: Variant[], _context: unknown) => {
    if (vision() !== 'Error') return refused('ConfirmAll');
    set('Operational', 'Initialized');
    set('Operational', 'Ready', true);
    return ok();
  });

  // Single executions in flight (StartSingleJob or TriggerInspection from Ready): back to Ready when all are done.
  let singleJobs = 0;
  const single = () => {
    singleJobs++;
    set('Operational', 'SingleExecution');
    return () => {
      if (--singleJobs === 0 && automatic() === 'SingleExecution') set('Operational', 'Ready', true);
    };
  };
  const jobIdType = addressSpace.findDataType('JobIdDataType', mvIndex);
  method(amNode, 'StartSingleJob').bindMethod(async (inputs: Variant[], _context: unknown) => {
    if (automatic() !== 'Ready') return refused('StartSingleJob');
    const partField = inputs[1]?.value as { id?: string } | string | null | undefined;
    const partId = String(typeof partField === 'string' ? partField : (partField?.id ?? '')).trim();
    if (!partId) return { statusCode: StatusCodes.BadInvalidArgument };
    const jobId = randomUUID();
    const done = single();
    // Returns at once (OPC 40100: the job's result comes as a ResultReady event); back to Ready after.
    void station.trigger(partId, 'opcua', triggerTimeoutMs).then(done);
    const jobValue = jobIdType ? addressSpace.constructExtensionObject(jobIdType, { id: jobId }) : jobId;
    return ok([{ dataType: jobIdType ? DataType.ExtensionObject : DataType.String, value: jobValue }, err0]);
  });
  method(amNode, 'StartContinuous').bindMethod(async (_inputs: Variant[], _context: unknown) => {
    if (automatic() !== 'Ready') return refused('StartContinuous');
    set('Operational', 'ContinuousExecution');
    const jobValue = jobIdType ? addressSpace.constructExtensionObject(jobIdType, { id: randomUUID() }) : randomUUID();
    return ok([{ dataType: jobIdType ? DataType.ExtensionObject : DataType.String, value: jobValue }, err0]);
  });
  // node-opcua tells promise-style methods by their two parameters.
  const toReady = (name: string) => async (_inputs: Variant[], _context: unknown) => {
    const a = automatic();
    if (a !== 'ContinuousExecution' && a !== 'SingleExecution') return refused(name);
    set('Operational', 'Ready');
    return ok([err0]);
  };
  method(amNode, 'Stop').bindMethod(toReady('Stop'));
  method(amNode, 'Abort').bindMethod(toReady('Abort'));

  // A case that cannot be recorded (disk full, database locked): Error, the folder is left alone.
  const onCaseError = () => {
    if (vision() !== 'Error') set('Error', undefined, true);
  };
  station.on('error-case', onCaseError);
  // An inspection that could not run at all (pack fails to load, worker crashed twice): Error too.
  station.on('inspection-failed', onCaseError);

  return {
    vision,
    automatic,
    beginTrigger() {
      if (vision() !== 'Operational') return null;
      return automatic() === 'Ready' || automatic() === 'SingleExecution' ? single() : () => {};
    },
    halt() {
      if (vision() === 'Halted') return false;
      set('Halted');
      return true;
    },
    resetToContinuous() {
      if (vision() !== 'Halted' && vision() !== 'Error') return false;
      set('Preoperational');
      set('Operational', 'Initialized');
      set('Operational', 'Ready', true);
      set('Operational', 'ContinuousExecution');
      return true;
    },
    close() {
      station.off('error-case', onCaseError);
      station.off('inspection-failed', onCaseError);
    },
  };
}
