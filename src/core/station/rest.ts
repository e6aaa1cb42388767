/**
 * REST channel (fastify + @fastify/swagger, spec at GET /openapi.json) for line software that polls
 * or posts. Loopback by default; every route but /health needs `Authorization: Bearer <token>` (the
 * token comes from an environment variable, never from station.yaml). POST /inspections takes files
 * the station may read (inside a watched folder) and honours `Idempotency-Key`: the same key with
 * the same body answers with the same result, with another body it is refused (409).
 * It also takes an upload — multipart/form-data (one file part per view, named by the view, plus
 * `serial` and optional `lot` fields) or one image as the raw body (?serial=&view=) — written into
 * the station's spool in its data folder (upload.ts), never to a client-named path.
 * GET /inspections/:id/corrections lists the corrections published for a result (the same messages
 * as on MQTT, rebuilt from the history) with the case's current verdict.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { realpathSync, rmdirSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { InspectorError, toErrorInfo } from '../../shared/errors';
import { patternRegex } from '../verdict/cases';
import type { RestConfig, WatchConfig } from './config';
import { buildExplanation, explanationPng, explanationState } from './explanation';
import { caseUid } from './ledger';
import type { CaseFile, StationResult } from './result';
import { sha256File, type Station } from './station';
import { RAW_TYPES, Spool, type SpooledCase, type UploadPart } from './upload';

export interface RestChannel {
  url: string;
  close(): Promise<void>;
}

const errorBody = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } as const;
const resultBody = { type: 'object', additionalProperties: true, description: 'StationResult (docs/STATION.md), as published on MQTT' } as const;

const str = { type: 'string' } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const verdictEnum = ['PASS', 'INTERNAL_DEFECT', 'EXTERNAL_DEFECT', 'COMBINED_DEFECT', 'UNCERTAIN', 'INCOMPLETE'];
/** StationCorrection (result.ts), as published on <topic>/correction and in OPC UA CorrectionEventType. */
const correctionBody = {
  type: 'object',
  description: 'A reviewer correction of a published result (inspector.station.correction/1), as published on MQTT <topic>/correction',
  properties: {
    schema: { type: 'string', enum: ['inspector.station.correction/1'] },
    correctionId: str,
    resultId: { type: 'string', description: 'The published result this corrects' },
    station: str,
    line: str,
    serial: str,
    partId: str,
    lot: strOrNull,
    originalVerdict: { type: 'string', enum: verdictEnum },
    reviewId: { type: 'integer' },
    supersedesReviewId: { type: ['integer', 'null'] },
    runId: { type: 'integer' },
    view: strOrNull,
    file: strOrNull,
    decision: { type: 'string', description: 'accept | reject | override | uncertain' },
    label: strOrNull,
    note: strOrNull,
    reviewer: str,
    reviewedAt: { type: 'string', format: 'date-time' },
    correctedVerdict: { type: 'string', enum: verdictEnum, description: 'The case verdict with this review and the earlier ones on its runs' },
    correctedEvaluation: { type: 'string', enum: ['OK', 'NotOK', 'NotDecidable'] },
    verdictChanged: { type: 'boolean', description: 'correctedVerdict differs from originalVerdict' },
    correctionBasis: { type: 'string', enum: ['unchanged', 'reviewed', 'incomplete'] },
    appliedReviewIds: { type: 'array', items: { type: 'integer' } },
  },
  required: ['schema', 'correctionId', 'resultId', 'originalVerdict', 'reviewId', 'runId', 'decision', 'reviewer', 'reviewedAt', 'correctedVerdict', 'correctedEvaluation', 'verdictChanged'],
} as const;

