/**
 * The Cornerstone WASM codecs (libjpeg-turbo 8-bit, CharLS, OpenJPEG, OpenJPH) behind one call.
 * Each module is instantiated once per process on first use; after a decoder throws, its module is
 * dropped and re-created, because an aborted Emscripten instance stays broken. Their stdout chatter
 * (OpenJPEG's `[INFO]` lines) is silenced so `--json` output stays clean.
 *
 * On Linux, 8-bit JPEG and J2K/HTJ2K go to the system's native libjpeg-turbo and OpenJPEG first
 * (turbojpeg.ts, openjpeg.ts; same samples) and these builds are the fallback; CharLS (JPEG-LS)
 * stays here everywhere.
 */
import { createRequire } from 'node:module';
import { ImagingErrorCode, imagingError } from '../../errors';

// Not named `require`: the bundler adds its own `require` shim to ESM output (duplicate declaration).
const requireCodec = createRequire(import.meta.url);

export type WasmCodec = 'jpeg' | 'jpeg-ls' | 'j2k' | 'htj2k';

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface Decoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  readHeader?(): void;
  decode(): void;
  getFrameInfo(): FrameInfo;
  delete(): void;
}

type Module = Record<string, new () => Decoder>;

const SPEC: Record<WasmCodec, { pkg: string; cls: string; name: string }> = {
  jpeg: { pkg: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', cls: 'JPEGDecoder', name: 'libjpeg-turbo' },
  'jpeg-ls': { pkg: '@cornerstonejs/codec-charls/decodewasmjs', cls: 'JpegLSDecoder', name: 'CharLS' },
  j2k: { pkg: '@cornerstonejs/codec-openjpeg/decodewasmjs', cls: 'J2KDecoder', name: 'OpenJPEG' },
  htj2k: { pkg: '@cornerstonejs/codec-openjph/wasmjs', cls: 'HTJ2KDecoder', name: 'OpenJPH' },
};

const modules = new Map<WasmCodec, Promise<Module>>();

function load(codec: WasmCodec): Promise<Module> {
  let m = modules.get(codec);
  if (!m) {
    const factory = requireCodec(SPEC[codec].pkg) as (opts: object) => Promise<Module>;
    const silent = () => {};
    m = factory({ print: silent, printErr: silent });
    modules.set(codec, m);
  }
  return m;
}

export interface DecodedCodestream {
  /** Decoded samples as bytes in the decoder's layout: interleaved, 8- or 16-bit little endian. */
  bytes: Uint8Array;
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  isSigned?: boolean;
}

export async function decodeWasm(codec: WasmCodec, codestream: Uint8Array): Promise<DecodedCodestream> {
  const module = await load(codec);
  const spec = SPEC[codec];
  let decoder: Decoder | undefined;
  try {
    decoder = new module[spec.cls]!();
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const bytes = decoder.getDecodedBuffer().slice();
    const out: DecodedCodestream = {
      bytes,
      width: info.width,
      height: info.height,
      components: info.componentCount,
      bitsPerSample: info.bitsPerSample,
    };
    if (info.isSigned !== undefined) out.isSigned = info.isSigned;
    return out;
  } catch (e) {
    modules.delete(codec);
    decoder = undefined;
    const why = typeof e === 'number' ? `error code ${e}` : e instanceof Error ? e.message : String(e);
    throw imagingError(ImagingErrorCode.DICOM_DECODE_FAILED, `${spec.name} could not decode the frame (${why}).`, { codec: spec.name });
  } finally {
    try {
      decoder?.delete();
    } catch {
      // a decoder of a dropped module may not be deletable; the module is gone anyway
    }
  }
}
