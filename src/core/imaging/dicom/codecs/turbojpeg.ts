/**
 * Native libjpeg-turbo (SIMD) for 8-bit JPEG frames, greyscale and colour, called through its TurboJPEG API
 * with koffi (a maintained FFI) — off the JS thread, several frames at once.
 *
 * Why this shape: pydicom decodes baseline JPEG with native SIMD libjpeg-turbo, and the WASM build
 * (scalar IDCT) runs at ~0.4× its speed; sharp's libvips carries the same decoder but costs
 * ~2 ms of pipeline set-up per 512² frame. The npm bindings that call TurboJPEG directly
 * (@julusian/jpeg-turbo, jpeg-turbo) hard-code TJFLAG_FASTDCT, whose samples differ from the
 * reference by up to 3 — so we call the library those bindings ship ourselves, with
 * TJFLAG_ACCURATEDCT (the islow IDCT the WASM build and pydicom use): bit-identical samples
 * (checked on every frame of the conformance files and the 96-frame XA bench file).
 *
 * The library is the system's TurboJPEG (Debian/Ubuntu `libturbojpeg0`, the same SIMD build the
 * distribution's libvips and Pillow use), loaded by its soname as the OpenJPEG decoder beside this
 * file is — not an npm binding's copy: the bindings on npm hard-code the fast DCT above and pull in
 * their own build tool chain. Where the library is not installed (other platforms until a package
 * ships it beside the app), or when TurboJPEG refuses a stream (it also refuses on warnings the WASM
 * decoder passes over), the caller falls back to the WASM decoder, so behaviour on odd files is
 * unchanged. */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';

const requireNative = createRequire(import.meta.url);

const TJPF_RGB = 0;
const TJPF_GRAY = 6;
const TJFLAG_ACCURATEDCT = 4096;

interface AsyncFn {
  (...args: unknown[]): number;
  async(...args: unknown[]): void;
}

interface Turbo {
  init: () => unknown;
  header: AsyncFn;
  decompress: AsyncFn;
}

let turbo: Turbo | null | undefined;

// The sonames of TurboJPEG's API 2.x/3.x runtime (tjDecompress2 and tjDecompressHeader3 are in both).
const LIBRARY_NAMES = process.platform === 'linux' ? ['libturbojpeg.so.0'] : [];

function load(): Turbo | null {
  if (turbo !== undefined) return turbo;
  try {
    if (process.env['INSPECTOR_NO_NATIVE_JPEG'] || LIBRARY_NAMES.length === 0) return (turbo = null);
    const koffi = requireNative('koffi') as { load(path: string): { func(sig: string): AsyncFn } };
    const lib = koffi.load(LIBRARY_NAMES[0]!);
    turbo = {
      init: lib.func('void* tjInitDecompress()') as unknown as () => unknown,
      header: lib.func('int tjDecompressHeader3(void*, const uint8_t*, unsigned long, _Out_ int*, _Out_ int*, _Out_ int*, _Out_ int*)'),
      decompress: lib.func('int tjDecompress2(void*, const uint8_t*, unsigned long, uint8_t*, int, int, int, int, int)'),
    };
  } catch {
    turbo = null;
  }
  return turbo;
}

let decoded = 0;
/** Frames decoded natively so far in this process: the bench reports it, tests see a fallback by it. */
export function nativeJpegFrames(): number {
  return decoded;
}

/** Whether the native decoder is there (the bench and tests report which path ran). */
export function hasNativeJpeg(): boolean {
  return load() !== null;
}

// A TurboJPEG handle is not thread-safe: one per call in flight, kept for reuse. In-flight calls
// are bounded so a 1,000-frame file does not queue 1,000 handles.
const idle: unknown[] = [];
const waiting: (() => void)[] = [];
let inFlight = 0;
// At least 4 even on 2 cores: the hop to koffi's thread and back is latency worth overlapping
// (96 frames, load 5: 2 in flight 32 ms, 4 in flight 25 ms, one by one 40 ms).
const DEFAULT_LIMIT = Math.min(8, Math.max(4, availableParallelism()));
let LIMIT = DEFAULT_LIMIT;

/** Frames in flight at once; the bench sets 1 to show what frame parallelism brings. */
export function setJpegInFlight(n?: number): void {
  LIMIT = n === undefined ? DEFAULT_LIMIT : Math.max(1, Math.floor(n));
}
const MIN_NATIVE_BYTES = 1024;

async function acquire(t: Turbo): Promise<unknown> {
  while (inFlight >= LIMIT) await new Promise<void>((r) => waiting.push(r));
  inFlight++;
  return idle.pop() ?? t.init();
}

function release(handle: unknown): void {
  inFlight--;
  if (handle) idle.push(handle);
  waiting.shift()?.();
}

/**
 * One 8-bit JPEG codestream → `width × height × components` interleaved samples (components 1 or
 * 3), or undefined when the native decoder is absent or refuses the stream (the caller then uses
 * the WASM decoder). `headerChecked`: the caller has read the SOF's size and components and
 * compared them with the data set.
 *
 * Colour comes out as TJPF_RGB, which in libjpeg means "no conversion" when the stream's colour
 * space is RGB: the caller hands over streams whose JFIF/Adobe markers were replaced by "Adobe,
 * transform 0" (jpegColour.ts) to keep YBR samples as stored, and only streams that say they were
 * transformed (RGB-labelled, Adobe transform 1) to have libjpeg convert YCbCr → RGB. Chroma
 * upsampling is libjpeg's default "fancy" (triangular) one, as in the WASM build.
 */
export async function decodeJpegNative(codestream: Uint8Array, width: number, height: number, components: 1 | 3, headerChecked = false): Promise<Uint8Array | undefined> {
  const t = load();
  if (!t) return undefined;
  // koffi hands the native call pointers into these arrays while it runs on another thread. V8
  // keeps very small typed arrays inside its heap, where the collector may move them: tiny streams
  // and images go to the WASM decoder instead, and the caller holds both arrays until it resolves.
  if (codestream.byteLength < MIN_NATIVE_BYTES || width * height < MIN_NATIVE_BYTES) return undefined;
  const handle = await acquire(t);
  if (!handle) {
    release(handle);
    return undefined;
  }
  try {
    const w = [0];
    const h = [0];
    const sub = [0];
    const space = [0];
    // TurboJPEG would scale a larger image down to the size asked for: the size must be the stream's.
    // `headerChecked`: the caller already read it from the SOF (peekJpeg) and compared it with the data set.
    if (!headerChecked && (t.header(handle, codestream, codestream.length, w, h, sub, space) !== 0 || w[0] !== width || h[0] !== height)) return undefined;
    // Decoded straight into the frame's array (pitch 0 = width × pixel size): no copy after.
    const out = new Uint8Array(width * height * components);
    const format = components === 1 ? TJPF_GRAY : TJPF_RGB;
    const rc = await new Promise<number>((resolve, reject) =>
      t.decompress.async(handle, codestream, codestream.length, out, width, 0, height, format, TJFLAG_ACCURATEDCT, (e: Error | null, r: number) => (e ? reject(e) : resolve(r))),
    );
    if (rc !== 0) return undefined;
    decoded++;
    return out;
  } catch {
    return undefined;
  } finally {
    release(handle);
  }
}

/** 8-bit greyscale: `decodeJpegNative` with one component. */
export function decodeGreyNative(codestream: Uint8Array, width: number, height: number, headerChecked = false): Promise<Uint8Array | undefined> {
  return decodeJpegNative(codestream, width, height, 1, headerChecked);
}
