/**
 * Window/level in WebGL2: the frame's stored values are uploaded once as an integer (or float)
 * texture and every window, invert or viewport change is one draw of a full-screen triangle.
 * The raster work leaves the renderer's main thread for the GPU process (SwiftShader where there
 * is no GPU). Same maths as render.ts: nearest image pixel under each screen pixel's centre,
 * DICOM LINEAR with its −0.5 / (w − 1) terms, padding black, inversion after the VOI.
 */
import type { FrameData, WindowLevel } from './types';
import type { Viewport } from './viewport';

const VERT = `#version 300 es
void main() {
  vec2 p = vec2(gl_VertexID == 1 ? 3.0 : -1.0, gl_VertexID == 2 ? 3.0 : -1.0);
  gl_Position = vec4(p, 0.0, 1.0);
}`;

const frag = (sampler: string, fetch: string) => `#version 300 es
precision highp float;
precision highp int;
uniform highp ${sampler} u_tex;
uniform vec2 u_size;
uniform vec3 u_vp;
uniform float u_canvasH;
uniform float u_slope;
uniform float u_intercept;
uniform float u_c;
uniform float u_w;
uniform bool u_invert;
uniform bool u_rgb;
uniform bool u_hasPad;
uniform vec2 u_pad;
out vec4 o;
float grey(float s) {
  if (u_hasPad && s >= u_pad.x && s <= u_pad.y) return u_invert ? 255.0 : 0.0;
  float x = s * u_slope + u_intercept;
  float lo = u_c - 0.5 - (u_w - 1.0) / 2.0;
  float hi = u_c - 0.5 + (u_w - 1.0) / 2.0;
  if (x <= lo) return 0.0;
  if (x > hi || u_w <= 1.0) return 255.0;
  return floor(((x - (u_c - 0.5)) / (u_w - 1.0) + 0.5) * 255.0 + 0.5);
}
float shown(float s) {
  float g = grey(s);
  return (u_invert ? 255.0 - g : g) / 255.0;
}
void main() {
  vec2 screen = vec2(gl_FragCoord.x, u_canvasH - gl_FragCoord.y);
  vec2 p = floor((screen - u_vp.yz) / u_vp.x);
  if (p.x < 0.0 || p.y < 0.0 || p.x >= u_size.x || p.y >= u_size.y) {
    o = vec4(0.0);
    return;
  }
  vec4 t = vec4(${fetch});
  o = u_rgb ? vec4(shown(t.r), shown(t.g), shown(t.b), 1.0) : vec4(vec3(shown(t.r)), 1.0);
}`;

type Kind = 'u' | 'i' | 'f';

interface TexFormat {
  kind: Kind;
  internal: number;
  format: number;
  type: number;
}

function formatOf(gl: WebGL2RenderingContext, f: FrameData): TexFormat | undefined {
  const rgb = f.channels === 3;
  switch (f.dtype) {
    case 'uint8':
      return { kind: 'u', internal: rgb ? gl.RGB8UI : gl.R8UI, format: rgb ? gl.RGB_INTEGER : gl.RED_INTEGER, type: gl.UNSIGNED_BYTE };
    case 'int8':
      return { kind: 'i', internal: rgb ? gl.RGB8I : gl.R8I, format: rgb ? gl.RGB_INTEGER : gl.RED_INTEGER, type: gl.BYTE };
    case 'uint16':
      return { kind: 'u', internal: rgb ? gl.RGB16UI : gl.R16UI, format: rgb ? gl.RGB_INTEGER : gl.RED_INTEGER, type: gl.UNSIGNED_SHORT };
    case 'int16':
      return { kind: 'i', internal: rgb ? gl.RGB16I : gl.R16I, format: rgb ? gl.RGB_INTEGER : gl.RED_INTEGER, type: gl.SHORT };
    case 'float32':
      return { kind: 'f', internal: rgb ? gl.RGB32F : gl.R32F, format: rgb ? gl.RGB : gl.RED, type: gl.FLOAT };
    default:
      // 32-bit integers and float64 would lose precision in a float texture: the CPU path draws them.
      return undefined;
  }
}

