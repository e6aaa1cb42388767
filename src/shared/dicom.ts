/** IPC schemas of the DICOM node's worklist room and the viewer's tag browser. */
import { z } from 'zod';

const ErrorInfo = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });

export const AiStatus = z.enum(['not-run', 'running', 'findings', 'no-findings', 'failed']);

/** What identifies a study to a radiographer, as the inbox and a PACS's C-FIND both give it. */
export const StudyIdentity = z.object({
  studyInstanceUid: z.string(),
  patientId: z.string(),
  patientName: z.string(),
  studyDate: z.string(),
  accessionNumber: z.string(),
  description: z.string(),
  modalities: z.array(z.string()),
});
export type StudyIdentity = z.infer<typeof StudyIdentity>;

export const WorklistStudy = StudyIdentity.extend({
  series: z.number().int(),
  instances: z.number().int(),
  from: z.array(z.string()),
  aiStatus: AiStatus,
  nodeStatus: z.enum(['received', 'inspecting', 'inspected', 'no-rule', 'failed']),
  errorCode: z.string().nullable(),
  batchId: z.number().nullable(),
  runIds: z.array(z.number()),
  folder: z.string(),
  updatedAt: z.number(),
  outbox: z.object({
    pending: z.number().int(),
    sent: z.number().int(),
    failed: z.number().int(),
    lastErrorCode: z.string().nullable(),
    nextAttemptAt: z.number().nullable(),
  }),
});
export type WorklistStudy = z.infer<typeof WorklistStudy>;

/** The app's listener: off (no `dicom.config` in settings.yaml), starting, listening or failed (with the coded error). */
export const DicomNodeState = z.object({
  state: z.enum(['off', 'starting', 'listening', 'failed']),
  aeTitle: z.string().optional(),
  bind: z.string().optional(),
  port: z.number().int().optional(),
  config: z.string().optional(),
  inbox: z.string().optional(),
  error: ErrorInfo.optional(),
  events: z.array(z.looseObject({ event: z.string() })),
});

export const Worklist = z.object({ node: DicomNodeState, studies: z.array(WorklistStudy) });

export const StudyUidInput = z.object({ studyInstanceUid: z.string().regex(/^[0-9.]{1,64}$/) }).strict();
/** The study's image series folders in the inbox, now granted: the renderer opens each as a folder of cases. */
export const OpenedStudy = z.object({
  folder: z.string(),
  series: z.array(z.object({ seriesInstanceUid: z.string(), modality: z.string(), folder: z.string(), instances: z.number().int() })),
  study: WorklistStudy,
  /** The study's auto-inspection runs and the file each inspected: those cases open with their results. */
  runs: z.array(z.object({ runId: z.number().int(), path: z.string() })),
});

export const TagRows = z.object({
  rows: z.array(z.object({ tag: z.string(), vr: z.string(), name: z.string(), value: z.string(), private: z.boolean(), depth: z.number().int() })),
  truncated: z.boolean(),
});

/** The worklist's PACS search: at least one key (the host refuses an open query, DICOM_QUERY_EMPTY). */
const Key = z
  .string()
  .max(64)
  .refine((v) => ![...v].some((c) => c === '\\' || c.charCodeAt(0) < 0x20), 'no backslash or control characters');
export const StudyQueryInput = z
  .object({
    patientId: Key.optional(),
    patientName: Key.optional(),
    studyDate: z.string().regex(/^(\d{8})?(-(\d{8})?)?$/, 'YYYYMMDD or YYYYMMDD-YYYYMMDD').optional(),
    modality: z.string().regex(/^[A-Z]{0,16}$/).optional(),
    accessionNumber: Key.optional(),
  })
  .strict();
export const StudyMatch = StudyIdentity.extend({ instances: z.number().nullable() });
export const StudyMatches = z.object({ matches: z.array(StudyMatch) });
export const Retrieved = z.object({ method: z.enum(['get', 'move', 'wado']), expected: z.number().nullable(), arrived: z.number().int() });
/** cancelled: false when no retrieve of that study was running (it had ended already). */
export const RetrieveCancel = z.object({ cancelled: z.boolean() });
