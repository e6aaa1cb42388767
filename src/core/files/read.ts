/**
 * Reading a file the walker listed. The walk checked the entry on its real path, but the file can be
 * swapped (for a FIFO, or a link out of the grant) between the walk and the read, so the read checks
 * again on what it actually opened: the descriptor is opened non-blocking (a FIFO cannot hang the
 * open), must be a regular file, and — with `roots` — the real path of the name must still be inside
 * a root *and* be the very file the descriptor holds (same device and inode), so a swap made after
 * the check is caught too.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { InspectorError } from '../../shared/errors';
import { insideRoots } from './walk';

export async function readRegularFile(path: string, roots?: readonly string[]): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InspectorError('WALK_NOT_REGULAR', `${path} is not a regular file (a FIFO, socket, device or folder); it was not read.`, { path });
    if (roots) {
      const real = await realpath(path);
      const now = await stat(real);
      if (!insideRoots(real, roots) || now.dev !== st.dev || now.ino !== st.ino) {
        throw new InspectorError('WALK_OUTSIDE_ROOT', `${path} now leads outside the folders you chose; it was not read.`, { path });
      }
    }
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
