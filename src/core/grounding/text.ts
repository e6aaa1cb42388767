/**
 * Prompt → model text inputs. The caption is built as Grounding DINO's processors build it
 * (phrases lower-cased, joined by " . ", ending " ."), tokenized by @huggingface/tokenizers from
 * the folder's tokenizer.json (the library transformers.js uses; no tokenizer of our own), and each
 * phrase keeps its token span so a query's label is a prompt phrase, not a bag of tokens.
 * The IDEA-Research exports also need position ids and the phrase-block attention mask, which
 * their clients build; `phraseBlocks` is that loop (generate_masks_with_special_tokens…).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { InspectorError } from '../../shared/errors';

/** [CLS], [SEP], ".", "?" in the BERT uncased vocabulary: the tokens that close a phrase. */
export const SPECIAL_TOKEN_IDS = [101, 102, 1012, 1029] as const;

export interface EncodedPrompt {
  phrases: string[];
  caption: string;
  ids: number[];
  tokens: string[];
  attentionMask: number[];
  tokenTypeIds: number[];
  /** Per phrase, the token indices it covers (between separators). */
  spans: number[][];
}

/** "Crack . dent." / ["crack", "dent"] → ["crack", "dent"] (phrases end at "." or a line break). */
export function parsePrompt(prompt: string | readonly string[]): string[] {
  const parts = typeof prompt === 'string' ? prompt.split(/[.\n]/) : prompt;
  const phrases = parts.map((p) => p.trim().replace(/\s+/g, ' ').toLowerCase()).filter((p) => p.length > 0);
  const unique = phrases.filter((p, i) => phrases.indexOf(p) === i);
  if (unique.length === 0) throw new InspectorError('GROUNDING_PROMPT_EMPTY', 'The grounding prompt has no phrase (write e.g. "porosity . crack .").');
  return unique;
}

export const captionOf = (phrases: readonly string[]): string => `${phrases.join(' . ')} .`;

export class PromptEncoder {
  private readonly tokenizer: Tokenizer;
  private readonly dot: number;

  constructor(tokenizerJson: object, tokenizerConfig: object, readonly maxTextLen = 256) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.dot = this.tokenizer.token_to_id('.') ?? 1012;
  }

  encode(prompt: string | readonly string[]): EncodedPrompt {
    const phrases = parsePrompt(prompt);
    const caption = captionOf(phrases);
    const enc = this.tokenizer.encode(caption, { return_token_type_ids: true });
    if (enc.ids.length > this.maxTextLen) {
      throw new InspectorError('GROUNDING_PROMPT_TOO_LONG', `The prompt is ${enc.ids.length} tokens; the model takes at most ${this.maxTextLen}. Use fewer or shorter phrases.`, {
        tokens: enc.ids.length,
        max: this.maxTextLen,
      });
    }
    // Spans: tokens after [CLS] up to each "." belong to the next phrase.
    const spans: number[][] = [];
    let cur: number[] = [];
    for (let i = 1; i < enc.ids.length - 1; i++) {
      if (enc.ids[i] === this.dot) {
        spans.push(cur);
        cur = [];
      } else cur.push(i);
    }
    if (spans.length !== phrases.length || spans.some((s) => s.length === 0)) {
      throw new InspectorError('GROUNDING_PROMPT_INVALID', `The prompt "${caption}" does not tokenize into ${phrases.length} phrases.`, { caption });
    }
    return {
      phrases,
      caption,
      ids: enc.ids,
      tokens: enc.tokens,
      attentionMask: enc.attention_mask,
      tokenTypeIds: enc.token_type_ids ?? enc.ids.map(() => 0),
      spans,
    };
  }
}

/**
 * IDEA-Research's generate_masks_with_special_tokens_and_transfer_map for one row: for each special
 * at column c (not the first or last column), tokens prev+1..c form a block that sees only itself,
 * positions 0.. within it; everything else sees only itself, at position 0.
 */
export function phraseBlocks(ids: readonly number[]): { mask: Uint8Array; positionIds: number[] } {
  const L = ids.length;
  const mask = new Uint8Array(L * L);
  for (let i = 0; i < L; i++) mask[i * L + i] = 1;
  const positionIds = new Array<number>(L).fill(0);
  const special = new Set<number>(SPECIAL_TOKEN_IDS);
  let prev = 0;
  for (let c = 0; c < L; c++) {
    if (!special.has(ids[c]!)) continue;
    if (c !== 0 && c !== L - 1) {
      for (let r = prev + 1; r <= c; r++) {
        for (let q = prev + 1; q <= c; q++) mask[r * L + q] = 1;
        positionIds[r] = r - prev - 1;
      }
    }
    prev = c;
  }
  return { mask, positionIds };
}
