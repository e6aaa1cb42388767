/**
 * OPC 40100-1 ResultManagement on the station's VisionSystemType object: an MES that was offline
 * fetches the results it missed. The object and its methods are the Machine Vision NodeSet's own
 * (ResultManagementType, instantiated as VisionSystemType's optional `ResultManagement`), so the
 * argument names and types are the standard's; the station binds them to its history, the source
 * of truth, so every result ever published answers, across restarts (docs/STATION.md,
 * "ResultManagement"):
 *
 *   GetResultById(ResultId: ResultIdDataType, Timeout) → (ResultHandle, Result: ResultDataType, Error)
 *   GetResultComponentsById(ResultId, Timeout) → the same fields as separate outputs
 *   GetResultListFiltered(ResultState, MeasId, PartId, …, MaxResults, StartIndex, Timeout)
 *     → (IsComplete, ResultCount, ResultHandle, ResultList: ResultDataType[], Error)
 *
 * Result.ResultContent is [the result JSON exactly as published (MQTT, the ResultReady event),
 * the corrections JSON {resultId, originalVerdict, currentVerdict, corrections} as REST's
 * GET /inspections/:id/corrections answers]. List entries carry the metadata only (no
 * ResultContent): a page stays small, the MES calls GetResultById for the ones it wants.
 * Nothing is held per client (results are immutable rows): ResultHandle is always 0 and the
 * optional ReleaseResultHandle is not instantiated (a server without it returns handle 0).
 */
import { DataType, StatusCodes, Variant, VariantArrayType, type AddressSpace, type UAMethod, type UAObject } from 'node-opcua';
import { resultPage } from './resultQueries';
import type { StationResult } from './result';
import type { Station } from './station';

/** Results one GetResultListFiltered call returns at most (MaxResults 0 or above: this many). */
export const MAX_RESULTS_PER_CALL = 100;
/** Error output values (OPC 40100: 0 OK, > 0 reserved for the standard, < 0 application-specific). */
export const RESULT_ERROR = { ok: 0, notFound: -1 } as const;

type Out = { dataType: DataType; value: unknown; arrayType?: VariantArrayType };

