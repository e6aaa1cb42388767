/** App-level state: locale, accessibility modes, what the main side reported, the last error shown. */
import { create } from 'zustand';
import type { AppInfo, PackSummary, SystemStatus } from '../../../shared/contract';
import type { ErrorInfo } from '../../../shared/errors';
import type { Locale } from '../i18n';

const LOCALE_KEY = 'inspector.locale';
const LARGE_KEY = 'inspector.largeText';
const CONTRAST_KEY = 'inspector.highContrast';

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(LOCALE_KEY);
  if (saved === 'en' || saved === 'ko') return saved;
  return globalThis.navigator?.language?.startsWith('ko') ? 'ko' : 'en';
}

/** Modes are classes on <html>: the CSS scales type and swaps the palette in one place. */
function applyClass(name: string, on: boolean) {
  globalThis.document?.documentElement.classList.toggle(name, on);
}

interface AppState {
  locale: Locale;
  largeText: boolean;
  highContrast: boolean;
  info?: AppInfo;
  status?: SystemStatus;
  packs: PackSummary[];
  error?: ErrorInfo;
  setLocale(locale: Locale): void;
  setLargeText(on: boolean): void;
  setHighContrast(on: boolean): void;
  setInfo(info: AppInfo): void;
  setStatus(status: SystemStatus): void;
  setPacks(packs: PackSummary[]): void;
  setError(error: ErrorInfo | undefined): void;
}

const flag = (key: string) => globalThis.localStorage?.getItem(key) === '1';

export const useAppStore = create<AppState>((set) => {
  const largeText = flag(LARGE_KEY);
  const highContrast = flag(CONTRAST_KEY);
  applyClass('large-text', largeText);
  applyClass('high-contrast', highContrast);
  return {
    locale: initialLocale(),
    largeText,
    highContrast,
    packs: [],
    setLocale: (locale) => {
      globalThis.localStorage?.setItem(LOCALE_KEY, locale);
      document.documentElement.lang = locale;
      set({ locale });
    },
    setLargeText: (on) => {
      globalThis.localStorage?.setItem(LARGE_KEY, on ? '1' : '0');
      applyClass('large-text', on);
      set({ largeText: on });
    },
    setHighContrast: (on) => {
      globalThis.localStorage?.setItem(CONTRAST_KEY, on ? '1' : '0');
      applyClass('high-contrast', on);
      set({ highContrast: on });
    },
    setInfo: (info) => set({ info }),
    setStatus: (status) => set({ status }),
    setPacks: (packs) => set({ packs }),
    setError: (error) => set({ error }),
  };
});
