/**
 * `inspector://app/…` serves the built renderer and, under `/media/<id>`, the bytes the host
 * published (frames, heatmaps). UI and media share one origin so konva can read its canvas back.
 * Paths are resolved inside the renderer folder only; anything else is a 404.
 */
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { MediaStore } from '../host/media';

export const APP_SCHEME = 'inspector';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** Matches index.html's meta CSP; sent as a header too because headers also cover frame-ancestors. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Must run before `app.whenReady()`. */
export function registerSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

export function handleAppProtocol(rendererDir: string, media: MediaStore): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return new Response('not found', { status: 404 });
    const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' };
    if (url.pathname.startsWith('/media/')) {
      const entry = media.get(url.pathname.slice('/media/'.length));
      if (!entry) return new Response('not found', { status: 404, headers });
      return new Response(Buffer.from(entry.bytes), { headers: { ...headers, 'content-type': entry.contentType } });
    }
    const rel = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname));
    const file = join(rendererDir, rel);
    if (!file.startsWith(rendererDir + sep)) return new Response('forbidden', { status: 403, headers });
    try {
      const body = await readFile(file);
      return new Response(body, { headers: { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' } });
    } catch {
      return new Response('not found', { status: 404, headers });
    }
  });
}
