/**
 * `inspector dicom …`: the DICOM node headless. `listen` receives studies (C-ECHO/C-STORE SCP),
 * auto-inspects them by rule through the same batch code as `inspector batch`, and sends SR/SC
 * back through the outbox; `send` builds and sends the results of a recorded run or case;
 * `echo` checks a peer; `outbox` and `studies` show what the node holds.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDicomConfig, parseAddress, ResultObject, type DicomNodeConfig, type Destination } from '../../core/dicomnet/config';
import { DicomNode, type NodeEvent } from '../../core/dicomnet/node';
import { flushOutbox, listOutbox, requeueUnsent } from '../../core/dicomnet/outbox';
import { listStudies } from '../../core/dicomnet/records';
import { qido, wadoStudy } from '../../core/dicomnet/dicomweb';
import { DicomListener } from '../../core/dicomnet/listener';
import { cFind, retrieveStudy, type FindQuery } from '../../core/dicomnet/query';
import { getStudy } from '../../core/dicomnet/cget';
import { recordInstance } from '../../core/dicomnet/records';
import { echo } from '../../core/dicomnet/send';
import { loadTls, type TlsMaterial } from '../../core/dicomnet/tls';
import { HistoryStore } from '../../core/history/index';
import { runBatch } from '../../host/batch';
import { readAppVersion } from '../../host/createHost';
import { workerConfig } from '../../host/workerConfig';
import { HistoryAccess } from '../../host/history';
import { appPaths } from '../../host/paths';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { withHost } from '../host';
import { historyDbPath, withStore } from '../historyDb';
import { packLabelCodings } from '../../core/dicomnet/packLabels';

const HELP = [
  'Usage: inspector dicom listen [--config dicom.yaml] [--aet INSPECTOR] [--port 11112] [--bind 127.0.0.1]',
  '                              [--inbox DIR] [--db FILE] [--json]',
  '       inspector dicom send (--run ID | --case ID)... (--to AET@host:port | --url DICOMWEB_URL)',
  '                            [--objects sr,sc,seg,pmap] [--deidentify] [--volume] [--per-study] [--config dicom.yaml] [--db FILE] [--json]',
  '       (--volume: the runs are slices of one series; their maps go as ONE multi-frame Parametric Map / SEG, a frame per slice)',
  '       (--per-study: the runs are of one study and pack; their SR goes as ONE study SR, a measurement group per run)',
  '       inspector dicom send --retry [--config dicom.yaml] [--db FILE]',
  '       inspector dicom echo AET@host:port [--aet INSPECTOR] [--tls --config dicom.yaml]',
  '       inspector dicom find (--from AET@host:port | --url DICOMWEB_URL) [--level study|series] [--patient ID]',
  '                            [--name PATTERN] [--date YYYYMMDD[-YYYYMMDD]] [--modality M] [--accession A] [--study UID] [--json]',
  '       inspector dicom retrieve (--from AET@host:port [--get] | --url DICOMWEB_URL) --study UID [--config dicom.yaml]',
  '                                [--inbox DIR] [--db FILE]',
  '       (Ctrl-C during find/retrieve: C-CANCEL to the peer; exits DICOM_CANCELLED, what arrived is kept)',
  '       (--tls on send/echo/find/retrieve: reach the peer over DICOM TLS with the config\'s tls cert/key/ca)',
  '       inspector dicom outbox [--db FILE] [--json]',
  '       inspector dicom studies [--db FILE] [--json]',
  '',
  'listen   DICOM listener (C-ECHO, C-STORE SCP; C-FIND with answer_find, C-MOVE/C-GET with answer_retrieve).',
  '         Accepts only peers on the config\'s allow-list; received',
  '         instances go to <data>/dicom/inbox/<study>/<series>/ and into the history. When a study has been',
  '         quiet for stable_seconds, auto_inspect rules pick a pack; each run\'s SR/SC go to send_results.',
  'find     C-FIND (or QIDO-RS) at study or series level.',
  'retrieve --get: C-GET (the PACS sends on our association; nothing to register; compressed studies come as',
  '         held: JPEG 2000, JPEG, RLE, JPEG-LS are proposed). Otherwise',
  '         C-MOVE to our own AE title (a listener runs on the configured port meanwhile; the PACS must know',
  '         it) or WADO-RS, into the inbox, recorded like a push. A partial move exits 1 (DICOM_MOVE_PARTIAL).',
  'send     Builds SR (TID 1500) / SC / SEG / Parametric Map for recorded runs and sends them by C-STORE or STOW-RS. A failed',
  '         send stays in the outbox (exit 1) and is retried by `listen` or by `send --retry`.',
  '',
  'Config (dicom.yaml): ae_title, port, bind, allow[{aet,host,port}], auto_inspect[{when:{modality|body_part|',
  'sop_class|station_name}, pack}], send_results[{aet,host,port,objects} | {url,objects}], stable_seconds,',
  'send_reviewed{on,to}, tls{cert,key,ca,require_client_cert,reload_seconds}, query{aet,host,port,retrieve} | {url}, answer_find, answer_retrieve,',
  'uid_root, inbox, retry_seconds, timeout_seconds. See docs/DICOM-NODE.md.',
].join('\n');

function dataDirs(config: DicomNodeConfig, inbox?: string): { inbox: string; outbox: string } {
  const base = join(appPaths().userDataDir, 'dicom');
  return { inbox: resolve(inbox ?? config.inbox ?? join(base, 'inbox')), outbox: join(base, 'outbox') };
}

function logger(json: boolean): (e: NodeEvent) => void {
  return (e) => {
    if (json) {
      process.stdout.write(JSON.stringify({ at: new Date().toISOString(), ...e }) + '\n');
      return;
    }
    const { event, ...rest } = e;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join(' ');
    process.stdout.write(`${new Date().toISOString()} ${event} ${fields}\n`);
  };
}

/** The node's TLS material when the config has a `tls` section (read now: a missing file is a coded error). */
function tlsOf(config: DicomNodeConfig): TlsMaterial | undefined {
  return config.tls ? loadTls(config.tls) : undefined;
}

