/**
 * Opaque ids → bytes the renderer may fetch (decoded frames, heatmaps, thumbnails). Electron's
 * `inspector://app/media/<id>` protocol handler and the test server both answer from here, so the
 * renderer never sees a file path and can only read what a handler chose to publish.
 */
import { randomUUID } from 'node:crypto';

export interface MediaEntry {
  contentType: string;
  bytes: Uint8Array;
}

const ID = /^[0-9a-f-]{36}$/;

export class MediaStore {
  private readonly entries = new Map<string, MediaEntry>();

  constructor(private readonly maxEntries = 512) {}

  publish(entry: MediaEntry): string {
    const id = randomUUID();
    this.entries.set(id, entry);
    // Oldest first out: the viewer re-requests what it still shows.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return id;
  }

  /** `id` comes from a URL the renderer built: anything but a known uuid is refused. */
  get(id: string): MediaEntry | undefined {
    return ID.test(id) ? this.entries.get(id) : undefined;
  }
}
