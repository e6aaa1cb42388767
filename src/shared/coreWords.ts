/**
 * Words the core hands the UI as data, not as message keys: the input guard's reasons (English
 * sentences from src/core/guard/guard.ts, also recorded in the history as the image's validation
 * message) and class / verdict names (label ids, case verdicts). The catalogs (en.ts, ko.ts) hold
 * the UI's own strings; this puts the core's words into the chosen language too.
 *
 * Guard reasons are matched by their templates (hand-written: the reasons are recorded as text,
 * so a reopened run has no structured form to translate from). A reason no template matches is
 * shown as recorded — English, never dropped. `tests/unit/guard/reasons-i18n.test.ts` runs the
 * core's own reason builders through here, so a changed template fails there, not silently.
 */
/** The UI's languages (as src/renderer/src/i18n's Locale); here so node tests and the renderer share these tables. */
export type Locale = 'en' | 'ko';

type Rule = { re: RegExp; ko: (m: RegExpExecArray) => string };

const STAT = '(?:in typical reference distances, )?';
const GUARD_RULES: Rule[] = [
  { re: /^DICOM modality (\S+) is not one the pack accepts \((.*)\)$/, ko: (m) => `DICOM 모달리티 ${m[1]}은(는) 이 팩이 받는 모달리티(${m[2]})가 아닙니다` },
  { re: /^a colour image \(chroma (\S+) > (\S+)\) where the pack takes grayscale$/, ko: (m) => `컬러 영상(채도 ${m[1]} > ${m[2]})이지만 이 팩은 그레이스케일 영상을 받습니다` },
  { re: /^a grayscale image \(chroma (\S+)\) where the pack takes colour photos$/, ko: (m) => `그레이스케일 영상(채도 ${m[1]})이지만 이 팩은 컬러 사진을 받습니다` },
  { re: /^size (\d+)×(\d+) outside the accepted (\S+) × (\S+) px$/, ko: (m) => `크기 ${m[1]}×${m[2]}가 허용 범위 ${m[3]} × ${m[4]} px 밖입니다` },
  {
    re: new RegExp(`^the model’s internal features are unlike its reference images \\(largest per-layer Mahalanobis distance, ${STAT}(\\S+) > (\\S+)\\)$`),
    ko: (m) => `모델의 내부 특징이 기준 영상과 다릅니다 (층별 최대 마할라노비스 거리, 기준 영상의 전형적 거리 단위, ${m[1]} > ${m[2]})`,
  },
  {
    re: new RegExp(`^the model’s internal features are unlike its reference images \\(Mahalanobis distance, ${STAT}(\\S+) > (\\S+)\\)$`),
    ko: (m) => `모델의 내부 특징이 기준 영상과 다릅니다 (마할라노비스 거리, 기준 영상의 전형적 거리 단위, ${m[1]} > ${m[2]})`,
  },
  {
    re: new RegExp(`^the intensity histogram is unlike the reference images \\(Mahalanobis distance, ${STAT}(\\S+) > (\\S+)\\)$`),
    ko: (m) => `밝기 히스토그램이 기준 영상과 다릅니다 (마할라노비스 거리, 기준 영상의 전형적 거리 단위, ${m[1]} > ${m[2]})`,
  },
  { re: /^the model is less confident than on any typical reference image \(max probability (\S+) < (\S+)\)$/, ko: (m) => `모델의 확신도가 전형적인 기준 영상보다 낮습니다 (최대 확률 ${m[1]} < ${m[2]})` },
  { re: /^the model’s energy score is outside its reference images \(energy (\S+) > (\S+)\)$/, ko: (m) => `모델의 에너지 점수가 기준 영상의 범위를 벗어났습니다 (에너지 ${m[1]} > ${m[2]})` },
  // Written by the History view for runs whose reasons were not recorded (history/reopen.ts).
  { re: /^guard statistic (\S+) beyond the pack's threshold (\S+)$/, ko: (m) => `가드 통계량 ${m[1]}이(가) 팩의 임계값 ${m[2]}을(를) 넘었습니다` },
];

/** One guard reason in the UI's language (as recorded when no template matches). */
export function guardReasonText(locale: Locale, reason: string): string {
  if (locale === 'en') return reason;
  for (const r of GUARD_RULES) {
    const m = r.re.exec(reason);
    if (m) return r.ko(m);
  }
  return reason;
}

/** Whether a reason is one of the core's known templates (for the drift test). */
export const isKnownGuardReason = (reason: string): boolean => GUARD_RULES.some((r) => r.re.test(reason));

/**
 * Class and verdict names every pack shares: the anomaly packs' normal / anomalous, a detector's
 * defect, the decision uncertain, and the integrated case verdicts. A pack's own classes
 * (porosity, pitting, …) take the pack's `labels[].display` (see `classNamer`).
 */
const SHARED_KO: Record<string, string> = {
  normal: '정상',
  anomalous: '이상',
  anomaly: '이상',
  defect: '결함',
  uncertain: '판단 보류',
  PASS: '합격',
  UNCERTAIN: '판단 보류',
  INCOMPLETE: '불완전',
  INTERNAL_DEFECT: '내부 결함',
  EXTERNAL_DEFECT: '외부 결함',
  DEFECT: '결함',
};

export type LabelDisplay = { id: string; display: { en: string; ko?: string | undefined } };

/**
 * A namer for class ids and verdicts. English keeps the ids (what history, exports and the CLI
 * print); Korean takes the pack's display name when the pack names the class, else the shared
 * vocabulary, else the id as given. "a / b" (a detector's joined defect classes) is named part by part.
 */
export function classNamer(locale: Locale, labels: readonly LabelDisplay[] = []): (id: string) => string {
  const one = (id: string): string => {
    if (locale === 'en') return id;
    const d = labels.find((l) => l.id === id)?.display;
    if (d) return locale === 'ko' && d.ko ? d.ko : d.en;
    return locale === 'ko' ? (SHARED_KO[id] ?? id) : id;
  };
  return (id) => (id.includes(' / ') ? id.split(' / ').map(one).join(' / ') : one(id));
}

/** The threshold proposal's notes (src/core/evaluation/thresholds.ts), joined with "; " there. */
const NOTE_RULES: { re: RegExp; ko: (...m: string[]) => string }[] = [
  {
    re: /only (\d+) defect and (\d+) normal images: too few for this threshold to hold on new parts \(at least (\d+) of each recommended\); evaluate on more images before applying/g,
    ko: (_, p, n, min) => `결함 ${p}장, 정상 ${n}장뿐입니다: 새 부품에서도 이 임계값이 유지된다고 보기엔 너무 적습니다(클래스마다 ${min}장 이상 권장). 적용하기 전에 더 많은 영상으로 평가하세요`,
  },
  { re: /mean (\S+), σ (\S+) \(population\) of (\d+) normal images/g, ko: (_, mean, sd, n) => `정상 영상 ${n}장의 평균 ${mean}, σ ${sd}(모집단)` },
  { re: /no score keeps the false-alarm rate that low; threshold above every score/g, ko: () => '그만큼 낮은 오경보율을 지키는 점수가 없어 임계값을 모든 점수 위에 둡니다' },
];

/** A proposal note in the UI's language; parts no rule knows stay as the core wrote them. */
export function proposalNoteText(locale: Locale, note: string): string {
  if (locale === 'en') return note;
  return NOTE_RULES.reduce((s, r) => s.replace(r.re, (...m: string[]) => r.ko(...m)), note);
}
