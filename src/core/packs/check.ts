/**
 * `inspector pack check`: loads a pack as the engine would, then runs it once on a mid-grey image so
 * that a graph that loads but cannot run (or yields NaN) is caught before a user meets it.
 */
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { Engine } from '../engine/engine';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModel } from '../engine/onnx/model';
import { detectVariant, modelFile, readGroundingFolder } from '../grounding/folder';
import { MANIFEST_FILE } from './discover';
import { loadPack } from './load';

export interface PackCheck {
  dir: string;
  ok: boolean;
  lines: string[];
  error?: ErrorInfo;
}

export async function checkPack(dir: string, engine = new Engine()): Promise<PackCheck> {
  const lines: string[] = [];
  // A bare Grounding DINO export folder (no pack.yaml yet): check its layout file by file.
  if (!existsSync(join(dir, MANIFEST_FILE)) && existsSync(join(dir, 'config.json'))) {
    try {
      const f = readGroundingFolder(dir);
      lines.push(`grounding export folder (no ${MANIFEST_FILE}): layout ok, variants ${f.variants.map(modelFile).join(', ')}`);
      for (const v of f.variants) {
        const g = parseModel(new Uint8Array(readFileSync(join(dir, modelFile(v)))));
        const io = detectVariant(g.inputs.map((i) => i.name), g.outputs.map((o) => o.name));
        lines.push(`${modelFile(v)}: ${io.variant} contract (${io.image} → ${io.logits}, ${io.boxes})`);
      }
      lines.push(`wrap it with: inspector pack create --hf ${dir} --kind grounding --prompt "a . b ." --out PACK`);
      return { dir, ok: true, lines };
    } catch (err) {
      return { dir, ok: false, lines, error: toErrorInfo(err) };
    }
  }
  try {
    const pack = loadPack(dir);
    const m = pack.manifest;
    lines.push(`${m.name}@${m.version} [${m.kind}], format ${m.format}`);
    if (m.aliases?.length) lines.push(`also answers to: ${m.aliases.join(', ')}`);
    lines.push(`files: ${Object.keys(m.files).length} verified (SHA-256)`);
    lines.push(`input ${m.input.name} ${m.input.layout} ${m.input.channels}×${m.input.size.join('×')} ${m.input.colour}`);
    lines.push(`outputs: ${m.outputs.map((o) => `${o.name} (${o.meaning})`).join(', ')}`);
    if (m.grounding) lines.push(`grounding: ${m.grounding.variant} contract, ${m.grounding.dtype}, prompt "${m.grounding.prompt}", box > ${m.grounding.boxThreshold}, text > ${m.grounding.textThreshold}`);
    const [h, w] = m.input.size;
    const grey = { width: w, height: h, channels: 3 as const, data: new Float32Array(w * h * 3).fill(0.5), source: 'mid-grey test image' };
    const [result] = await engine.inspectImages(pack, [grey], { method: m.explanation?.method ?? 'none' });
    if (result?.error) return { dir, ok: false, lines, error: result.error };
    lines.push(`test run on ${result!.provider}: ok`);
    if (result?.explanation) lines.push(`explanation: ${result.explanation.method} on ${result.explanation.target}${result.explanation.fallbackReason ? ` (${result.explanation.fallbackReason})` : ''}`);
    await engine.close();
    return { dir, ok: true, lines };
  } catch (err) {
    await engine.close();
    return { dir, ok: false, lines, error: toErrorInfo(err) };
  }
}
