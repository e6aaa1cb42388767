/**
 * An MES back from an outage, as a separate process (node-opcua client, SignAndEncrypt +
 * Basic256Sha256, user name): it finds the station's OPC 40100 ResultManagement object, pages
 * through GetResultListFiltered, fetches results with GetResultById, and prints one JSON line per
 * call. Arguments are built from each method's declared InputArguments, as a generic client would.
 * Env: OPCUA_ENDPOINT, OPCUA_PKI, OPCUA_USER, OPCUA_PASSWORD, OPCUA_STATION (opcuaPeer.ts);
 * RESULTS_PAGE (MaxResults per page), RESULTS_GET (comma-separated ResultIds for GetResultById),
 * RESULTS_PART (a PartId to filter on).
 */
import { AttributeIds, DataType, makeBrowsePath, type ClientSession, type NodeId, type Variant } from 'node-opcua';
import { connectStation, env, out, runClient } from './opcuaPeer';

interface Decl {
  name: string;
  dataType: NodeId;
}

async function resolvePath(session: ClientSession, start: string, path: string): Promise<NodeId> {
  const r = await session.translateBrowsePath(makeBrowsePath(start, path));
  const target = r.targets?.[0]?.targetId;
  if (!target) throw new Error(`no node at ${start}${path}: ${r.statusCode.name}`);
  return target as NodeId;
}

/** A decoded Machine Vision structure or value as plain JSON (ids unwrapped, dates as ISO text). */
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('dataType' in o && 'value' in o && 'arrayType' in o) return plain(o['value']); // a Variant
    const fields = Object.keys(o).filter((k) => !k.startsWith('_') && k !== 'schema' && typeof o[k] !== 'function');
    return Object.fromEntries(fields.map((k) => [k, plain(o[k])]));
  }
  return v;
}

async function main(finished: () => void): Promise<void> {
  const peer = await connectStation({ applicationName: 'MES result catch-up client', applicationUri: 'urn:inspector:test:mes-results' }, (step) => out({ step }));
  const { session, mv, obj } = peer;
  const rmPath = `/${mv}:ResultManagement`;
  const rm = await resolvePath(session, obj, rmPath);
  out({ step: 'resultManagement', nodeId: rm.toString() });
  const decls = new Map<string, Decl[]>();
  const declOf = async (name: string) => {
    if (!decls.has(name)) {
      const at = await resolvePath(session, obj, `${rmPath}/${mv}:${name}/InputArguments`);
      decls.set(name, (await session.read({ nodeId: at, attributeId: AttributeIds.Value })).value.value as Decl[]);
    }
    return decls.get(name)!;
  };
  const methods = new Map<string, NodeId>();
  const call = async (name: string, given: Record<string, unknown>) => {
    if (!methods.has(name)) methods.set(name, await resolvePath(session, obj, `${rmPath}/${mv}:${name}`));
    // Each declared argument: the value given (an id structure built from a string), else a neutral one.
    const inputArguments = await Promise.all(
      (await declOf(name)).map(async (a) => {
        const g = given[a.name];
        const t = a.dataType.namespace === 0 ? Number(a.dataType.value) : -1;
        if (t === DataType.Int32) return { dataType: DataType.Int32, value: Number(g ?? 0) };
        if (t === DataType.UInt32) return { dataType: DataType.UInt32, value: Number(g ?? 0) };
        if (a.dataType.namespace === mv && typeof g === 'number') return { dataType: DataType.Int32, value: g }; // ResultStateDataType (an Int32)
        if (a.name === 'ResultState') return { dataType: DataType.Int32, value: 0 };
        try {
          return { dataType: DataType.ExtensionObject, value: await session.constructExtensionObject(a.dataType, typeof g === 'string' ? { id: g } : {}) };
        } catch {
          return { dataType: DataType.ExtensionObject, value: null }; // an abstract structure: nothing to give
        }
      }),
    );
    const r = await session.call({ objectId: rm, methodId: methods.get(name)!, inputArguments });
    return { status: r.statusCode.name, outputs: (r.outputArguments ?? []).map((v: Variant) => v.value as unknown) };
  };

  const list = async (given: Record<string, unknown>) => {
    const r = await call('GetResultListFiltered', given);
    const [isComplete, resultCount, handle, resultList, error] = r.outputs;
    const entries = ((resultList as unknown[] | null) ?? []).map((e) => plain(e) as Record<string, unknown>);
    return { status: r.status, isComplete, resultCount, handle, error, ids: entries.map((e) => (e['resultId'] as { id: string }).id), entries };
  };

  // 1. All results, page by page, as an MES catching up from index 0.
  const page = Number(env('RESULTS_PAGE') || '2');
  const pages: Awaited<ReturnType<typeof list>>[] = [];
  for (let start = 0; pages.length < 50; start += page) {
    const p = await list({ MaxResults: page, StartIndex: start });
    pages.push(p);
    if (p.isComplete !== false || p.status !== 'Good') break;
  }
  out({ step: 'pages', page, pages: pages.map(({ entries, ...p }) => ({ ...p, first: entries[0] ?? null })) });
  // 2. The server's bound: "no limit" (0) and an oversized MaxResults both get at most its cap.
  const { entries: _a, ...unlimited } = await list({ MaxResults: 0, StartIndex: 0 });
  const { entries: _b, ...oversized } = await list({ MaxResults: 100_000, StartIndex: 0 });
  out({ step: 'bounded', unlimited, oversized });
  // 3. Filters: a PartId; a JobId (the station records none: nothing matches); ResultState 3 (Aborted).
  const { entries: _c, ...byPart } = await list({ PartId: env('RESULTS_PART'), MaxResults: 10 });
  const { entries: _d, ...byJob } = await list({ JobId: 'job-1', MaxResults: 10 });
  const { entries: _e, ...aborted } = await list({ ResultState: 3, MaxResults: 10 });
  out({ step: 'filtered', byPart, byJob, aborted });

  // 4. Each asked result by id, then an unknown id and an empty one.
  const ids = env('RESULTS_GET').split(',').filter(Boolean);
  for (const id of ids) {
    const r = await call('GetResultById', { ResultId: id, Timeout: 0 });
    const [handle, result, error] = r.outputs;
    out({ step: 'byId', asked: id, status: r.status, handle, error, result: plain(result) });
  }
  const unknown = await call('GetResultById', { ResultId: 'no-such-result', Timeout: 0 });
  const empty = await call('GetResultById', { ResultId: '', Timeout: 0 });
  out({ step: 'unknown', status: unknown.status, outputs: plain(unknown.outputs), empty: empty.status });
  // 5. The same result as separate components; no handle to release (always 0: nothing is held).
  if (ids[0]) {
    const c = await call('GetResultComponentsById', { ResultId: ids[0], Timeout: 0 });
    out({ step: 'components', status: c.status, outputs: plain(c.outputs) });
  }
  const release = await session.translateBrowsePath(makeBrowsePath(obj, `${rmPath}/${mv}:ReleaseResultHandle`));
  out({ step: 'release', found: (release.targets?.length ?? 0) > 0 });
  out({ step: 'done' });
  finished();
  await peer.close();
}

runClient(main);