function inside(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

export async function startRestServer(station: Station, cfg: RestConfig, log: (l: string) => void = () => {}, dataDir?: string): Promise<RestChannel> {
  const token = process.env[cfg.token_env];
  if (!token || token.length < 16) {
    throw new InspectorError('STATION_REST_NO_TOKEN', `REST needs a bearer token of at least 16 characters in the environment variable ${cfg.token_env}.`, { env: cfg.token_env });
  }
  const id = station.config.station.id;
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  await app.register(swagger, {
    openapi: {
      info: { title: `Inspector station ${id}`, version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const fail = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ code, message });
  const maxBytes = Math.round(cfg.upload_max_mb * 1024 * 1024);
  const uploadWatch = station.config.watch[0]!;
  // Uploads: the station's own spool in its data folder (none without one: uploads are then refused).
  const spool = dataDir ? new Spool(join(dataDir, 'spool', id), uploadWatch, maxBytes) : null;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 32, fields: 16, fieldSize: 1024, parts: 48 }, throwFileSizeLimit: false });
  app.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
  app.setErrorHandler((e: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 413, 'STATION_UPLOAD_TOO_LARGE', `The upload is larger than ${maxBytes} bytes (rest.upload_max_mb).`);
    if (e.statusCode === 415) return fail(reply, 415, 'STATION_UNSUPPORTED_MEDIA_TYPE', `${e.message}; send JSON {paths}, multipart/form-data, or one of ${RAW_TYPES.join(', ')}.`);
    if (e.statusCode && e.statusCode < 500) return fail(reply, e.statusCode, e.code ?? 'STATION_BAD_REQUEST', e.message);
    log(`rest: ${e.message}`);
    return fail(reply, 500, 'STATION_REST_FAILED', e.message);
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url === '/health') return;
    const h = req.headers.authorization ?? '';
    const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return fail(reply, 401, 'STATION_REST_UNAUTHORIZED', 'A valid bearer token is required.');
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/health',
    { schema: { security: [], response: { 200: { type: 'object', additionalProperties: true } } } },
    async () => ({ station: id, line: station.config.station.line, ...station.status() }),
  );

  app.get<{ Params: { id: string } }>(
    '/inspections/:id',
    { schema: { params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, response: { 200: resultBody, 404: errorBody } } },
    async (req, reply) => {
      const r = station.ledger.result(req.params.id);
      return r ?? fail(reply, 404, 'STATION_RESULT_NOT_FOUND', `No result ${req.params.id}.`);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/inspections/:id/corrections',
    {
      schema: {
        description: "The corrections published for a result, oldest first: each reviewer's decision and the case verdict it leaves (the last one is the case's current verdict). Empty when nobody reviewed it.",
        params: { type: 'object', properties: { id: { type: 'string', description: 'resultId (or caseUid)' } }, required: ['id'] },
        response: {
          200: {
            type: 'object',
            properties: {
              resultId: str,
              originalVerdict: { type: 'string', enum: verdictEnum, description: 'The published verdict (never rewritten)' },
              currentVerdict: { type: 'string', enum: verdictEnum, description: 'The last correction\'s correctedVerdict; the published verdict when there is none' },
              corrections: { type: 'array', items: correctionBody },
            },
            required: ['resultId', 'originalVerdict', 'currentVerdict', 'corrections'],
          },
          404: errorBody,
        },
      },
    },
    async (req, reply) => {
      const r = station.ledger.result(req.params.id);
      if (!r) return fail(reply, 404, 'STATION_RESULT_NOT_FOUND', `No result ${req.params.id}.`);
      const corrections = station.corrections(r);
      return { resultId: r.resultId, originalVerdict: r.verdict, currentVerdict: corrections.at(-1)?.correctedVerdict ?? r.verdict, corrections };
    },
  );

  app.get<{ Querystring: { since?: string; limit?: number } }>(
    '/cases',
    {
      schema: {
        querystring: { type: 'object', properties: { since: { type: 'string', description: 'ISO time or epoch ms' }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        response: { 200: { type: 'object', properties: { cases: { type: 'array', items: resultBody } } }, 400: errorBody },
      },
    },
    async (req, reply) => {
      const s = req.query.since;
      const since = s === undefined ? 0 : /^\d+$/.test(s) ? Number(s) : Date.parse(s);
      if (!Number.isFinite(since)) return fail(reply, 400, 'STATION_BAD_SINCE', `since must be an ISO time or epoch ms; got "${s}".`);
      return { cases: station.ledger.since(id, since, req.query.limit ?? 100) };
    },
  );

  // A case's explanation, published after its result (docs/STATION.md, "Explanation message"): the
  // same message as on MQTT, rebuilt from the audited records; 404 with a code until it exists.
  const explanationOf = (reply: FastifyReply, resultId: string) => {
    const r = station.ledger.result(resultId);
    if (!r) return { reply: fail(reply, 404, 'STATION_RESULT_NOT_FOUND', `No result ${resultId}.`) };
    const state = explanationState(station.ledger.store, r);
    if (state === 'pending') return { reply: fail(reply.header('retry-after', '1'), 404, 'STATION_EXPLANATION_PENDING', `The explanation of result ${resultId} is not recorded yet; it is published on MQTT when it is.`) };
    if (state === 'none') return { reply: fail(reply, 404, 'STATION_EXPLANATION_NONE', `Result ${resultId} has no explanation map (no deciding pack draws one, or the station draws it with the decision).`) };
    return { r };
  };
  const explanationParams = { type: 'object', properties: { id: { type: 'string', description: 'resultId (or caseUid)' } }, required: ['id'] } as const;

  app.get<{ Params: { id: string } }>(
    '/inspections/:id/explanation',
    {
      schema: {
        description: 'The explanation of a published result: method, explained class, regions (boxes in source-image pixels with their share of the map) and each map\'s SHA-256, as published on <topic>/explanation.',
        params: explanationParams,
        response: { 200: { type: 'object', additionalProperties: true, description: 'StationExplanation (docs/STATION.md)' }, 404: errorBody },
      },
    },
    async (req, reply) => {
      const e = explanationOf(reply, req.params.id);
      return e.r ? buildExplanation(station.ledger.store, e.r) : e.reply;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { runId?: number } }>(
    '/inspections/:id/explanation/map.png',
    {
      schema: {
        description: "One recorded map as an 8-bit greyscale PNG on the source image's grid (0 = the scale's low, 255 = its high). X-Map-SHA256 names the raw map it was drawn from.",
        params: explanationParams,
        querystring: { type: 'object', properties: { runId: { type: 'integer', minimum: 1, description: 'The run whose map (needed when the case has several)' } } },
        response: { 200: { type: 'string', format: 'binary', description: 'image/png' }, 400: errorBody, 404: errorBody },
      },
    },
    async (req, reply) => {
      const e = explanationOf(reply, req.params.id);
      if (!e.r) return e.reply;
      const msg = buildExplanation(station.ledger.store, e.r)!;
      const runId = req.query.runId ?? (msg.maps.length === 1 ? msg.maps[0]!.runId : undefined);
      if (runId === undefined) return fail(reply, 400, 'STATION_EXPLANATION_RUN_REQUIRED', `Result ${e.r.resultId} has ${msg.maps.length} maps: give ?runId= (${msg.runIds.join(', ')}).`);
      try {
        const { png, sha256 } = await explanationPng(station.ledger.store, e.r, runId);
        return reply.header('content-type', 'image/png').header('x-map-sha256', sha256).send(png);
      } catch (err) {
        const info = toErrorInfo(err);
        return fail(reply, info.code === 'STATION_EXPLANATION_NOT_FOUND' ? 404 : 500, info.code, info.message);
      }
    },
  );

  const inflight = new Map<string, Promise<StationResult>>();

  /** An upload: spooled, then the same idempotency and exactly-once rules as a path request. */
  const inspectUpload = async (req: FastifyRequest, reply: FastifyReply, key: string | undefined, contentType: string) => {
    if (!spool) return fail(reply, 501, 'STATION_UPLOAD_UNAVAILABLE', 'This station has no data folder for uploads.');
    let spooled: SpooledCase;
    try {
      if (contentType === 'multipart/form-data') {
        const fields: Record<string, string> = {};
        const parts = (async function* (): AsyncGenerator<UploadPart> {
          for await (const p of req.parts()) {
            if (p.type === 'file') yield { view: p.fieldname, filename: p.filename, mimetype: p.mimetype, stream: p.file, truncated: () => p.file.truncated };
            else fields[p.fieldname] = String(p.value);
          }
        })();
        spooled = await spool.receive(parts, () => fields);
      } else {
        const q = req.query as Record<string, string | undefined>;
        const view = q['view'] ?? (uploadWatch.views.length === 1 ? uploadWatch.views[0] : undefined);
        if (!view) return fail(reply, 400, 'STATION_UPLOAD_INVALID', `A raw upload needs ?view= (one of ${uploadWatch.views.join(', ')}).`);
        const fields: Record<string, string> = {};
        for (const [k, v] of Object.entries(q)) if (v !== undefined && k !== 'view' && k !== 'ext') fields[k] = v;
        spooled = await spool.receive([{ view, mimetype: contentType, stream: Readable.from([req.body as Buffer]) }], () => fields, contentType === 'application/octet-stream' ? q['ext'] : undefined);
      }
    } catch (e) {
      const info = toErrorInfo(e);
      return fail(reply, info.code === 'STATION_UPLOAD_TOO_LARGE' ? 413 : 400, info.code, info.message);
    }
    if (key) {
      const seen = station.ledger.request(key);
      if (seen && seen.requestHash !== spooled.requestHash) {
        spooled.discard();
        return fail(reply, 409, 'STATION_IDEMPOTENCY_MISMATCH', `Idempotency-Key ${key} was used with another request.`);
      }
      const done = seen?.caseUid ? station.ledger.result(seen.caseUid) : null;
      const running = inflight.get(key);
      if (done || running) {
        spooled.discard();
        return done ?? running;
      }
    }
    // The same images for the same serial were inspected already (another key, or none): that result.
    const existing = station.ledger.result(caseUid(id, spooled.serial, spooled.files));
    if (existing) {
      spooled.discard();
      if (key) station.ledger.saveRequest(key, spooled.requestHash, existing.caseUid);
      return existing;
    }
    if (key) station.ledger.saveRequest(key, spooled.requestHash, null);
    const p = station.submitFiles(spooled.serial, spooled.files, { ...uploadWatch, dir: spooled.dir }, 'rest', spooled.lot);
    if (key) inflight.set(key, p);
    try {
      const r = await p;
      if (key) station.ledger.saveRequest(key, spooled.requestHash, r.caseUid);
      return r;
    } finally {
      if (key) inflight.delete(key);
      try {
        rmdirSync(spooled.dir); // empty once `after` moved or deleted the files; kept otherwise
      } catch {
        /* not empty: after: keep */
      }
    }
  };

  app.post<{ Body: { paths: string[]; serial?: string }; Headers: { 'idempotency-key'?: string }; Querystring: Record<string, string> }>(
    '/inspections',
    {
      schema: {
        description:
          'Inspect a case. Body: JSON {paths} of files inside a watched folder; or multipart/form-data with one file part per view (the part name is the view) and fields serial, lot; ' +
          `or one image as the raw body (${RAW_TYPES.join(', ')}) with ?serial=&view=. Uploads are size-limited (rest.upload_max_mb) and spooled in the station's data folder.`,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } } },
        querystring: {
          type: 'object',
          properties: { serial: { type: 'string' }, lot: { type: 'string' }, view: { type: 'string' }, ext: { type: 'string' } },
          description: 'Raw image uploads only: the serial, lot and view of the image in the body (ext for application/octet-stream).',
        },
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['paths'],
                properties: { paths: { type: 'array', minItems: 1, maxItems: 32, items: { type: 'string', minLength: 1 } }, serial: { type: 'string', minLength: 1 } },
              },
            },
          },
        },
        response: { 200: resultBody, 400: errorBody, 403: errorBody, 409: errorBody, 413: errorBody },
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/json') return inspectUpload(req, reply, key, contentType);
      const bodyHash = createHash('sha256').update(JSON.stringify(req.body)).digest('hex');
      if (key) {
        const seen = station.ledger.request(key);
        if (seen && seen.requestHash !== bodyHash) return fail(reply, 409, 'STATION_IDEMPOTENCY_MISMATCH', `Idempotency-Key ${key} was used with another request.`);
        if (seen?.caseUid) {
          const r = station.ledger.result(seen.caseUid);
          if (r) return r;
        }
        const running = inflight.get(key);
        if (running) return running;
      }
      let files: CaseFile[];
      let watch: WatchConfig;
      let serial: string;
      try {
        ({ files, watch, serial } = resolveFiles(station, req.body.paths, req.body.serial));
      } catch (e) {
        const info = toErrorInfo(e);
        return fail(reply, info.code === 'STATION_PATH_NOT_ALLOWED' ? 403 : 400, info.code, info.message);
      }
      if (key) station.ledger.saveRequest(key, bodyHash, null);
      const p = station.submitFiles(serial, files, watch, 'rest');
      if (key) inflight.set(key, p);
      try {
        const r = await p;
        if (key) station.ledger.saveRequest(key, bodyHash, r.caseUid);
        return r;
      } finally {
        if (key) inflight.delete(key);
      }
    },
  );

  await app.listen({ port: cfg.port, host: cfg.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const url = `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`;
  log(`rest: listening on ${url} (bearer token from $${cfg.token_env})`);
  return { url, close: () => app.close() };
}

/** Paths → case files: each inside a watched folder (realpath-checked) and named by its pattern. */
function resolveFiles(station: Station, paths: string[], serialGiven?: string): { files: CaseFile[]; watch: WatchConfig; serial: string } {
  let watch: WatchConfig | undefined;
  let serial = serialGiven;
  const files: CaseFile[] = [];
  for (const p of paths) {
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      throw new InspectorError('FILE_NOT_FOUND', `No such file: ${p}`);
    }
    const w = station.config.watch.find((x) => inside(safeReal(x.dir), real));
    if (!w) throw new InspectorError('STATION_PATH_NOT_ALLOWED', `${p} is not inside a watched folder of this station.`);
    if (watch && w !== watch) throw new InspectorError('STATION_PATHS_MIXED', 'All files of one inspection must be in the same watched folder.');
    watch = w;
    const m = patternRegex(w.pattern).exec(basename(real));
    const view = m?.groups?.['view'];
    if (!view || !w.views.includes(view)) throw new InspectorError('STATION_VIEW_UNKNOWN', `${basename(real)} does not name one of the views ${w.views.join(', ')} (${w.pattern}).`);
    serial ??= m!.groups!['serial'];
    const h = sha256File(real);
    if (!h) throw new InspectorError('FILE_NOT_FOUND', `Cannot read ${p}.`);
    files.push({ view, path: real, name: basename(real), sha256: h.sha256, size: h.size, lastWriteMs: statSync(real).mtimeMs });
  }
  if (!watch || !serial) throw new InspectorError('STATION_NO_SERIAL', 'No serial: give "serial" or use file names that carry it.');
  return { files, watch, serial };
}

function safeReal(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