export class GlWindowRenderer {
  private readonly programs = new Map<Kind, WebGLProgram>();
  private tex: WebGLTexture | null = null;
  private uploaded?: FrameData;
  private kind: Kind = 'u';

  private constructor(private readonly gl: WebGL2RenderingContext) {}

  static create(canvas: HTMLCanvasElement): GlWindowRenderer | undefined {
    const gl = canvas.getContext('webgl2', { alpha: true, antialias: false, depth: false, premultipliedAlpha: true, preserveDrawingBuffer: false });
    return gl ? new GlWindowRenderer(gl) : undefined;
  }

  /**
   * Whether this frame and window can be drawn here (dtype, size, plain rescale + LINEAR);
   * otherwise the caller uses the CPU path, which also does LINEAR_EXACT, SIGMOID and the tables.
   */
  supports(f: FrameData, win: WindowLevel): boolean {
    // A preview is drawn once on the CPU path; textures are uploaded for the full frame only.
    if ((win.function ?? 'LINEAR') !== 'LINEAR' || f.modalityLut || f.step) return false;
    const max = this.gl.getParameter(this.gl.MAX_TEXTURE_SIZE) as number;
    return !!formatOf(this.gl, f) && f.width <= max && f.height <= max;
  }

  private program(kind: Kind): WebGLProgram {
    let p = this.programs.get(kind);
    if (p) return p;
    const gl = this.gl;
    const sampler = kind === 'u' ? 'usampler2D' : kind === 'i' ? 'isampler2D' : 'sampler2D';
    const compile = (type: number, src: string) => {
      const s = gl.createShader(type)!;
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(s)}`);
      return s;
    };
    p = gl.createProgram()!;
    gl.attachShader(p, compile(gl.VERTEX_SHADER, VERT));
    gl.attachShader(p, compile(gl.FRAGMENT_SHADER, frag(sampler, 'texelFetch(u_tex, ivec2(p), 0)')));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(p)}`);
    this.programs.set(kind, p);
    return p;
  }

  /** Uploads the frame's stored values once; later draws reuse the texture. */
  private upload(f: FrameData) {
    if (this.uploaded === f) return;
    const gl = this.gl;
    const fmt = formatOf(gl, f)!;
    if (this.tex) gl.deleteTexture(this.tex);
    this.tex = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, this.tex);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.texImage2D(gl.TEXTURE_2D, 0, fmt.internal, f.width, f.height, 0, fmt.format, fmt.type, f.data as ArrayBufferView);
    this.uploaded = f;
    this.kind = fmt.kind;
  }

  draw(f: FrameData, win: WindowLevel, invert: boolean, vp: Viewport, width: number, height: number): void {
    const gl = this.gl;
    const canvas = gl.canvas as HTMLCanvasElement;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    this.upload(f);
    const p = this.program(this.kind);
    gl.useProgram(p);
    gl.viewport(0, 0, width, height);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.tex);
    const u = (name: string) => gl.getUniformLocation(p, name);
    gl.uniform1i(u('u_tex'), 0);
    gl.uniform2f(u('u_size'), f.width, f.height);
    gl.uniform3f(u('u_vp'), vp.scale, vp.x, vp.y);
    gl.uniform1f(u('u_canvasH'), height);
    gl.uniform1f(u('u_slope'), f.slope);
    gl.uniform1f(u('u_intercept'), f.intercept);
    gl.uniform1f(u('u_c'), win.center);
    gl.uniform1f(u('u_w'), Math.max(1, win.width));
    gl.uniform1i(u('u_invert'), invert ? 1 : 0);
    gl.uniform1i(u('u_rgb'), f.channels === 3 ? 1 : 0);
    gl.uniform1i(u('u_hasPad'), f.padding ? 1 : 0);
    gl.uniform2f(u('u_pad'), f.padding?.from ?? 0, f.padding?.to ?? 0);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  clear(): void {
    this.gl.clearColor(0, 0, 0, 0);
    this.gl.clear(this.gl.COLOR_BUFFER_BIT);
  }
}
