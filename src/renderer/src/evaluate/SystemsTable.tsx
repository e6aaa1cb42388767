/**
 * Box-level results and the side-by-side table of the Evaluate room: a grounding detector's (or any
 * pack's) boxes against the set's boxes per class — COCO AP@0.5, AP@[.5:.95], F1 at IoU 0.5 — and,
 * with several systems, one row per pack plus the integrated verdict's, then their agreement
 * (same call, mean IoU of their regions, grounding boxes included). Figures as `evaluate` prints them.
 */
import { useT } from '../i18n';
import { formatScore } from '../history/format';
import type { EvaluatedPack, EvaluationView } from '../../../shared/evaluation';

export function BoxResults({ p }: { p: EvaluatedPack }) {
  const t = useT();
  const l = p.localisation;
  if (!l) return null;
  return (
    <section className="card" aria-labelledby={`eval-boxes-${p.name}`}>
      <h3 id={`eval-boxes-${p.name}`} className="card-title">
        {t('eval.boxes')}
      </h3>
      <table className="data-table" data-testid="eval-boxes">
        <thead>
          <tr>
            <th scope="col">{t('eval.boxClass')}</th>
            <th scope="col">{t('eval.boxTruths')}</th>
            <th scope="col">{t('eval.boxKept')}</th>
            <th scope="col">AP@0.5</th>
            <th scope="col">AP@[.5:.95]</th>
            <th scope="col">F1@IoU 0.5</th>
          </tr>
        </thead>
        <tbody>
          {l.perClass.map((c) => (
            <tr key={c.label} data-testid={`eval-boxes-${c.label}`}>
              <th scope="row">{c.label}</th>
              <td className="num">{c.truths}</td>
              <td className="num">{c.detections}</td>
              <td className="num">{formatScore(c.ap50)}</td>
              <td className="num">{formatScore(c.ap)}</td>
              <td className="num">{formatScore(c.f1At50)}</td>
            </tr>
          ))}
          <tr data-testid="eval-boxes-mean">
            <th scope="row">{t('eval.boxMean')}</th>
            <td className="num">{l.perClass.reduce((n, c) => n + c.truths, 0)}</td>
            <td className="num">{l.perClass.reduce((n, c) => n + c.detections, 0)}</td>
            <td className="num">{formatScore(l.ap50)}</td>
            <td className="num">{formatScore(l.ap)}</td>
            <td className="num">{formatScore(l.f1At50)}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

export function SystemsTable({ view }: { view: EvaluationView }) {
  const t = useT();
  if (!view.systems) return null;
  return (
    <section className="card" aria-labelledby="eval-systems-title">
      <h3 id="eval-systems-title" className="card-title">
        {t('eval.systems')}
      </h3>
      <table className="data-table" data-testid="eval-systems">
        <thead>
          <tr>
            <th scope="col">{t('eval.system')}</th>
            <th scope="col">{t('eval.images')}</th>
            <th scope="col">{t('eval.f1')}</th>
            <th scope="col">{t('eval.recall')}</th>
            <th scope="col">{t('eval.rocAuc')}</th>
            <th scope="col">{t('eval.boxAp50')}</th>
            <th scope="col">AP@[.5:.95]</th>
            <th scope="col">F1@IoU 0.5</th>
            <th scope="col">{t('eval.caseRecall')}</th>
            <th scope="col">{t('eval.caseFalseAlarm')}</th>
          </tr>
        </thead>
        <tbody>
          {view.systems.map((r) => (
            <tr key={r.system} data-testid={`eval-system-${r.system}`}>
              <th scope="row">
                {r.system} <span className="muted">({r.kind})</span>
              </th>
              <td className="num">{r.images}</td>
              <td className="num">{formatScore(r.f1)}</td>
              <td className="num">{formatScore(r.recall)}</td>
              <td className="num">{formatScore(r.rocAuc)}</td>
              <td className="num">{formatScore(r.ap50)}</td>
              <td className="num">{formatScore(r.ap)}</td>
              <td className="num">{formatScore(r.f1At50)}</td>
              <td className="num">{formatScore(r.caseRecall)}</td>
              <td className="num">{formatScore(r.caseFalseAlarm)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {view.agreement.map((a) => (
        <p key={`${a.a}|${a.b}`} data-testid={`eval-agreement-${a.a}-${a.b}`}>
          {a.a} ↔ {a.b}: {t('eval.agreementImages')} {a.images} · {t('eval.agreementSame')} {formatScore(a.decisionAgreement)} · {t('eval.agreementIou')} {formatScore(a.meanIou)}
        </p>
      ))}
    </section>
  );
}
