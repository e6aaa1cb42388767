/**
 * Native OpenJPEG (the system's libopenjp2, Debian `libopenjp2-7` — the library Pillow, and so
 * pydicom, decodes JPEG 2000 with) for J2K frames, called with koffi, with OpenJPEG's own
 * code-block threads. The WASM build of the same library runs single-threaded at ~0.9× pydicom.
 *
 * OpenJPEG has no public in-memory stream, so the codestream is handed over through its stream
 * callbacks (read/skip/seek over our buffer), called on this thread during the decode; the
 * decode's worker threads never call back into JS.
 *
 * Where libopenjp2 is absent (no such package, another OS) or it refuses a stream, the caller
 * falls back to the WASM decoder, so behaviour on odd files is unchanged.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';

const requireNative = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any -- koffi's function objects are untyped */
type Fn = (...args: any[]) => any;
interface Koffi {
  load(path: string): { func(sig: string): Fn };
  proto(sig: string): unknown;
  pointer(t: unknown): unknown;
  register(fn: Fn, type: unknown): unknown;
  unregister(p: unknown): void;
  view(ptr: unknown, len: number): ArrayBuffer;
  decode(ptr: unknown, type: string): any;
  decode(ptr: unknown, offset: number, type: string): any;
  address(p: unknown): bigint;
}

interface OpenJpeg {
  koffi: Koffi;
  f: Record<string, Fn>;
  readType: unknown;
  skipType: unknown;
  seekType: unknown;
}

let lib: OpenJpeg | null | undefined;
const DEFAULT_THREADS = Math.max(1, Math.min(8, availableParallelism()));
let THREADS = DEFAULT_THREADS;

/** OpenJPEG threads per frame (one per core, at most 8); the bench sets 1 to show the scaling. */
export function setJ2kThreads(n?: number): void {
  THREADS = n === undefined ? DEFAULT_THREADS : Math.max(1, Math.min(64, Math.floor(n)));
}

function load(): OpenJpeg | null {
  if (lib !== undefined) return lib;
  if (process.env['INSPECTOR_NO_NATIVE_J2K'] || process.platform !== 'linux') return (lib = null);
  try {
    const koffi = requireNative('koffi') as Koffi;
    const so = koffi.load('libopenjp2.so.7');
    const readType = koffi.proto('size_t opj_read_cb(void* buffer, size_t n, void* user)');
    const skipType = koffi.proto('int64_t opj_skip_cb(int64_t n, void* user)');
    const seekType = koffi.proto('int opj_seek_cb(int64_t n, void* user)');
    const f: Record<string, Fn> = {
      version: so.func('const char* opj_version()'),
      createStream: so.func('void* opj_stream_create(size_t, int)'),
      setRead: so.func('void opj_stream_set_read_function(void*, opj_read_cb*)'),
      setSkip: so.func('void opj_stream_set_skip_function(void*, opj_skip_cb*)'),
      setSeek: so.func('void opj_stream_set_seek_function(void*, opj_seek_cb*)'),
      setLength: so.func('void opj_stream_set_user_data_length(void*, uint64_t)'),
      destroyStream: so.func('void opj_stream_destroy(void*)'),
      createDecompress: so.func('void* opj_create_decompress(int)'),
      defaults: so.func('void opj_set_default_decoder_parameters(void*)'),
      setup: so.func('int opj_setup_decoder(void*, void*)'),
      threads: so.func('int opj_codec_set_threads(void*, int)'),
      readHeader: so.func('int opj_read_header(void*, void*, _Out_ void**)'),
      decode: so.func('int opj_decode(void*, void*, void*)'),
      end: so.func('int opj_end_decompress(void*, void*)'),
      destroyCodec: so.func('void opj_destroy_codec(void*)'),
      destroyImage: so.func('void opj_image_destroy(void*)'),
    };
    if (!String(f['version']!()).startsWith('2.')) return (lib = null);
    lib = { koffi, f, readType: koffi.pointer(readType), skipType: koffi.pointer(skipType), seekType: koffi.pointer(seekType) };
  } catch {
    lib = null;
  }
  return lib;
}

let decoded = 0;
/** Frames decoded natively so far in this process: the bench reports it, tests see a fallback by it. */
export function nativeJ2kFrames(): number {
  return decoded;
}

export function hasNativeJ2k(): boolean {
  return load() !== null;
}

export interface J2kFrame {
  /** Samples of each component interleaved, in 8 bits up to precision 8, else 16 (modulo 2^16:
   * the same bits the WASM decoder hands back; sign comes back from Bits Stored later). */
  samples: Uint8Array | Uint16Array;
  width: number;
  height: number;
  components: number;
  precision: number;
  signed: boolean;
}

