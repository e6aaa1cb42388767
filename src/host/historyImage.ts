/**
 * Reopening a recorded run's image in the viewer. The path comes from the database the host wrote,
 * never from the renderer, so history needs no folder grant; the file is re-hashed so the viewer
 * can say when the image on disk is no longer the one the model saw.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getRun } from '../core/history/index';
import { InspectorError } from '../shared/errors';
import type { HistoryAccess } from './history';

export async function recordedImage(
  history: HistoryAccess,
  runId: number,
  /** The grant check (real path in, real path out); without one (CLI) any recorded path is read. */
  check: (path: string) => string = (p) => p,
): Promise<{ path: string; sha256Matches: boolean }> {
  const { image } = getRun(history.get().db, runId);
  let bytes: Buffer;
  let path: string;
  try {
    path = check(image.sourcePath);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ACCESS_DENIED') throw withRun(e, runId, image.sourcePath);
    throw new InspectorError('ACCESS_DENIED', `The image recorded for run ${runId} (${image.sourcePath}) is not inside a folder you chose in this session; open its folder again to view it.`, {
      runId,
      path: image.sourcePath,
    });
  }
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InspectorError('HISTORY_IMAGE_MISSING', `The image recorded for run ${runId} cannot be read any more: ${image.sourcePath}.`, {
      runId,
      path: image.sourcePath,
      reason: (e as NodeJS.ErrnoException).code ?? String(e),
    });
  }
  return { path, sha256Matches: createHash('sha256').update(bytes).digest('hex') === image.sha256 };
}

/** A missing recorded file keeps its history-specific code. */
function withRun(e: unknown, runId: number, path: string): InspectorError {
  if ((e as { code?: string }).code === 'FILE_NOT_FOUND') {
    return new InspectorError('HISTORY_IMAGE_MISSING', `The image recorded for run ${runId} cannot be read any more: ${path}.`, { runId, path, reason: 'ENOENT' });
  }
  return e instanceof InspectorError ? e : new InspectorError('INTERNAL', String(e));
}
