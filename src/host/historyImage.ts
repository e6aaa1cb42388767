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

export async function recordedImage(history: HistoryAccess, runId: number): Promise<{ path: string; sha256Matches: boolean }> {
  const { image } = getRun(history.get().db, runId);
  let bytes: Buffer;
  try {
    bytes = await readFile(image.sourcePath);
  } catch (e) {
    throw new InspectorError('HISTORY_IMAGE_MISSING', `The image recorded for run ${runId} cannot be read any more: ${image.sourcePath}.`, {
      runId,
      path: image.sourcePath,
      reason: (e as NodeJS.ErrnoException).code ?? String(e),
    });
  }
  return { path: image.sourcePath, sha256Matches: createHash('sha256').update(bytes).digest('hex') === image.sha256 };
}
