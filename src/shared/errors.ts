/**
 * Errors that cross process boundaries (worker → host → renderer) travel as plain data with a
 * stable `code`, so the UI and the CLI can name what went wrong instead of printing a stack.
 */
export interface ErrorInfo {
  /** Stable machine-readable code, e.g. `DICOM_TRUNCATED_PIXEL_DATA`. Never reworded. */
  code: string;
  /** One human sentence, English; the renderer may translate by code. */
  message: string;
  details?: Record<string, unknown>;
}

export class InspectorError extends Error implements ErrorInfo {
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'InspectorError';
    this.code = code;
    if (details) this.details = details;
  }

  toInfo(): ErrorInfo {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }

  static fromInfo(info: ErrorInfo): InspectorError {
    return new InspectorError(info.code, info.message, info.details);
  }
}

/** Anything thrown → ErrorInfo. Unknown errors keep their message under a generic code. */
export function toErrorInfo(err: unknown, fallbackCode = 'INTERNAL'): ErrorInfo {
  if (err instanceof InspectorError) return err.toInfo();
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const e = err as { code: unknown; message: unknown };
    if (typeof e.code === 'string' && typeof e.message === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.code)) {
      return { code: e.code, message: e.message };
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: fallbackCode, message };
}

/** The envelope every IPC/bridge call resolves with; the renderer's client unwraps it. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
