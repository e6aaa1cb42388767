/**
 * WADO-RS retrieval as the response streams in, against a real HTTP server (node:http) serving
 * real CT slices as multipart/related and then stopping in the middle of the second slice: a
 * cancel then ends the call DICOM_CANCELLED with `arrived: 1`, a connection cut there is
 * DICOM_NETWORK_ERROR, a response that ends there is DICOMWEB_BAD_RESPONSE — each time the first
 * slice is in the inbox and recorded, byte-identical, and no piece of the second is anywhere.
 * (The host-level cancel against Orthanc is tests/integration/host/dicom-retrieve-cancel-wado.test.ts.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { wadoStudy } from '../../../src/core/dicomnet/dicomweb';
import type { ReceivedInstance } from '../../../src/core/dicomnet/records';
import { hasShared, sharedData } from '../../support/paths';

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const walk = (p: string): string[] => readdirSync(p, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(p, d.name)) : [join(p, d.name)]));
const BOUNDARY = 'wado-test-boundary';
const head = `--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`;

type Ending = 'stall' | 'destroy' | 'end';

describe.skipIf(!hasShared)('wadoStudy streams: a cancel or a cut mid-part keeps the whole instances only (real HTTP server)', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-wado-stream-'));
  const [first, second] = [readFileSync(join(SERIES, '01.dcm')), readFileSync(join(SERIES, '02.dcm'))];
  let server: http.Server | undefined;
  let n = 0;

  /** Serves slice 1 whole and half of slice 2, then does `ending`; resolves once that half is written. */
  async function serve(ending: Ending): Promise<{ url: string; halfSent: Promise<void> }> {
    let sent: () => void;
    const halfSent = new Promise<void>((r) => (sent = r));
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` });
      res.write(Buffer.concat([Buffer.from(head), first, Buffer.from(`\r\n${head}`), second.subarray(0, second.length >> 1)]), () => {
        sent();
        if (ending === 'destroy') res.destroy();
        if (ending === 'end') res.end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/dicom-web`, halfSent };
  }

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  async function retrieve(ending: Ending): Promise<{ err: { code: string; details: Record<string, unknown> }; recorded: ReceivedInstance[]; inbox: string }> {
    const { url, halfSent } = await serve(ending);
    const inbox = join(tmp, `inbox-${++n}`);
    const recorded: ReceivedInstance[] = [];
    const ctl = new AbortController();
    const running = wadoStudy(url, '1.2.3', inbox, (r) => recorded.push(r), { timeoutSeconds: 20, signal: ctl.signal });
    if (ending === 'stall') {
      await halfSent;
      // Let the half part reach the parser, then cancel while the download waits for the rest.
      await new Promise((r) => setTimeout(r, 200));
      expect(recorded).toHaveLength(1);
      ctl.abort();
    }
    const err = (await running.then(
      () => null,
      (e: unknown) => e,
    )) as { code: string; details: Record<string, unknown> };
    return { err, recorded, inbox };
  }

  function onlyTheFirst(recorded: ReceivedInstance[], inbox: string): void {
    expect(recorded).toHaveLength(1);
    const files = walk(inbox);
    expect(files).toEqual([recorded[0]!.path]);
    expect(readFileSync(files[0]!).equals(first)).toBe(true);
  }

  it('cancelled mid-part: DICOM_CANCELLED, arrived 1, only slice 1 in the inbox', async () => {
    const { err, recorded, inbox } = await retrieve('stall');
    expect(err).toMatchObject({ code: 'DICOM_CANCELLED', details: { arrived: 1 } });
    onlyTheFirst(recorded, inbox);
  });

  it('connection cut mid-part: DICOM_NETWORK_ERROR, arrived 1, only slice 1 in the inbox', async () => {
    const { err, recorded, inbox } = await retrieve('destroy');
    expect(err).toMatchObject({ code: 'DICOM_NETWORK_ERROR', details: { arrived: 1 } });
    onlyTheFirst(recorded, inbox);
  });

  it('response ended mid-part: DICOMWEB_BAD_RESPONSE, arrived 1, only slice 1 in the inbox', async () => {
    const { err, recorded, inbox } = await retrieve('end');
    expect(err).toMatchObject({ code: 'DICOMWEB_BAD_RESPONSE', details: { arrived: 1 } });
    onlyTheFirst(recorded, inbox);
  });

  it('cancelled after the whole response came but before every part was stored: DICOM_CANCELLED, never a partial success', async () => {
    // The whole (two-slice) study in one write; the cancel lands while slice 1 is being recorded,
    // i.e. after the closing delimiter may already be parsed but before slice 2 is written.
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` });
      res.end(Buffer.concat([Buffer.from(head), first, Buffer.from(`\r\n${head}`), second, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
    const inbox = join(tmp, 'inbox-late');
    const recorded: ReceivedInstance[] = [];
    const ctl = new AbortController();
    const err = await wadoStudy(url, '1.2.3', inbox, (r) => {
      recorded.push(r);
      ctl.abort();
    }, { timeoutSeconds: 20, signal: ctl.signal }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'DICOM_CANCELLED', details: { arrived: 1 } });
    onlyTheFirst(recorded, inbox);
  });

  it('a signal already aborted: DICOM_CANCELLED before anything is stored', async () => {
    const { url } = await serve('end');
    const inbox = join(tmp, 'inbox-pre');
    await expect(wadoStudy(url, '1.2.3', inbox, () => undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'DICOM_CANCELLED' });
    expect(() => readdirSync(inbox)).toThrow();
  });
});
