import { useEffect, useState } from 'react';
import { dayBound } from '../history/format';

/**
 * A calendar day typed as `YYYY-MM-DD`, the format every date in the app is shown in. Not
 * `<input type="date">`: Chromium draws that in the OS locale's pattern (`mm/dd/yyyy` on an en-US
 * station, `yyyy. mm. dd.` in Korean), so the filter would read differently from every date beside it.
 * The value reaches the filter only when it is empty or a real day; anything else is marked invalid.
 */
export function DayInput(props: { value: string; onChange(day: string): void; 'data-testid'?: string; label?: string }) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const valid = (s: string) => s === '' || (dayBound(s) !== undefined && isRealDay(s));
  const ok = valid(text);
  return (
    <input
      type="text"
      inputMode="numeric"
      className={`day-input${ok ? '' : ' invalid'}`}
      placeholder="YYYY-MM-DD"
      pattern="\d{4}-\d{2}-\d{2}"
      maxLength={10}
      size={10}
      autoComplete="off"
      spellCheck={false}
      value={text}
      aria-invalid={!ok}
      {...(props.label ? { 'aria-label': props.label } : {})}
      data-testid={props['data-testid']}
      onChange={(e) => {
        const s = e.target.value.trim();
        setText(e.target.value);
        if (valid(s)) props.onChange(s);
      }}
    />
  );
}

/** 2025-02-30 matches the pattern but is no day. */
function isRealDay(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const date = new Date(y, m - 1, d);
  return date.getFullYear() === y && date.getMonth() === m - 1 && date.getDate() === d;
}
