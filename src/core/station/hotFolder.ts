/**
 * A hot folder: the X-ray/CT or camera writes images into it; a file is handed on only once its
 * size and modification time have not changed for `settle_ms`, so a file still being written is
 * never read half. Polling (not fs.watch) because network shares and some writers never raise
 * change events, and a scan of one folder is cheap. Files stay where they are until the station
 * has recorded them; `pause()` (queue full) simply leaves new files on disk for a later scan.
 * The folder is listed by the shared walker (`core/files/walk.ts`), so a FIFO, a dangling link, a
 * link loop or a link out of the watched folder is reported once with its `WALK_*` code and left in
 * place, never opened and never stopping the scan of the good files beside it.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { walkFiles } from '../files/walk';
import { patternRegex } from '../verdict/cases';
import type { WatchConfig } from './config';

export interface ReadyFile {
  path: string;
  name: string;
  dir: string;
  serial: string;
  view: string;
  fields: Record<string, string>;
  size: number;
  /** The file's last write (mtime), epoch ms: where latency is measured from. */
  lastWriteMs: number;
  readyAt: number;
}

export interface RejectedFile {
  path: string;
  /** STATION_FILE_UNMATCHED, STATION_VIEW_UNKNOWN, or the walker's WALK_* code for an unusable entry. */
  code: string;
  message: string;
}

interface Seen {
  size: number;
  mtimeMs: number;
  stableSince: number;
  taken: boolean;
}

export class HotFolder {
  private readonly seen = new Map<string, Seen>();
  private readonly re: RegExp;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  /** Serials a trigger asked for: taken even while the folder is paused (OPC 40100 Ready + a single job). */
  private readonly allowed = new Set<string>();
  /** Files in the folder that are already handled (recorded or being processed); skipped by scans. */
  private readonly handled = new Set<string>();
  /** Unusable entries already reported: a poll every few ms must not report the same FIFO each time. */
  private readonly reportedSkips = new Set<string>();

  constructor(
    readonly watch: WatchConfig,
    private readonly onReady: (f: ReadyFile) => void,
    private readonly onRejected: (f: RejectedFile) => void = () => {},
    private readonly pollMs = Math.max(20, Math.min(100, Math.floor(watch.settle_ms / 4) || 20)),
  ) {
    this.re = patternRegex(watch.pattern);
  }

  start(): void {
    this.scan();
    this.timer = setInterval(() => this.scan(), this.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  pause(paused: boolean): void {
    this.paused = paused;
  }

  allow(serial: string, on: boolean): void {
    if (on) this.allowed.add(serial);
    else this.allowed.delete(serial);
  }

  /** The station is done with this file (recorded, moved or deleted): forget it once it is gone. */
  release(path: string): void {
    this.handled.delete(path);
  }

  markHandled(path: string): void {
    this.handled.add(path);
  }

  /** One pass over the folder; public so tests and the trigger can force a scan. */
  scan(now = Date.now()): void {
    let root: string;
    try {
      root = realpathSync(this.watch.dir);
    } catch {
      return; // a missing or unmounted folder is reported by the station's health, not thrown here
    }
    // Hidden and in-progress names are never taken; `<serial>.json` sidecars are read with their case.
    const { files, skipped } = walkFiles([this.watch.dir], {
      recursive: false,
      roots: [root],
      accept: (name) => !(name.endsWith('.tmp') || name.endsWith('.part') || name.endsWith('.json')),
    });
    const present = new Set<string>();
    for (const s of skipped) {
      if (s.path === this.watch.dir) continue;
      present.add(s.path);
      if (this.reportedSkips.has(s.path)) continue;
      this.reportedSkips.add(s.path);
      this.onRejected({ path: s.path, code: s.code, message: `${s.message} Left in place.` });
    }
    for (const path of files) {
      const name = basename(path);
      present.add(path);
      let st;
      try {
        st = statSync(path, { throwIfNoEntry: false });
      } catch {
        continue; // replaced between the walk and this stat: the next scan judges it again
      }
      if (!st || !st.isFile()) continue;
      const prev = this.seen.get(path);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        // New or still growing: (re)start its settle clock. A file rewritten after it was taken is a new file.
        this.seen.set(path, { size: st.size, mtimeMs: st.mtimeMs, stableSince: now, taken: false });
        if (prev?.taken) this.handled.delete(path);
        continue;
      }
      if (prev.taken || this.handled.has(path)) continue;
      const m = this.re.exec(name);
      const fields = m?.groups ? { ...m.groups } : undefined;
      if (this.paused && !(fields?.['serial'] && this.allowed.has(fields['serial']))) continue;
      if (now - prev.stableSince < this.watch.settle_ms) continue;
      prev.taken = true;
      if (!fields?.['serial'] || !fields['view']) {
        this.onRejected({ path, code: 'STATION_FILE_UNMATCHED', message: `${name} does not match the pattern ${this.watch.pattern}; left in place.` });
        continue;
      }
      if (!this.watch.views.includes(fields['view'])) {
        this.onRejected({ path, code: 'STATION_VIEW_UNKNOWN', message: `${name} has view "${fields['view']}", not one of ${this.watch.views.join(', ')}; left in place.` });
        continue;
      }
      this.handled.add(path);
      this.onReady({ path, name, dir: this.watch.dir, serial: fields['serial'], view: fields['view'], fields, size: st.size, lastWriteMs: st.mtimeMs, readyAt: now });
    }
    for (const p of this.seen.keys()) if (!present.has(p)) {
      this.seen.delete(p);
      this.handled.delete(p);
    }
    for (const p of this.reportedSkips) if (!present.has(p)) this.reportedSkips.delete(p);
  }
}