/** `--to`/`--from` AET@host:port, over TLS with `--tls`. */
function peer(address: string, tls: boolean | undefined) {
  return { ...parseAddress(address), ...(tls ? { tls: true } : {}) };
}

function configWith(values: { config?: string | undefined; aet?: string | undefined; port?: string | undefined; bind?: string | undefined }): DicomNodeConfig {
  const config = loadDicomConfig(values.config ? resolve(values.config) : undefined);
  if (values.aet) config.ae_title = values.aet;
  if (values.port) {
    const p = Number(values.port);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new InspectorError('USAGE', `--port expects 0-65535; got "${values.port}".`);
    config.port = p;
  }
  if (values.bind) config.bind = values.bind;
  return config;
}

async function listen(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { config: { type: 'string' }, aet: { type: 'string' }, port: { type: 'string' }, bind: { type: 'string' }, inbox: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } },
  });
  const config = configWith(values);
  const dirs = dataDirs(config, values.inbox);
  const history = new HistoryAccess(historyDbPath(values.db));
  const store = history.get();
  const log = logger(values.json ?? false);
  return withHost(async (host) => {
    const node = new DicomNode({
      config,
      store,
      inbox: dirs.inbox,
      outboxDir: dirs.outbox,
      softwareVersion: readAppVersion(appPaths().appRoot),
      labelCodings: packLabelCodings(workerConfig(appPaths()).modelDirs),
      log,
      inspect: async ({ studyInstanceUid, pack, paths }) => {
        const summary = await runBatch({ worker: host.worker, history }, { paths, packs: [pack], name: `dicom study ${studyInstanceUid}` });
        const runIds = store.db.prepare('SELECT id FROM inference_runs WHERE batch_id = ? ORDER BY id').pluck().all(summary.batchId) as number[];
        return { batchId: summary.batchId, runIds };
      },
    });
    await node.start();
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await node.close();
    history.close();
    return 0;
  });
}

