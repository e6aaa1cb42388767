/**
 * Prompt → text inputs. Token ids of @huggingface/tokenizers reading the pack's tokenizer.json equal
 * those of an independent WordPiece over vocab.txt (training/grounding/bert_vocab.py; fixtures/
 * tokens.json) on many prompts; captions and phrase spans are built as Grounding DINO's processors
 * build them; the IDEA-Research position ids / phrase-block mask equal the export graph's own
 * vectorised builder (fixtures/blocks.json) and TAO's published example; long prompts are refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { readGroundingFolder } from '../../../src/core/grounding/folder';
import { PromptEncoder, captionOf, parsePrompt, phraseBlocks } from '../../../src/core/grounding/text';
import { repoRoot } from '../../support/paths';

const packDir = join(repoRoot, 'models', 'defects-grounding');
const folder = readGroundingFolder(packDir);
const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));

describe('tokenizer conformance', () => {
  const tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
  const cases = fixture('tokens.json').cases as { phrases: string[]; caption: string; ids: number[] }[];

  it.each(cases.map((c) => [c.caption, c] as const))('%s', (_caption, c) => {
    expect(tokenizer.encode(c.caption).ids).toEqual(c.ids);
  });

  it('builds captions and phrase spans as Grounding DINO does', () => {
    const enc = new PromptEncoder(folder.tokenizerJson, folder.tokenizerConfig);
    for (const c of cases) {
      const phrases = c.phrases.map((p) => p.toLowerCase());
      if (phrases.some((p) => p.includes('.'))) continue;
      const e = enc.encode(c.phrases);
      expect(e.caption).toBe(c.caption);
      expect(e.ids).toEqual(c.ids);
      expect(e.attentionMask).toEqual(c.ids.map(() => 1));
      expect(e.tokenTypeIds).toEqual(c.ids.map(() => 0));
      expect(e.spans).toHaveLength(phrases.length);
      // Each span decodes back to its phrase (BERT normalisation aside) and is followed by ".".
      e.spans.forEach((span, i) => {
        expect(e.ids[span[span.length - 1]! + 1]).toBe(1012);
        expect(tokenizer.decode(span.map((t) => e.ids[t]!)).replace(/\s+/g, '')).toBe(tokenizer.decode(tokenizer.encode(phrases[i]!).ids.slice(1, -1)).replace(/\s+/g, ''));
      });
    }
  });

  it('parses prompts: lower case, "." and line breaks separate, duplicates and blanks dropped', () => {
    expect(parsePrompt('Porosity . Resin  Overflow.')).toEqual(['porosity', 'resin overflow']);
    expect(parsePrompt('crack\ndent . crack . ')).toEqual(['crack', 'dent']);
    expect(parsePrompt('2.5mm crack')).toEqual(['2', '5mm crack']);
    expect(captionOf(['crack', 'dent'])).toBe('crack . dent .');
    expect(() => parsePrompt(' . . ')).toThrow(expect.objectContaining({ code: 'GROUNDING_PROMPT_EMPTY' }));
  });

  it('refuses a caption longer than the model takes, with the count', () => {
    const enc = new PromptEncoder(folder.tokenizerJson, folder.tokenizerConfig, 256);
    const phrases = Array.from({ length: 130 }, (_, i) => `defect${i}`);
    expect(() => enc.encode(phrases)).toThrow(expect.objectContaining({ code: 'GROUNDING_PROMPT_TOO_LONG' }));
    const ok = Array.from({ length: 120 }, () => 'crack').map((p, i) => `${p} ${'abcdefghijklmnopqrstuvwxyz'[i % 26]}`);
    expect(enc.encode(ok.slice(0, 80)).ids.length).toBeLessThanOrEqual(256);
  });
});

describe('IDEA-Research position ids and phrase-block mask', () => {
  it('equal the export graph\'s vectorised builder', () => {
    const cases = fixture('blocks.json').cases as { ids: number[]; mask: number[]; position_ids: number[] }[];
    expect(cases.length).toBeGreaterThan(50);
    for (const c of cases) {
      const b = phraseBlocks(c.ids);
      expect(Array.from(b.mask)).toEqual(c.mask);
      expect(b.positionIds).toEqual(c.position_ids);
    }
  });

  it('gives TAO\'s [0,0,1,2,3,0] for "the running dog ."', () => {
    const enc = new PromptEncoder(folder.tokenizerJson, folder.tokenizerConfig);
    const e = enc.encode('the running dog');
    expect(e.ids).toEqual([101, 1996, 2770, 3899, 1012, 102]);
    expect(phraseBlocks(e.ids).positionIds).toEqual([0, 0, 1, 2, 3, 0]);
  });
});
