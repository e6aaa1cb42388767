/** IPC shapes of the Fleet room: the background sync's state and central statistics (docs/FLEET.md). */
import { z } from 'zod';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD');
const ErrorShape = z.object({ code: z.string(), message: z.string() });

export const FleetStatus = z.object({
  /** Null when settings.yaml names no fleet.central (or the sync could not start: see `error`). */
  sync: z
    .object({
      status: z.enum(['starting', 'sending', 'synced', 'offline', 'failed', 'stopped']),
      station: z.string(),
      central: z.string(),
      pending: z.number(),
      sentTotal: z.number(),
      lastSyncAt: z.number().nullable(),
      lastError: ErrorShape.nullable(),
    })
    .nullable(),
  /** Whether a read-only dashboard connection is configured (fleet.dashboard). */
  dashboard: z.boolean(),
  error: ErrorShape.optional(),
});
export type FleetStatus = z.infer<typeof FleetStatus>;

/** A station id as the sync writes it (core/fleet/sync.ts stationId). */
const StationId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
/** `stations`: the chosen set (none or empty: every station). */
export const FleetStatsInput = z.object({ from: Day.optional(), to: Day.optional(), stations: z.array(StationId).max(500).optional() }).strict();
export type FleetStatsInput = z.infer<typeof FleetStatsInput>;

export const FleetStatsResult = z.object({
  rows: z.array(
    z.object({
      day: z.string(),
      line: z.string().nullable(),
      station: z.string(),
      pack: z.string().nullable(),
      packVersion: z.string().nullable(),
      runs: z.number(),
      verdicts: z.record(z.string(), z.number()),
      errors: z.number(),
      errorRate: z.number().nullable(),
      reviewed: z.number(),
      agreed: z.number(),
      agreement: z.number().nullable(),
    }),
  ),
  drift: z.array(
    z.object({
      pack: z.string(),
      packVersion: z.string(),
      baselineFrom: z.string(),
      baselineTo: z.string(),
      baselineN: z.number(),
      windowN: z.number(),
      psi: z.number().nullable(),
      status: z.enum(['ok', 'drift', 'insufficient-data']),
    }),
  ),
  from: z.string().nullable(),
  to: z.string().nullable(),
  /** The chosen stations (empty: all), and every station central holds, to choose from. */
  chosen: z.array(z.string()),
  stations: z.array(z.string()),
  at: z.string(),
});
export type FleetStatsResult = z.infer<typeof FleetStatsResult>;

export const fleetContract = {
  /** The background sync's state (settings.yaml fleet.central) and whether a dashboard connection is set. */
  'fleet.status': { input: z.object({}).strict(), output: FleetStatus },
  /** Central statistics and drift for whole days, read through the read-only fleet.dashboard connection. */
  'fleet.stats': { input: FleetStatsInput, output: FleetStatsResult },
};
