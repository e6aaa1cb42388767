/**
 * The Line room's IPC shapes: the live feed of the station service the desktop app runs (when
 * settings.yaml names a station config). `station.feed` answers a snapshot; the main side pushes
 * `station.event` messages, each validated against StationEvent before it is sent and again in
 * the page, so a malformed event can never reach the renderer's state.
 */
import { z } from 'zod';

export const StationConnection = z.object({
  channel: z.enum(['mqtt', 'opcua', 'rest']),
  /** off: not configured; connected/disconnected: MQTT's link to its broker; listening: a server channel is up. */
  state: z.enum(['off', 'connected', 'disconnected', 'listening']),
  /** Broker URL or endpoint URL. */
  url: z.string().nullable(),
  /** OPC UA: sessions open now. */
  clients: z.number().int().nonnegative().optional(),
  /** MQTT: messages in the outbox not yet acknowledged by the broker. */
  unsent: z.number().int().nonnegative().optional(),
});
export type StationConnection = z.infer<typeof StationConnection>;

export const StationFeedCorrection = z.object({
  reviewId: z.number().int(),
  runId: z.number().int(),
  view: z.string().nullable(),
  decision: z.string(),
  label: z.string().nullable(),
  reviewer: z.string(),
  reviewedAt: z.string(),
  /** The case verdict with the reviews so far (the correction message's `correctedVerdict`); absent from older hosts. */
  correctedVerdict: z.string().optional(),
  verdictChanged: z.boolean().optional(),
});
export type StationFeedCorrection = z.infer<typeof StationFeedCorrection>;

export const StationFeedCase = z.object({
  resultId: z.string(),
  caseUid: z.string(),
  serial: z.string(),
  partId: z.string(),
  lot: z.string().nullable(),
  verdict: z.string(),
  evaluation: z.string(),
  /** Anything but PASS: a reviewer should look (defects, UNCERTAIN, INCOMPLETE). */
  flagged: z.boolean(),
  trigger: z.string(),
  createdAt: z.string(),
  reasons: z.array(z.object({ code: z.string(), message: z.string() })),
  images: z.array(
    z.object({
      view: z.string().nullable(),
      file: z.string(),
      runId: z.number().int().nullable(),
      decision: z.string(),
      label: z.string().nullable(),
      defectScore: z.number().nullable(),
      /** A grounding run beside the view's pack: shown, never overridden (it decides nothing). */
      role: z.literal('findings').optional(),
      error: z.string().optional(),
    }),
  ),
  corrections: z.array(StationFeedCorrection),
  /** The deciding packs' maps, recorded after the result: recorded, still to come, or none for this case. */
  explanation: z.enum(['recorded', 'pending', 'none']).optional(),
});
export type StationFeedCase = z.infer<typeof StationFeedCase>;

export const StationFeed = z.object({
  /** settings.yaml names a station config (`inspector settings set station.config FILE`). */
  configured: z.boolean(),
  config: z.string().nullable(),
  /** Starting, running, stopped, or failed (then `error` says why). */
  service: z.enum(['off', 'starting', 'running', 'failed', 'stopped']),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  station: z.object({ id: z.string(), line: z.string() }).nullable(),
  /** The station's own state (Ready / Busy / …) and, when modelled, the OPC 40100 state machine state. */
  state: z.string(),
  /** OPC 40100 VisionStateMachine / AutomaticModeStateMachine (e.g. "Operational/ContinuousExecution", "Halted"); null without OPC UA. */
  vision: z.string().nullable().optional(),
  queueDepth: z.number().int().nonnegative(),
  queueMax: z.number().int().nonnegative(),
  pendingCases: z.number().int().nonnegative(),
  processed: z.number().int().nonnegative(),
  connections: z.array(StationConnection),
  /** The last cases, newest first (the room sorts flagged ones first). */
  cases: z.array(StationFeedCase),
  /** Increases with every change; events carry it so the page can tell a stale snapshot. */
  seq: z.number().int().nonnegative(),
});
export type StationFeed = z.infer<typeof StationFeed>;

/** A case's explanation message (core/station/explanation.ts), the fields the Line room shows. */
export const StationExplanationMap = z.object({
  recordId: z.number().int(),
  runId: z.number().int(),
  view: z.string().nullable(),
  file: z.string(),
  method: z.string(),
  explainedClass: z.string().nullable(),
  image: z.object({ width: z.number(), height: z.number() }),
  map: z.object({ sha256: z.string().nullable(), width: z.number(), height: z.number(), valid: z.boolean() }),
  regions: z.array(z.object({ box: z.tuple([z.number(), z.number(), z.number(), z.number()]), label: z.string(), peak: z.number().nullable(), share: z.number() })),
  recordedAt: z.string(),
});
export const StationExplanationView = z.object({
  state: z.enum(['recorded', 'pending', 'none']),
  resultId: z.string(),
  /** Present once recorded. */
  maps: z.array(StationExplanationMap),
  afterResultMs: z.number().nullable(),
});
export type StationExplanationView = z.infer<typeof StationExplanationView>;
/** A station case's run, named by result and run id (never a path): the host resolves and checks the file. */
export const StationRunRef = z.object({ resultId: z.string().min(1).max(100), runId: z.number().int().positive() }).strict();

/**
 * What an operator may do to the app's station from the Line room (role operator, supervisor or
 * admin; each action audited): start / stop the service, Halt / Reset its OPC 40100 state machine.
 */
export const StationControl = z.object({ action: z.enum(['start', 'stop', 'halt', 'reset']) }).strict();
export type StationControl = z.infer<typeof StationControl>;

export const StationEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('case'), seq: z.number().int(), case: StationFeedCase }),
  z.object({ type: z.literal('correction'), seq: z.number().int(), resultId: z.string(), correction: StationFeedCorrection }),
  z.object({
    type: z.literal('status'),
    seq: z.number().int(),
    service: StationFeed.shape.service,
    error: StationFeed.shape.error,
    state: z.string(),
    vision: z.string().nullable().optional(),
    queueDepth: z.number().int().nonnegative(),
    pendingCases: z.number().int().nonnegative(),
    processed: z.number().int().nonnegative(),
    connections: z.array(StationConnection),
  }),
]);
export type StationEvent = z.infer<typeof StationEvent>;

/** Events main pushes to the page: name → payload schema. */
export const events = { 'station.event': StationEvent } as const;
export type EventName = keyof typeof events;