/** The id inside a Machine Vision id structure (ResultIdDataType, PartIdDataType, …) or a plain string. */
function idOf(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  const id = (v as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id.trim() : '';
}

export function bindResultManagement(addressSpace: AddressSpace, system: UAObject, mvIndex: number, station: Station, log: (l: string) => void): void {
  const stationId = station.config.station.id;
  const rm = system.getComponentByName('ResultManagement', mvIndex) as UAObject | null;
  if (!rm) throw new Error('OPC 40100 model: the station object has no ResultManagement');
  const method = (name: string): UAMethod => {
    const m = rm.getMethodByName(name, mvIndex);
    if (!m) throw new Error(`OPC 40100 model: no method ResultManagement.${name}`);
    return m;
  };
  // A Machine Vision structure by name, or null where it cannot be built (an abstract or unknown type).
  const structure = (name: string, fields: Record<string, unknown>) => {
    const dt = addressSpace.findDataType(name, mvIndex);
    if (!dt) return null;
    try {
      return addressSpace.constructExtensionObject(dt, fields);
    } catch {
      return null;
    }
  };
  const ext = (name: string, fields: Record<string, unknown>): Out => ({ dataType: DataType.ExtensionObject, value: structure(name, fields) });
  const int32 = (value: number): Out => ({ dataType: DataType.Int32, value });
  const handle: Out = { dataType: DataType.UInt32, value: 0 };

  /** This station's result with this id (a result of another station in the same history is not found). */
  const find = (resultId: string): StationResult | null => {
    const r = resultId ? station.ledger.result(resultId) : null;
    return r && r.station === stationId && r.resultId === resultId ? r : null;
  };
  const content = (r: StationResult): Variant[] => {
    const corrections = station.corrections(r);
    const reviewed = { resultId: r.resultId, originalVerdict: r.verdict, currentVerdict: corrections.at(-1)?.correctedVerdict ?? r.verdict, corrections };
    return [new Variant({ dataType: DataType.String, value: JSON.stringify(r) }), new Variant({ dataType: DataType.String, value: JSON.stringify(reviewed) })];
  };
  const times = (r: StationResult) =>
    structure('ProcessingTimesDataType', {
      startTime: new Date(r.processingTimes.startTime),
      endTime: new Date(r.processingTimes.endTime),
      acquisitionDuration: r.processingTimes.acquisitionMs,
      processingDuration: r.processingTimes.inspectMs,
    });
  // ResultState 1 = Completed: a station result is recorded whole (the verdict is in ResultContent).
  const resultData = (r: StationResult, withContent: boolean) =>
    structure('ResultDataType', {
      resultId: structure('ResultIdDataType', { id: r.resultId }),
      hasTransferableDataOnFile: false,
      isPartial: false,
      isSimulated: false,
      resultState: 1,
      partId: structure('PartIdDataType', { id: r.partId }),
      jobId: structure('JobIdDataType', { id: '' }),
      creationTime: new Date(r.createdAt),
      processingTimes: times(r),
      ...(withContent ? { resultContent: content(r) } : {}),
    });

  method('GetResultById').bindMethod(async (inputs: Variant[], _context: unknown) => {
    const resultId = idOf(inputs[0]?.value);
    if (!resultId) return { statusCode: StatusCodes.BadInvalidArgument };
    const r = find(resultId);
    if (!r) {
      log(`opcua: GetResultById ${resultId}: no such result at ${stationId}`);
      // Both signals: the call status for generic clients, Error for OPC 40100 ones.
      return { statusCode: StatusCodes.BadNotFound, outputArguments: [handle, { dataType: DataType.ExtensionObject, value: null }, int32(RESULT_ERROR.notFound)] };
    }
    return { statusCode: StatusCodes.Good, outputArguments: [handle, { dataType: DataType.ExtensionObject, value: resultData(r, true) }, int32(RESULT_ERROR.ok)] };
  });

  method('GetResultComponentsById').bindMethod(async (inputs: Variant[], _context: unknown) => {
    const resultId = idOf(inputs[0]?.value);
    if (!resultId) return { statusCode: StatusCodes.BadInvalidArgument };
    const r = find(resultId);
    const none: Out = { dataType: DataType.ExtensionObject, value: null };
    if (!r) {
      log(`opcua: GetResultComponentsById ${resultId}: no such result at ${stationId}`);
      return { statusCode: StatusCodes.BadNotFound };
    }
    return {
      statusCode: StatusCodes.Good,
      outputArguments: [
        { dataType: DataType.Boolean, value: false }, // HasTransferableDataOnFile
        handle,
        { dataType: DataType.Boolean, value: false }, // IsPartial
        { dataType: DataType.Boolean, value: false }, // IsSimulated
        int32(1), // ResultState: Completed
        none, // MeasId
        ext('PartIdDataType', { id: r.partId }),
        none, // ExternalRecipeId
        none, // InternalRecipeId (the station has no recipes)
        none, // ProductId
        none, // ExternalConfigurationId
        none, // InternalConfigurationId
        none, // JobId (not recorded with the result)
        { dataType: DataType.DateTime, value: new Date(r.createdAt) },
        { dataType: DataType.ExtensionObject, value: times(r) },
        { dataType: DataType.Variant, arrayType: VariantArrayType.Array, value: content(r) },
        int32(RESULT_ERROR.ok),
      ],
    };
  });

  // Inputs: ResultState, MeasId, PartId, ExternalRecipeId, InternalRecipeId, ExternalConfigurationId,
  // InternalConfigurationId, ProductId, JobId, MaxResults, StartIndex, Timeout.
  method('GetResultListFiltered').bindMethod(async (inputs: Variant[], _context: unknown) => {
    const value = (i: number) => inputs[i]?.value as unknown;
    const resultState = Number(value(0) ?? 0);
    const partId = idOf(value(2));
    // The station records no measurement, recipe, configuration, product or job ids with its
    // results: a filter on one of them matches none (as does any ResultState but 0 or Completed).
    const unmatched = [1, 3, 4, 5, 6, 7, 8].some((i) => idOf(value(i)) !== '') || (resultState !== 0 && resultState !== 1);
    const asked = Number(value(9) ?? 0);
    const maxResults = asked > 0 ? Math.min(asked, MAX_RESULTS_PER_CALL) : MAX_RESULTS_PER_CALL;
    const startIndex = Number(value(10) ?? 0);
    const page = unmatched ? { results: [], more: false } : resultPage(station.ledger.store, { station: stationId, partId: partId || null, startIndex, limit: maxResults });
    return {
      statusCode: StatusCodes.Good,
      outputArguments: [
        { dataType: DataType.Boolean, value: !page.more }, // IsComplete
        { dataType: DataType.UInt32, value: page.results.length }, // ResultCount
        handle,
        { dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: page.results.map((r) => resultData(r, false)) },
        int32(RESULT_ERROR.ok),
      ],
    };
  });
}
