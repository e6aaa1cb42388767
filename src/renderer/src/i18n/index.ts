/** The i18n layer: components ask for keys, never hold literal UI strings. */
import { useAppStore } from '../state/appStore';
import { en, type MessageKey } from './en';
import { ko } from './ko';

export type Locale = 'en' | 'ko';
export const LOCALES: readonly Locale[] = ['en', 'ko'];
const catalogs: Record<Locale, Record<MessageKey, string>> = { en, ko };

export function translate(locale: Locale, key: MessageKey): string {
  return catalogs[locale][key];
}

export function useT(): (key: MessageKey) => string {
  const locale = useAppStore((s) => s.locale);
  return (key) => translate(locale, key);
}

export type { MessageKey };
