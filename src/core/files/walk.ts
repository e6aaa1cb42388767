/**
 * The one folder walker (probe, inspect, batch, series, station). A folder handed to Inspector may
 * hold anything — FIFOs that block a reader forever, dangling links, link loops, links out of the
 * folder the user granted — so the walk only *stats*, never opens, and every entry that cannot be
 * used is reported with a code while the rest proceed:
 * - only regular files are returned; FIFOs, sockets and devices are skipped (`WALK_NOT_REGULAR`);
 * - a link is resolved once, to its real path (realpath), and the entry is judged by that: a
 *   dangling link is `WALK_LINK_DANGLING`, a loop `WALK_LINK_LOOP`;
 * - each folder is entered at most once (dev+ino), so `a -> .` cycles end (`WALK_LINK_LOOP`);
 * - with `roots`, an entry whose real path leaves every root is skipped (`WALK_OUTSIDE_ROOT`):
 *   a grant covers the folder's real contents, not what its links point to.
 * Returned paths are as named (a folder's path joined with entry names) so case ids and reports read
 * as the user wrote them; each was checked on its real path.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';

export interface WalkSkip {
  path: string;
  code: string;
  message: string;
}

export interface WalkResult {
  files: string[];
  skipped: WalkSkip[];
}

export interface WalkOptions {
  /** Descend into sub-folders (default true); false lists one folder level only. */
  recursive?: boolean;
  /** Real paths the walk must stay inside; entries resolving elsewhere are skipped. */
  roots?: readonly string[];
  /** Filter on a file's name inside a folder (files named directly are always kept); see onRejected. */
  accept?: (name: string) => boolean;
  /** Called for each folder entry (not a folder) that `accept` turned down, e.g. to list it as not an image. */
  onRejected?: (path: string, name: string) => void;
  /** Hidden entries (dot names) are skipped silently unless true. */
  includeHidden?: boolean;
  /** Sort order of names within a folder (default: code-unit order). */
  compare?: (a: string, b: string) => number;
}

export function insideRoots(real: string, roots: readonly string[]): boolean {
  return roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep));
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

export function walkFiles(paths: readonly string[], options: WalkOptions = {}): WalkResult {
  const recursive = options.recursive ?? true;
  const files: string[] = [];
  const skipped: WalkSkip[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const skip = (path: string, code: string, message: string) => skipped.push({ path, code, message });

  /**
   * `parentReal` is the real path of the folder an entry was listed from: an entry that is not a
   * link then has the real path parent + name, from one lstat. Only links (and the paths named at
   * the top) are resolved with realpath — resolving every entry made a 1,000-folder-deep tree
   * quadratic (each realpath re-walks every component: > 15 s).
   */
  const visit = (path: string, top: boolean, parentReal?: string) => {
    let real: string;
    let st: Stats;
    try {
      const lst = parentReal === undefined ? undefined : lstatSync(path);
      if (lst && !lst.isSymbolicLink()) {
        real = join(parentReal!, basename(path));
        st = lst;
      } else {
        real = realpathSync.native(path);
        st = statSync(real);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      let isLink = false;
      try {
        isLink = lstatSync(path).isSymbolicLink();
      } catch {
        /* missing altogether */
      }
      if (code === 'ELOOP') return skip(path, 'WALK_LINK_LOOP', `${path} is a link that loops back on itself.`);
      if (code === 'ENOENT' && isLink) return skip(path, 'WALK_LINK_DANGLING', `${path} is a link to something that does not exist.`);
      if (code === 'ENOENT') return skip(path, 'FILE_NOT_FOUND', `No such file or folder: ${path}`);
      if (code === 'ENAMETOOLONG') return skip(path, 'WALK_PATH_TOO_LONG', `${path.slice(0, 120)}… is nested too deep: its path is longer than the system allows.`);
      if (code === 'EACCES' || code === 'EPERM') return skip(path, 'WALK_UNREADABLE', `${path} cannot be read (permission denied).`);
      return skip(path, 'WALK_UNREADABLE', `${path} cannot be read (${code ?? String(e)}).`);
    }
    if (options.roots && !insideRoots(real, options.roots)) {
      return skip(path, 'WALK_OUTSIDE_ROOT', `${path} leads outside the folders you chose; it was not opened.`);
    }
    if (st.isDirectory()) {
      if (!top && !recursive) return;
      const id = `${st.dev}:${st.ino}`;
      if (seenDirs.has(id)) return skip(path, 'WALK_LINK_LOOP', `${path} leads back to a folder already walked; it was walked once.`);
      seenDirs.add(id);
      let names: string[];
      try {
        names = readdirSync(real);
      } catch (e) {
        return skip(path, 'WALK_UNREADABLE', `The folder ${path} cannot be listed (${(e as NodeJS.ErrnoException).code ?? String(e)}).`);
      }
      names.sort(options.compare);
      for (const name of names) {
        if (!options.includeHidden && name.startsWith('.')) continue;
        const child = join(path, name);
        // The name filter applies to files only (folders are always entered).
        if (options.accept && !options.accept(name)) {
          let dir = false;
          try {
            dir = statSync(child).isDirectory();
          } catch {
            /* judged below only if accepted */
          }
          if (!dir) {
            options.onRejected?.(child, name);
            continue;
          }
        }
        visit(child, false, real);
      }
      return;
    }
    if (!st.isFile()) return skip(path, 'WALK_NOT_REGULAR', `${path} is ${kindOf(st)}, not an image file; it was not opened.`);
    const id = `${st.dev}:${st.ino}:${real}`;
    if (seenFiles.has(id)) return;
    seenFiles.add(id);
    files.push(path);
  };

  for (const p of paths) visit(resolve(p), true);
  return { files, skipped };
}