function positiveInts(list: string[] | undefined, option: string): number[] {
  return (list ?? []).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InspectorError('USAGE', `${option} expects an id (a whole number); got "${v}".`);
    return n;
  });
}

async function send(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      run: { type: 'string', multiple: true },
      case: { type: 'string', multiple: true },
      to: { type: 'string' },
      url: { type: 'string' },
      objects: { type: 'string' },
      retry: { type: 'boolean' },
      deidentify: { type: 'boolean' },
      volume: { type: 'boolean' },
      'per-study': { type: 'boolean' },
      tls: { type: 'boolean' },
      config: { type: 'string' },
      aet: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const config = configWith(values);
  const dirs = dataDirs(config);
  const file = historyDbPath(values.db);
  if (values.retry) {
    return withStore(values.db, async (store) => {
      requeueUnsent(store);
      const r = await flushOutbox(store, { callingAet: config.ae_title, timeoutSeconds: config.timeout_seconds, retrySeconds: config.retry_seconds, tls: tlsOf(config) });
      process.stdout.write(`sent ${r.sent}, failed ${r.failed.length}${r.failed.map((f) => `\n  outbox ${f.id}: ${f.error.code}: ${f.error.message}`).join('')}\n`);
      return r.failed.length ? 1 : 0;
    });
  }
  const runs = positiveInts(values.run, '--run');
  const cases = positiveInts(values.case, '--case');
  if (runs.length + cases.length === 0) throw new InspectorError('USAGE', 'dicom send needs --run ID or --case ID (or --retry)');
  if (!values.to === !values.url) throw new InspectorError('USAGE', 'dicom send needs exactly one of --to AET@host:port or --url DICOMWEB_URL');
  const objects = (values.objects ?? 'sr,sc').split(',').map((s) => {
    const r = ResultObject.safeParse(s.trim());
    if (!r.success) throw new InspectorError('USAGE', `--objects takes sr, sc, seg, pmap; got "${s}".`);
    return r.data;
  });
  const deid = values.deidentify ? { deidentify: true } : {};
  const destination: Destination = values.to ? { ...peer(values.to, values.tls), objects, ...deid } : { url: values.url!, objects, ...deid };
  const store = HistoryStore.open(file);
  try {
    for (const c of cases) {
      const ids = store.db.prepare('SELECT id FROM inference_runs WHERE case_id = ? ORDER BY id').pluck().all(c) as number[];
      if (ids.length === 0) throw new InspectorError('HISTORY_CASE_NOT_FOUND', `Case ${c} has no recorded runs in ${file}.`);
      runs.push(...ids);
    }
    const node = new DicomNode({
      config: { ...config, send_results: [destination] },
      store,
      inbox: dirs.inbox,
      outboxDir: dirs.outbox,
      softwareVersion: readAppVersion(appPaths().appRoot),
      labelCodings: packLabelCodings(workerConfig(appPaths()).modelDirs),
      inspect: () => Promise.reject(new Error('not used')),
    });
    const before = new Set(listOutbox(store.db).map((e) => e.id));
    if (values['per-study'] && !objects.includes('sr')) throw new InspectorError('USAGE', '--per-study builds one study SR: give --objects with sr.');
    if (values.volume && !objects.some((o) => o === 'pmap' || o === 'seg')) throw new InspectorError('USAGE', '--volume builds one multi-frame Parametric Map / SEG: give --objects with pmap or seg.');
    let rest = objects;
    if (values['per-study']) {
      // ONE study SR of all the runs, built (or refused: DICOM_SR_STUDY_MISMATCH / DICOM_SR_PACK_MISMATCH) before anything is queued.
      await node.queueStudySr([...new Set(runs)], [{ ...destination, objects: ['sr'] }]);
      rest = rest.filter((o) => o !== 'sr');
    }
    if (values.volume) {
      // One multi-frame Parametric Map / SEG of all the runs (a series' slices); the other objects per run.
      await node.queueVolume(
        runs,
        objects.filter((o): o is 'pmap' | 'seg' => o === 'pmap' || o === 'seg'),
      );
      rest = rest.filter((o) => o !== 'pmap' && o !== 'seg');
    }
    if (rest.length) for (const id of runs) await node.queueResults(id, [{ ...destination, objects: rest }]);
    await node.flush();
    const mine = listOutbox(store.db).filter((e) => !before.has(e.id));
    if (values.json) process.stdout.write(JSON.stringify(mine, null, 2) + '\n');
    else
      for (const e of mine) {
        process.stdout.write(`${e.status === 'sent' ? 'sent   ' : 'QUEUED '} ${e.kind} ${e.sopInstanceUid} run ${e.runId}${e.lastErrorCode ? `  ${e.lastErrorCode}: ${e.lastError}` : ''}\n`);
      }
    return mine.every((e) => e.status === 'sent') ? 0 : 1;
  } finally {
    store.close();
  }
}

