import { useEffect, useState } from 'react';
import { useT, type MessageKey } from '../i18n';
import { useOperatorStore } from '../history/operatorStore';
import { useNodeSettingsStore } from './nodeSettingsStore';
import { issuesByField, RESULT_OBJECTS, type NodeSettingsDraft } from './nodeSettingsView';

type Entry = Record<string, unknown>;
type Issues = Record<string, string[]>;

/** The schema's words for one field, tied to its input by id (aria-describedby). */
function FieldIssue({ issues, path }: { issues: Issues; path: string }) {
  const list = issues[path];
  if (!list?.length) return null;
  return (
    <span className="field-issue" id={`ns-issue-${path}`} role="alert" data-testid={`ns-issue-${path}`} data-path={path}>
      {path}: {list.join('; ')}
    </span>
  );
}
const described = (issues: Issues, path: string) => (issues[path]?.length ? { 'aria-invalid': true as const, 'aria-describedby': `ns-issue-${path}` } : {});

const peer = (e: Entry) => `${String(e['aet'])}${e['host'] ? ` @ ${String(e['host'])}` : ''}${e['port'] ? `:${String(e['port'])}` : ''}`;

/** What the file says, for everyone: the editable fields and, read-only, rules and DICOMweb destinations. */
function ReadView({ config }: { config: Entry }) {
  const t = useT();
  const allow = (config['allow'] as Entry[]) ?? [];
  const dests = (config['send_results'] as Entry[]) ?? [];
  const rules = (config['auto_inspect'] as { when: Entry; pack: string }[]) ?? [];
  return (
    <dl className="node-settings-read" data-testid="ns-read">
      <dt>{t('worklist.ns.aeTitle')}</dt>
      <dd data-testid="ns-read-ae">{String(config['ae_title'])}</dd>
      <dt>{t('worklist.ns.port')}</dt>
      <dd data-testid="ns-read-port">
        {String(config['port'])} <span className="muted">({t('worklist.ns.bind')} {String(config['bind'])})</span>
      </dd>
      <dt>{t('worklist.ns.allow')}</dt>
      <dd data-testid="ns-read-allow">{allow.length ? allow.map(peer).join(', ') : <span className="muted">{t('worklist.ns.allowNone')}</span>}</dd>
      <dt>{t('worklist.ns.destinations')}</dt>
      <dd data-testid="ns-read-dests">
        {dests.length === 0 && <span className="muted">{t('worklist.ns.none')}</span>}
        {dests.map((d, i) => (
          <div key={i}>
            {'url' in d ? String(d['url']) : peer(d)} <span className="muted">{(d['objects'] as string[]).join(', ')}</span>
            {'url' in d && <span className="muted"> · {t('worklist.ns.readOnly')}</span>}
          </div>
        ))}
      </dd>
      <dt>{t('worklist.ns.rules')}</dt>
      <dd data-testid="ns-read-rules">
        {rules.length === 0 && <span className="muted">{t('worklist.ns.none')}</span>}
        {rules.map((r, i) => (
          <div key={i}>
            {Object.entries(r.when)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(', ')}{' '}
            → {r.pack}
          </div>
        ))}
        <span className="muted">{t('worklist.ns.readOnly')}</span>
      </dd>
    </dl>
  );
}

