/**
 * The implementation of every contract channel, Electron-free. Electron's ipcMain and the E2E
 * test bridge both register exactly this table through `dispatch`.
 */
import { join } from 'node:path';
import type { Channel } from '../shared/channels';
import type { Input, Output } from '../shared/contract';
import { firstAvailable } from '../core/runtime/providerOrder';
import type { AccessGrants } from './grants';
import type { AppPaths } from './paths';
import type { MediaStore } from './media';
import { publishFrame } from './publishFrame';
import type { WorkerClient } from './workerClient';
import { createHistoryHandlers, type HistoryAccess } from './history';
import { recordedImage } from './historyImage';
import { recordedMap } from './historyMap';
import { runInspect } from './inspect';
import { listSamples } from './samples';
import { packCard } from './packCard';
import type { StationHost } from './stationHost';
import type { DicomNodeService } from './dicomNode';
import type { FleetService } from './fleetService';
import { studyRuns, studySeriesFolders, worklist } from '../core/dicomnet/worklist';
import { listTags } from '../core/imaging/dicom/tags';
import { readRegularFile } from '../core/files/read';
import { InspectorError } from '../shared/errors';
import { getRun } from '../core/history/index';
import { createEvaluationHandlers } from './evaluationJobs';
import { recordAgreementOf } from './agreement';

export interface HostContext {
  version: string;
  paths: AppPaths;
  worker: WorkerClient;
  media: MediaStore;
  /** Folders/files the user chose; every path from the renderer is checked against these. */
  grants: AccessGrants;
  /** `inspector://app/media` in Electron, `http://127.0.0.1:PORT/media` under test. */
  mediaBase: string;
  /** The platform's file picker (Electron's dialog; in tests, the test's choice). */
  choosePaths: ChoosePaths;
  /** The history database, opened on first use. */
  history: HistoryAccess;
  /** The line station the app runs when settings name one (Line room). */
  station: StationHost;
  /** The DICOM node main runs when settings.yaml names a configuration. */
  dicom: DicomNodeService;
  /** Background sync to the fleet's central database and the Fleet room's read-only statistics. */
  fleet: FleetService;
}

/**
 * Asks the user for files or a folder to open, or (`save`, with a suggested name and extensions)
 * for one file to write; resolves with nothing when cancelled.
 */
export type ChoosePaths = (kind: 'folder' | 'files' | 'save', save?: { defaultName: string; extensions: string[] }) => Promise<string[]>;

export type Handlers = { [C in Channel]: (input: Input<C>) => Promise<Output<C>> };