const FIND_OPTIONS = {
  from: { type: 'string' },
  url: { type: 'string' },
  level: { type: 'string' },
  patient: { type: 'string' },
  name: { type: 'string' },
  date: { type: 'string' },
  modality: { type: 'string' },
  accession: { type: 'string' },
  study: { type: 'string' },
  tls: { type: 'boolean' },
  get: { type: 'boolean' },
  config: { type: 'string' },
  aet: { type: 'string' },
  inbox: { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * Ctrl-C (SIGINT) during a query or retrieve cancels it: C-CANCEL to the peer, which ends the
 * request with Cancel; the command then fails DICOM_CANCELLED, keeping what arrived (matches
 * printed so far, instances in the inbox and the history).
 */
function cancelOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const onSigint = () => {
    process.stderr.write('inspector: cancelling (C-CANCEL sent to the peer; a WADO-RS download is aborted)\n');
    ctl.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: ctl.signal, dispose: () => process.off('SIGINT', onSigint) };
}

async function find(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: FIND_OPTIONS });
  if (!values.from === !values.url) throw new InspectorError('USAGE', 'dicom find needs exactly one of --from AET@host:port or --url DICOMWEB_URL');
  const level = (values.level ?? 'study').toUpperCase();
  if (level !== 'STUDY' && level !== 'SERIES') throw new InspectorError('USAGE', '--level is study or series');
  const q: FindQuery = {
    level,
    ...(values.patient ? { patientId: values.patient } : {}),
    ...(values.name ? { patientName: values.name } : {}),
    ...(values.date ? { studyDate: values.date } : {}),
    ...(values.modality ? { modality: values.modality } : {}),
    ...(values.accession ? { accessionNumber: values.accession } : {}),
    ...(values.study ? { studyInstanceUid: values.study } : {}),
  };
  const config = configWith(values);
  const line = (m: Record<string, string>) => process.stdout.write(Object.entries(m).filter(([k]) => k !== 'PatientName' && k !== '00100010').map(([k, v]) => `${k}=${v}`).join('  ') + '\n');
  if (!values.from) {
    const matches = await qido(values.url!, q, config.timeout_seconds);
    if (values.json) process.stdout.write(JSON.stringify(matches, null, 2) + '\n');
    else matches.forEach(line);
    return 0;
  }
  // C-FIND: lines are printed as the matches come, so a cancelled query has shown what it got (JSON: printed from the error).
  const cancel = cancelOnSigint();
  try {
    const matches = await cFind(peer(values.from, values.tls), q, { callingAet: config.ae_title, timeoutSeconds: config.timeout_seconds, tls: tlsOf(config), signal: cancel.signal }, values.json ? undefined : line);
    if (values.json) process.stdout.write(JSON.stringify(matches, null, 2) + '\n');
  } catch (e) {
    const partial = (e as { matches?: unknown[] }).matches;
    if (values.json && partial) process.stdout.write(JSON.stringify(partial, null, 2) + '\n');
    throw e;
  } finally {
    cancel.dispose();
  }
  return 0;
}

