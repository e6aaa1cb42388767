/** App-level state: locale, what the main side reported, and the last error shown to the user. */
import { create } from 'zustand';
import type { AppInfo, PackSummary, SystemStatus } from '../../../shared/contract';
import type { ErrorInfo } from '../../../shared/errors';
import type { Locale } from '../i18n';

const LOCALE_KEY = 'inspector.locale';

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(LOCALE_KEY);
  if (saved === 'en' || saved === 'ko') return saved;
  return globalThis.navigator?.language?.startsWith('ko') ? 'ko' : 'en';
}

interface AppState {
  locale: Locale;
  info?: AppInfo;
  status?: SystemStatus;
  packs: PackSummary[];
  error?: ErrorInfo;
  setLocale(locale: Locale): void;
  setInfo(info: AppInfo): void;
  setStatus(status: SystemStatus): void;
  setPacks(packs: PackSummary[]): void;
  setError(error: ErrorInfo | undefined): void;
}

export const useAppStore = create<AppState>((set) => ({
  locale: initialLocale(),
  packs: [],
  setLocale: (locale) => {
    globalThis.localStorage?.setItem(LOCALE_KEY, locale);
    document.documentElement.lang = locale;
    set({ locale });
  },
  setInfo: (info) => set({ info }),
  setStatus: (status) => set({ status }),
  setPacks: (packs) => set({ packs }),
  setError: (error) => set({ error }),
}));
