import { beforeEach, describe, expect, it } from 'vitest';
import { casesToInspect, etaSeconds, inspectedWith, nextFlagged } from '../../../src/renderer/src/review/batch';
import { useReviewStore } from '../../../src/renderer/src/state/reviewStore';
import type { CaseRef, Findings } from '../../../src/renderer/src/review/types';

const findings = (pack: string): Findings => ({ verdict: 'dent', probabilities: [], models: [{ pack, version: '1', task: 'classifier', displayName: { en: pack } }] });
const kase = (id: string, extra: Partial<CaseRef> = {}): CaseRef => ({ id, title: id, origin: 'test', frames: [], path: `/imgs/${id}.png`, ...extra });

describe('Inspect all: which cases it runs', () => {
  it('skips cases inspected with the same pack and cases without an image file', () => {
    const cases = [kase('a'), kase('b'), kase('c'), kase('stack', { path: undefined })];
    const done = { a: findings('resnet-mini'), b: findings('other-pack') };
    expect(casesToInspect(cases, done, 'resnet-mini').map((c) => c.id)).toEqual(['b', 'c']);
  });

  it('a sample case goes with its own pack unless one is chosen; with no named pack any run counts', () => {
    expect(casesToInspect([kase('s', { pack: 'line-demo' })], { s: findings('line-demo') }, '').map((c) => c.id)).toEqual([]);
    expect(casesToInspect([kase('s', { pack: 'line-demo' })], { s: findings('line-demo') }, 'resnet-mini').map((c) => c.id)).toEqual(['s']);
    expect(inspectedWith(findings('x'), undefined)).toBe(true);
    expect(inspectedWith(undefined, undefined)).toBe(false);
  });

  it('estimates the time left from the pace so far, once a case finished', () => {
    expect(etaSeconds({ total: 42, finished: 0 })).toBeUndefined();
    expect(etaSeconds({ total: 42, finished: 6, msPerCase: 500 })).toBe(18);
  });
});

describe('next flagged case', () => {
  beforeEach(() => useReviewStore.setState({ cases: [kase('a'), kase('b'), kase('c'), kase('d')], current: 1, ai: {} }));

  it('is the next case after the current one (wrapping) the model did not pass', () => {
    const r = useReviewStore.getState();
    expect(nextFlagged()).toBe(-1);
    r.setAi('a', { decision: 'defect', label: 'dent' });
    r.setAi('c', { decision: 'pass', label: 'ok' });
    expect(nextFlagged()).toBe(0);
    r.setAi('d', { decision: 'uncertain', label: 'scratch' });
    expect(nextFlagged()).toBe(3);
  });
});