async function retrieve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: FIND_OPTIONS });
  if (!values.from === !values.url) throw new InspectorError('USAGE', 'dicom retrieve needs exactly one of --from AET@host:port or --url DICOMWEB_URL');
  if (!values.study) throw new InspectorError('USAGE', 'dicom retrieve needs --study UID');
  const config = configWith(values);
  const dirs = dataDirs(config, values.inbox);
  const store = HistoryStore.open(historyDbPath(values.db));
  const cancel = cancelOnSigint();
  try {
    if (values.url) {
      // WADO-RS: Ctrl-C aborts the download; the instances whose parts fully arrived are kept.
      const got = await wadoStudy(values.url, values.study, dirs.inbox, (r) => recordInstance(store, r), { timeoutSeconds: config.timeout_seconds * 4, signal: cancel.signal });
      process.stdout.write(`retrieved ${got.length} instances of ${values.study} into ${dirs.inbox}\n`);
      return 0;
    }
    const tls = tlsOf(config);
    const assoc = { callingAet: config.ae_title, timeoutSeconds: config.timeout_seconds, tls, signal: cancel.signal };
    if (values.get) {
      // C-GET: the PACS sends the instances back on our own association — no listener, no move destination to register.
      const r = await getStudy(peer(values.from!, values.tls), values.study, { inbox: dirs.inbox, onStored: (i) => recordInstance(store, i) }, assoc);
      process.stdout.write(`retrieved ${r.arrived} of ${r.expected} instances of ${values.study} into ${dirs.inbox} (C-GET)\n`);
      return 0;
    }
    const listener = new DicomListener({ aeTitle: config.ae_title, port: config.port, bind: config.bind, allow: config.allow, inbox: dirs.inbox, tls, onStored: (r) => recordInstance(store, r) });
    await listener.start();
    try {
      const r = await retrieveStudy(peer(values.from!, values.tls), values.study, listener, assoc);
      process.stdout.write(`retrieved ${r.arrived} of ${r.expected} instances of ${values.study} into ${dirs.inbox}\n`);
      return 0;
    } finally {
      await listener.close();
    }
  } catch (e) {
    const d = (e as InspectorError).details as { arrived?: number; expected?: number } | undefined;
    if ((e as InspectorError).code === 'DICOM_CANCELLED' && d?.arrived !== undefined) process.stdout.write(`cancelled: ${d.arrived} of ${d.expected ?? '?'} instances of ${values.study} kept in ${dirs.inbox}\n`);
    throw e;
  } finally {
    cancel.dispose();
    store.close();
  }
}

export const dicomCommand: Command = {
  name: 'dicom',
  summary: 'DICOM node: receive studies (C-STORE SCP), auto-inspect, send SR/SC back (C-STORE, STOW-RS)',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'listen':
        return listen(rest);
      case 'send':
        return send(rest);
      case 'find':
        return find(rest);
      case 'retrieve':
        return retrieve(rest);
      case 'echo': {
        const { values, positionals } = parseArgs({ args: rest, strict: true, allowPositionals: true, options: { aet: { type: 'string' }, config: { type: 'string' }, tls: { type: 'boolean' } } });
        if (positionals.length !== 1) throw new InspectorError('USAGE', 'dicom echo needs one AET@host:port');
        const config = configWith(values);
        await echo(peer(positionals[0]!, values.tls), { callingAet: config.ae_title, timeoutSeconds: config.timeout_seconds, tls: tlsOf(config) });
        process.stdout.write(`C-ECHO ${positionals[0]} ok\n`);
        return 0;
      }
      case 'outbox':
      case 'studies': {
        const { values } = parseArgs({ args: rest, strict: true, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
        return withStore(values.db, (store) => {
          const rows = sub === 'outbox' ? listOutbox(store.db) : listStudies(store.db);
          if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          else for (const r of rows) process.stdout.write(Object.values(r).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('  ') + '\n');
          return 0;
        });
      }
      default:
        throw new InspectorError('USAGE', `dicom needs a subcommand: listen, send, echo, find, retrieve, outbox, studies\n\n${HELP}`);
    }
  },
};
