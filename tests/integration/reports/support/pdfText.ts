/**
 * Text of a PDF as Poppler's `pdftotext` reads it (an independent parser, not the writer we test),
 * per page. Poppler comes from Debian (`poppler-utils`, installed by .ci/run): pdf.js from npm
 * would need @napi-rs/canvas platform packages the offline registry does not carry, which breaks
 * `npm ci`.
 */
import { spawnSync } from 'node:child_process';

export async function pdfText(bytes: Uint8Array): Promise<string[]> {
  const r = spawnSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: bytes, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.error) throw new Error(`pdftotext is needed to read PDF reports (apt-get install poppler-utils): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`pdftotext could not read the PDF: ${r.stderr.trim()}`);
  // Pages end with a form feed; the last one is followed by nothing.
  const pages = r.stdout.split('\f');
  if (pages.at(-1)?.trim() === '') pages.pop();
  return pages;
}
