/** The shortcut sheet lists the workspace switches (Alt+1…n) in the order ViewSwitch handles them, in both languages. */
import { describe, expect, it } from 'vitest';
import { VIEWS } from '../../../src/renderer/src/history/navStore';
import { translate } from '../../../src/renderer/src/i18n';
import { SHORTCUTS } from '../../../src/renderer/src/keyboard';

describe('shortcut sheet', () => {
  it('has Alt+1 Review, Alt+2 History, Alt+3 Dashboard, Alt+4 Evaluate, Alt+5 Worklist, Alt+6 Line, Alt+7 Fleet, in English and Korean', () => {
    const rows = SHORTCUTS.filter((s) => /^Alt\+\d$/.test(s.keys));
    expect(rows.map((r) => r.keys)).toEqual(['Alt+1', 'Alt+2', 'Alt+3', 'Alt+4', 'Alt+5', 'Alt+6', 'Alt+7']);
    expect(VIEWS).toEqual(['review', 'history', 'dashboard', 'evaluate', 'worklist', 'line', 'fleet']);
    expect(rows.map((r) => translate('en', r.action))).toEqual(['Go to Review', 'Go to History', 'Go to Dashboard', 'Go to Evaluate', 'Go to the DICOM worklist', 'Go to Line', 'Go to the Fleet room']);
    expect(rows.map((r) => translate('ko', r.action))).toEqual(['판독 화면으로 이동', '이력 화면으로 이동', '대시보드로 이동', '평가 화면으로 이동', 'DICOM 워크리스트로 이동', '라인 화면으로 이동', '플릿 화면으로 이동']);
    expect(rows.every((r) => r.group === 'app')).toBe(true);
  });

  it('every row of the sheet has text in both languages, and no key combination is listed twice', () => {
    for (const s of SHORTCUTS) for (const l of ['en', 'ko'] as const) expect(translate(l, s.action), `${l} ${s.action}`).toBeTruthy();
    expect(new Set(SHORTCUTS.map((s) => s.keys)).size).toBe(SHORTCUTS.length);
  });

  it('one-key box review: J / K step through model boxes, Y accepts and F rejects the focused one; no single key is listed twice', () => {
    const row = (keys: string) => SHORTCUTS.find((s) => s.keys === keys);
    expect(row('J / K')).toMatchObject({ action: 'shortcut.focusBox', group: 'boxes' });
    expect(row('Y')).toMatchObject({ action: 'shortcut.acceptBox', group: 'boxes' });
    expect(row('F')).toMatchObject({ action: 'shortcut.rejectBox', group: 'boxes' });
    expect(translate('en', 'shortcut.acceptBox')).toBe('Accept the focused model box');
    expect(translate('ko', 'shortcut.rejectBox')).toBe('선택한 모델 상자 거부 (오검출)');
    // Every plain letter the sheet names (A, R, J, K, …) belongs to one row only: the case's A / R stay the case's.
    const letters = SHORTCUTS.flatMap((s) => s.keys.split(/\s*\/\s*|\s+/).filter((k) => /^[A-Z]$/.test(k)));
    expect(letters.length).toBe(new Set(letters).size);
    expect(letters).toEqual(expect.arrayContaining(['A', 'R', 'J', 'K', 'Y', 'F']));
  });
});