function EditForm({ draft, issues, web }: { draft: NodeSettingsDraft; issues: Issues; web: Entry[] }) {
  const t = useT();
  const { change, save, cancel, saving } = useNodeSettingsStore();
  const setRow = <K extends 'allow' | 'send_results'>(k: K, i: number, v: Partial<NodeSettingsDraft[K][number]>) =>
    change((d) => ({ ...d, [k]: d[k].map((r, j) => (j === i ? { ...r, ...v } : r)) }));
  const remove = (k: 'allow' | 'send_results', i: number) => change((d) => ({ ...d, [k]: d[k].filter((_, j) => j !== i) }));
  return (
    <form
      className="node-settings-form"
      aria-label={t('worklist.ns.editLabel')}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      data-testid="ns-form"
    >
      <div className="ns-row">
        <label>
          {t('worklist.ns.aeTitle')}
          <input value={draft.ae_title} maxLength={64} onChange={(e) => change((d) => ({ ...d, ae_title: e.target.value }))} data-testid="ns-ae" {...described(issues, 'ae_title')} />
          <FieldIssue issues={issues} path="ae_title" />
        </label>
        <label>
          {t('worklist.ns.port')}
          <input value={draft.port} inputMode="numeric" onChange={(e) => change((d) => ({ ...d, port: e.target.value }))} data-testid="ns-port" {...described(issues, 'port')} />
          <FieldIssue issues={issues} path="port" />
        </label>
      </div>
      <fieldset>
        <legend>{t('worklist.ns.allow')}</legend>
        {draft.allow.map((a, i) => (
          <div className="ns-row" key={i} data-testid="ns-allow-row">
            <label>
              {t('worklist.ns.peerAet')} {i + 1}
              <input value={a.aet} onChange={(e) => setRow('allow', i, { aet: e.target.value })} data-testid={`ns-allow-aet-${i}`} {...described(issues, `allow.${i}.aet`)} />
              <FieldIssue issues={issues} path={`allow.${i}.aet`} />
            </label>
            <label>
              {t('worklist.ns.host')} {i + 1}
              <input value={a.host} placeholder={t('worklist.ns.anyHost')} onChange={(e) => setRow('allow', i, { host: e.target.value })} data-testid={`ns-allow-host-${i}`} {...described(issues, `allow.${i}.host`)} />
              <FieldIssue issues={issues} path={`allow.${i}.host`} />
            </label>
            <button type="button" onClick={() => remove('allow', i)} aria-label={`${t('worklist.ns.remove')} ${t('worklist.ns.allow')} ${i + 1}`} data-testid={`ns-allow-remove-${i}`}>
              {t('worklist.ns.remove')}
            </button>
            <FieldIssue issues={issues} path={`allow.${i}`} />
          </div>
        ))}
        <button type="button" onClick={() => change((d) => ({ ...d, allow: [...d.allow, { aet: '', host: '', extra: {} }] }))} data-testid="ns-allow-add">
          {t('worklist.ns.addPeer')}
        </button>
      </fieldset>
      <fieldset>
        <legend>{t('worklist.ns.destinations')}</legend>
        {draft.send_results.map((r, i) => (
          <div className="ns-row" key={i} data-testid="ns-dest-row">
            <label>
              {t('worklist.ns.peerAet')} {i + 1}
              <input value={r.aet} onChange={(e) => setRow('send_results', i, { aet: e.target.value })} data-testid={`ns-dest-aet-${i}`} {...described(issues, `send_results.${i}.aet`)} />
              <FieldIssue issues={issues} path={`send_results.${i}.aet`} />
            </label>
            <label>
              {t('worklist.ns.host')} {i + 1}
              <input value={r.host} onChange={(e) => setRow('send_results', i, { host: e.target.value })} data-testid={`ns-dest-host-${i}`} {...described(issues, `send_results.${i}.host`)} />
              <FieldIssue issues={issues} path={`send_results.${i}.host`} />
            </label>
            <label>
              {t('worklist.ns.port')} {i + 1}
              <input value={r.port} inputMode="numeric" className="ns-port" onChange={(e) => setRow('send_results', i, { port: e.target.value })} data-testid={`ns-dest-port-${i}`} {...described(issues, `send_results.${i}.port`)} />
              <FieldIssue issues={issues} path={`send_results.${i}.port`} />
            </label>
            <fieldset className="ns-objects">
              <legend>{t('worklist.ns.objects')}</legend>
              {RESULT_OBJECTS.map((o) => (
                <label key={o} className="ns-check">
                  <input
                    type="checkbox"
                    checked={r.objects.includes(o)}
                    onChange={(e) => setRow('send_results', i, { objects: e.target.checked ? [...r.objects, o] : r.objects.filter((x) => x !== o) })}
                    data-testid={`ns-dest-${o}-${i}`}
                  />
                  {o.toUpperCase()}
                </label>
              ))}
              <FieldIssue issues={issues} path={`send_results.${i}.objects`} />
            </fieldset>
            <button type="button" onClick={() => remove('send_results', i)} aria-label={`${t('worklist.ns.remove')} ${t('worklist.ns.destinations')} ${i + 1}`} data-testid={`ns-dest-remove-${i}`}>
              {t('worklist.ns.remove')}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => change((d) => ({ ...d, send_results: [...d.send_results, { aet: '', host: '', port: '104', objects: ['sr', 'sc'], extra: {} }] }))} data-testid="ns-dest-add">
          {t('worklist.ns.addDestination')}
        </button>
        {web.map((d, i) => (
          <p key={i} className="muted" data-testid="ns-dest-web">
            {String(d['url'])} · {t('worklist.ns.readOnly')}
          </p>
        ))}
      </fieldset>
      <div className="ns-actions">
        <button type="submit" className="primary" disabled={saving} data-testid="ns-save">
          {saving ? t('worklist.ns.saving') : t('worklist.ns.save')}
        </button>
        <button type="button" onClick={cancel} disabled={saving} data-testid="ns-cancel">
          {t('worklist.ns.cancel')}
        </button>
      </div>
    </form>
  );
}

/**
 * The node's settings in the worklist room: read-only for everyone; an administrator edits the AE
 * title, port, allow-list and DIMSE destinations, and the host validates, writes, audits and restarts.
 */
export function NodeSettings() {
  const t = useT();
  const [open, setOpen] = useState(false);
  const { view, loadError, draft, saved, saveError, load, edit, cancel } = useNodeSettingsStore();
  // Who may edit follows the operator chosen in the header: another operator drops a draft and re-asks.
  const operatorId = useOperatorStore((s) => s.current?.id ?? null);
  useEffect(() => {
    if (!open) return;
    cancel();
    void load();
  }, [open, load, cancel, operatorId]);
  const issues = issuesByField(saveError);
  const role = view?.operator ? t(`worklist.ns.youAre` as MessageKey).replace('{id}', view.operator.id).replace('{role}', view.operator.role) : t('worklist.ns.noOperator');
  return (
    <section className="node-settings" aria-labelledby="ns-title" data-testid="node-settings">
      <h3 id="ns-title" className="panel-title">
        <button type="button" className="ns-toggle" aria-expanded={open} aria-controls="ns-body" onClick={() => setOpen((o) => !o)} data-testid="ns-toggle">
          <span aria-hidden="true">{open ? '▾' : '▸'}</span> {t('worklist.ns.title')}
        </button>
      </h3>
      {open && (
        <div id="ns-body">
          {loadError && (
            <p className="export-status error" role="alert">
              {loadError.code}: {loadError.message}
            </p>
          )}
          {view && !view.path && <p className="muted">{t('worklist.ns.noFile')}</p>}
          {view?.error && (
            <p className="export-status error" role="alert" data-testid="ns-file-error">
              {view.error.code}: {view.error.message}
            </p>
          )}
          {view?.path && (
            <p className="muted" data-testid="ns-path">
              {t('worklist.ns.file')} {view.path}
            </p>
          )}
          {saved && (
            <p className="export-status" role="status" data-testid="ns-saved" data-port={saved.port ?? ''}>
              {saved.changed.length === 0 ? t('worklist.ns.unchanged') : t('worklist.ns.saved').replace('{port}', String(saved.port ?? '—'))}
            </p>
          )}
          {saveError && (
            <p className="export-status error" role="alert" data-testid="ns-save-error" data-code={saveError.code}>
              {saveError.code}: {saveError.message}
            </p>
          )}
          {issues[''] && <FieldIssue issues={issues} path="" />}
          {draft ? (
            <EditForm draft={draft} issues={issues} web={((view?.config?.['send_results'] as Entry[] | undefined) ?? []).filter((d) => 'url' in d)} />
          ) : (
            view?.config && (
              <>
                <ReadView config={view.config} />
                {view.canEdit ? (
                  <button type="button" onClick={edit} data-testid="ns-edit">
                    {t('worklist.ns.edit')}
                  </button>
                ) : (
                  <p className="muted" data-testid="ns-admin-only">
                    {t('worklist.ns.adminOnly')} {role}
                  </p>
                )}
              </>
            )
          )}
        </div>
      )}
    </section>
  );
}