export function createHandlers(ctx: HostContext): Handlers {
  // Probing providers creates ONNX sessions: do it once per worker lifetime, on first need.
  let doctor: ReturnType<typeof ctx.worker.call<'doctor'>> | undefined;
  const runDoctor = () => (doctor ??= ctx.worker.call('doctor').catch((e: unknown) => {
    doctor = undefined;
    throw e;
  }));

  const historyHandlers = createHistoryHandlers(ctx.history, {
    // The save dialog's answer is the only file an export writes; the renderer never names one.
    chooseSavePath: async (save) => (await ctx.choosePaths('save', save))[0] ?? null,
    version: ctx.version,
  });

  return {
    ...historyHandlers,
    'app.info': async () => ({
      version: ctx.version,
      platform: process.platform,
      dataDir: ctx.paths.userDataDir,
      modelDirs: [ctx.paths.appModelsDir, ctx.paths.userModelsDir],
      mediaBase: ctx.mediaBase,
    }),
    'system.doctor': async () => runDoctor(),
    'system.status': async () => {
      const report = await runDoctor();
      return {
        activeProvider: firstAvailable(report.executionProviders),
        database: ctx.paths.defaultDatabase,
        worker: ctx.worker.state,
      };
    },
    'packs.list': async () => ctx.worker.call('listPacks'),
    'packs.card': async ({ name }) => packCard(ctx.worker, name),
    'samples.list': async () => listSamples(join(ctx.paths.resourcesDir, 'samples')),
    'files.choose': async ({ kind }) => {
      // Choosing is the grant: what the user picked becomes readable, nothing else.
      const paths = await ctx.choosePaths(kind);
      for (const p of paths) ctx.grants.grant(p);
      return { paths };
    },
    'images.open': async ({ path }) => {
      const opened = await ctx.worker.call('openImage', { path: ctx.grants.check(path) });
      return { ...opened, frames: opened.frames.map((f, i) => publishFrame(ctx.media, f, i === 0)) };
    },
    'images.openSeries': async ({ dir }) => {
      // The folder is granted; the worker re-checks each entry's real path, so a link out is skipped.
      const { series, errors, skipped } = await ctx.worker.call('openSeries', { dir: ctx.grants.check(dir), roots: ctx.grants.list() });
      return { series: series.map((s) => ({ ...s, frames: s.frames.map((f, i) => publishFrame(ctx.media, f, i === 0)) })), errors, skipped };
    },
    'images.openRun': async ({ runId }) => {
      // A recorded path is reopened only while it (its real path, now) is inside a grant: the file
      // may have been swapped for a link since, and a database can be copied in from elsewhere.
      return openRecordedRun(ctx, runId, (p) => ctx.grants.check(p));
    },
    'inspect.run': async (input) => runInspect(ctx, input),
    'station.feed': async () => ctx.station.feed(),
    'station.control': async ({ action }) => ctx.station.control(action),
    'station.explanation': async ({ resultId }) => ctx.station.explanation(resultId),
    'station.openRun': async ({ resultId, runId }) => {
      // As images.openRun, but the folders allowed are the station's own, and only for a run of that case.
      const access = ctx.station.caseRunAccess(resultId, runId);
      return openRecordedRun(ctx, runId, (p) => access.check(p));
    },
    'station.thumbnail': async ({ resultId, runId }) => {
      // Same rule as station.openRun: only a deciding run of that case, only inside the station's folders.
      const access = ctx.station.caseRunAccess(resultId, runId);
      const { image, run } = getRun(ctx.history.get().db, runId);
      const t = await ctx.worker.call('thumbnail', { path: access.check(image.sourcePath), sha256: image.sha256, regions: run.regions.map((r) => ({ box: r.box })) });
      if (typeof t === 'string') throw new InspectorError('STATION_THUMBNAIL_FAILED', `No thumbnail for run ${runId}: ${t}`, { resultId, runId });
      const { png, ...rest } = t;
      return { ...rest, mediaId: ctx.media.publish({ contentType: 'image/png', bytes: png }) };
    },
    'fleet.status': async () => ctx.fleet.status(),
    'fleet.stats': async (q) => ctx.fleet.stats(q),
    'review.submit': async (r) => {
      const out = await historyHandlers['review.submit'](r);
      // The DICOM node sends the reviewed SR when its configuration asks for it; the review is
      // saved whatever the send does (the outbox keeps and retries it, the worklist shows it).
      void ctx.dicom.reviewed();
      return out;
    },
    'dicom.worklist': async () => ({ node: ctx.dicom.current(), studies: ctx.history.exists() ? worklist(ctx.history.get().db) : [] }),
    'dicom.openStudy': async ({ studyInstanceUid }) => {
      const study = ctx.history.exists() ? worklist(ctx.history.get().db).find((s) => s.studyInstanceUid === studyInstanceUid) : undefined;
      if (!study || !study.folder) throw new InspectorError('DICOM_STUDY_NOT_FOUND', `The worklist has no study ${studyInstanceUid}.`, { studyInstanceUid });
      // Opening a worklist study is the user's choice of its inbox folder: that folder becomes readable.
      ctx.grants.grant(study.folder);
      const db = ctx.history.get().db;
      return { folder: study.folder, series: studySeriesFolders(db, studyInstanceUid), study, runs: studyRuns(db, study.batchId) };
    },
    'dicom.query': async (q) => ({ matches: await ctx.dicom.query(q) }),
    'dicom.retrieve': async ({ studyInstanceUid }) => ctx.dicom.retrieve(studyInstanceUid),
    'dicom.cancelRetrieve': async ({ studyInstanceUid }) => ({ cancelled: ctx.dicom.cancelRetrieve(studyInstanceUid) }),
    'dicom.settings': async () => ctx.dicom.settings(),
    'dicom.saveSettings': async (edit) => ctx.dicom.saveSettings({ ae_title: edit.ae_title, port: edit.port, allow: edit.allow, send_results: edit.send_results }),
    'dicom.retryOutbox': async () => {
      await ctx.dicom.retryOutbox();
      return {};
    },
    'images.tags': async ({ path }) => listTags(await readRegularFile(ctx.grants.check(path), ctx.grants.list())),
    ...createEvaluationHandlers(ctx),
    'agreement.record': async (input) => recordAgreementOf(ctx.history, input),
  };
}

/** A recorded run's image (path checked by `check`) with its recorded map, published to the page. */
async function openRecordedRun(ctx: HostContext, runId: number, check: (path: string) => string): Promise<Output<'images.openRun'>> {
  const { path, sha256Matches } = await recordedImage(ctx.history, runId, check);
  const opened = await ctx.worker.call('openImage', { path });
  return { ...opened, frames: opened.frames.map((f, i) => publishFrame(ctx.media, f, i === 0)), runId, sha256Matches, ...recordedMap(ctx.history, ctx.media, runId) };
}