const OPJ_CODEC_J2K = 0;
const OPJ_CODEC_JP2 = 2;

/** J2K codestream (or JP2 box file) → samples, or undefined when native OpenJPEG is absent or refuses it. */
export function decodeJ2kNative(codestream: Uint8Array): J2kFrame | undefined {
  const o = load();
  if (!o) return undefined;
  const { koffi, f } = o;
  let pos = 0;
  const read = koffi.register((buffer: unknown, n: number) => {
    const left = codestream.length - pos;
    if (left <= 0) return -1; // (size_t)-1: end of stream
    const k = Math.min(Number(n), left);
    new Uint8Array(koffi.view(buffer, k)).set(codestream.subarray(pos, pos + k));
    pos += k;
    return k;
  }, o.readType);
  const skip = koffi.register((n: bigint | number) => {
    const k = Math.max(0, Math.min(Number(n), codestream.length - pos));
    pos += k;
    return k === 0 && Number(n) > 0 ? -1 : k;
  }, o.skipType);
  const seek = koffi.register((n: bigint | number) => {
    if (Number(n) > codestream.length) return 0;
    pos = Number(n);
    return 1;
  }, o.seekType);
  const jp2 = codestream[0] === 0 && codestream[1] === 0 && codestream[2] === 0 && codestream[3] === 0x0c;
  const stream = f['createStream']!(1 << 20, 1);
  const codec = f['createDecompress']!(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  const image: unknown[] = [null];
  try {
    if (!stream || !codec) return undefined;
    f['setRead']!(stream, read);
    f['setSkip']!(stream, skip);
    f['setSeek']!(stream, seek);
    f['setLength']!(stream, codestream.length);
    // opj_dparameters_t is ~8.3 kB (two 4096-byte path fields); its defaults are written by OpenJPEG.
    const params = Buffer.alloc(16384);
    f['defaults']!(params);
    if (!f['setup']!(codec, params)) return undefined;
    f['threads']!(codec, THREADS);
    if (!f['readHeader']!(stream, codec, image) || !image[0]) return undefined;
    if (!f['decode']!(codec, stream, image[0]) || !f['end']!(codec, stream)) return undefined;
    const frame = readImage(koffi, image[0]);
    if (frame) decoded++;
    return frame;
  } catch {
    return undefined;
  } finally {
    if (image[0]) f['destroyImage']!(image[0]);
    if (codec) f['destroyCodec']!(codec);
    if (stream) f['destroyStream']!(stream);
    koffi.unregister(read);
    koffi.unregister(skip);
    koffi.unregister(seek);
  }
}

/**
 * opj_image_t { uint32 x0, y0, x1, y1, numcomps; int color_space; opj_image_comp_t* comps; … }
 * opj_image_comp_t { uint32 dx, dy, w, h, x0, y0, prec, bpp, sgnd, resno_decoded, factor;
 * int32* data; uint16 alpha; } — 64 bytes on 64-bit (the layout of OpenJPEG 2.x).
 */
function readImage(koffi: Koffi, image: unknown): J2kFrame | undefined {
  const head = new Uint32Array(koffi.view(image, 32).slice(0));
  const components = head[4]!;
  if (components < 1 || components > 4) return undefined;
  const comps = koffi.decode(image, 24, 'void*');
  let width = 0;
  let height = 0;
  let precision = 0;
  let signed = false;
  const planes: Int32Array[] = [];
  for (let c = 0; c < components; c++) {
    const fields = new Uint32Array(koffi.view(comps, (c + 1) * 64).slice(c * 64, c * 64 + 44));
    const [dx, dy, w, h, , , prec, , sgnd] = fields;
    if (dx !== 1 || dy !== 1) return undefined; // subsampled components: leave to the WASM path
    if (c === 0) {
      width = w!;
      height = h!;
      precision = prec!;
      signed = sgnd === 1;
    } else if (w !== width || h !== height) return undefined;
    const data = koffi.decode(comps, c * 64 + 48, 'void*');
    if (!data) return undefined;
    planes.push(new Int32Array(koffi.view(data, width * height * 4)));
  }
  // Narrowed straight out of OpenJPEG's 32-bit planes: one pass, no intermediate Int32 copy.
  const samples = precision > 8 ? new Uint16Array(width * height * components) : new Uint8Array(width * height * components);
  if (components === 1) samples.set(planes[0]!);
  else {
    for (let c = 0; c < components; c++) {
      const p = planes[c]!;
      for (let i = 0; i < p.length; i++) samples[i * components + c] = p[i]!;
    }
  }
  return { samples, width, height, components, precision, signed };
}
