import { useEffect, useMemo, useState } from 'react';
import { ApiError, api, errorText, type Problem } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { WorkflowTabs } from '../components/WorkflowTabs';
import { useResource } from '../hooks';
import { navigate } from '../router';
import type { WorkflowBody } from '../types';
import { ActionList } from './ActionList';
import { TRIGGERS } from './catalog';
import { CodeView, parseCode } from './CodeView';
import { ConnectionsContext, DefinitionContext, ParametersContext, ProblemsContext, SourceFieldsContext } from './context';
import { Field } from './Field';
import { concerns, emptyDefinition } from './model';
import { Picker } from './Picker';
import { connectionNameOf, sourceInfo } from './sourceTriggers';
import { TriggerCard } from './TriggerCard';

/** Survives the remount that follows the first save of a new workflow (its URL changes). */
let flash: string | undefined;

export function DesignerPage({ name }: { name?: string }) {
  const loaded = useResource(() => (name ? api.workflows.get(name) : Promise.resolve(undefined)), [name]);
  const connections = useResource(() => api.connections.list(), []);
  const [draft, setDraft] = useState<WorkflowBody>();
  const [view, setView] = useState<'designer' | 'code'>('designer');
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [saveError, setSaveError] = useState<unknown>();
  const [status, setStatus] = useState<string | undefined>(() => {
    const f = flash;
    flash = undefined;
    return f;
  });
  const [saving, setSaving] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [callbackUrl, setCallbackUrl] = useState<string>();

  useEffect(() => {
    if (!name) setDraft({ name: '', definition: emptyDefinition(), parameters: {} });
    else if (loaded.data) setDraft({ name: loaded.data.name, definition: loaded.data.definition, parameters: loaded.data.parameters ?? {} });
  }, [name, loaded.data]);

  const [triggerName, trigger] = Object.entries(draft?.definition.triggers ?? {})[0] ?? [];
  const isRequest = String(trigger?.type ?? '').toLowerCase() === 'request';
  useEffect(() => {
    if (!name || !triggerName || !isRequest || dirty) return;
    api.workflows.callbackUrl(name, triggerName).then((r) => setCallbackUrl(r.value), () => setCallbackUrl(undefined));
  }, [name, triggerName, isRequest, dirty, loaded.data]);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent): void => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const connectionsState = useMemo(
    () => ({ all: connections.data ?? [], loaded: connections.data !== undefined, reload: connections.reload }),
    [connections.data, connections.reload],
  );

  // A connector trigger's object fields are its dynamic content.
  const source = sourceInfo(trigger);
  const sourceConnection = source ? connectionNameOf(draft?.parameters ?? {}, source.key) : undefined;
  const sourceObject = source?.object || undefined;
  const sourceFields = useResource(() => (sourceConnection && sourceObject ? api.connections.fields(sourceConnection, sourceObject) : Promise.resolve(undefined)), [sourceConnection, sourceObject]);
  const sourceFieldsState = useMemo(() => ({ fields: sourceFields.data, error: sourceFields.error }), [sourceFields.data, sourceFields.error]);

  if (name && loaded.error) return <section className="page"><ErrorBox error={loaded.error} /></section>;
  if (!draft) return <section className="page"><p className="muted">Loading…</p></section>;

  const change = (next: WorkflowBody): void => {
    setDraft(next);
    setDirty(true);
    setStatus(undefined);
  };
  const setDefinition = (patch: Partial<WorkflowBody['definition']>): void => change({ ...draft, definition: { ...draft.definition, ...patch } });

  const switchView = (to: 'designer' | 'code'): void => {
    if (to === view) return;
    if (to === 'code') {
      setCode(JSON.stringify({ definition: draft.definition, parameters: draft.parameters ?? {} }, null, 2));
      setCodeError(undefined);
    } else {
      const parsed = parseCode(code);
      if (parsed.error) return setCodeError(parsed.error);
      change({ ...draft, definition: parsed.value!.definition, parameters: parsed.value!.parameters ?? draft.parameters });
    }
    setView(to);
  };

  const save = async (): Promise<void> => {
    let body: WorkflowBody = { ...draft, name: draft.name.trim(), state: 'Enabled' };
    if (view === 'code') {
      const parsed = parseCode(code);
      if (parsed.error) return setCodeError(parsed.error);
      body = { ...body, definition: parsed.value!.definition, parameters: parsed.value!.parameters ?? draft.parameters };
      setDraft(body);
    }
    setSaving(true);
    setSaveError(undefined);
    setProblems([]);
    setStatus(undefined);
    try {
      const saved = name ? await api.workflows.save(name, body) : await api.workflows.create(body);
      setDirty(false);
      const message = `Saved. “${saved.name}” is ${saved.state === 'Enabled' ? 'enabled: its trigger is live' : 'disabled'}.`;
      if (!name) {
        flash = message;
        navigate(`/workflows/${encodeURIComponent(saved.name)}`, true);
        return;
      }
      setStatus(message);
      void loaded.reload();
    } catch (err) {
      if (err instanceof ApiError && err.problems.length > 0) setProblems(err.problems);
      else if (err instanceof ApiError && err.field) setProblems([{ path: err.field, message: err.message }]);
      setSaveError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <ConnectionsContext.Provider value={connectionsState}>
      <ParametersContext.Provider value={{ parameters: draft.parameters ?? {}, setParameters: (parameters) => change({ ...draft, parameters }) }}>
        <DefinitionContext.Provider value={draft.definition}>
          <SourceFieldsContext.Provider value={sourceFieldsState}>
            <ProblemsContext.Provider value={problems}>
              <section className="page designer" aria-labelledby="designer-title">
                <div className="page-head">
                  <h1 id="designer-title">{name ?? 'New workflow'}</h1>
                  <div className="actions">
                    <div className="segmented" role="group" aria-label="View">
                      <button type="button" aria-pressed={view === 'designer'} onClick={() => switchView('designer')}>
                        Designer
                      </button>
                      <button type="button" aria-pressed={view === 'code'} onClick={() => switchView('code')}>
                        Code view
                      </button>
                    </div>
                    <button type="button" className="primary" onClick={save} disabled={saving}>
                      {saving ? 'Saving…' : 'Save'}
                    </button>
                  </div>
                </div>
                {name && <WorkflowTabs name={name} current="designer" />}
                <p className="save-status" role="status">
                  {status ?? (dirty ? 'Unsaved changes.' : '')}
                </p>
                {saveError !== undefined && <ProblemList error={saveError} problems={problems} />}
                <div className="designer-body">
                  {!name && (
                    <Field path="name" label="Workflow name" exact hint="Letters, digits, “.”, “_” and “-”; it cannot be changed later.">
                      {(p) => <input {...p} value={draft.name} onChange={(e) => change({ ...draft, name: e.target.value })} placeholder="e.g. new-lead-email" />}
                    </Field>
                  )}
                  {view === 'code' ? (
                    <CodeView text={code} onChange={(t) => { setCode(t); setDirty(true); }} error={codeError} />
                  ) : !trigger ? (
                    <div className="flow-start">
                      <p>Every workflow starts with a trigger: what makes it run.</p>
                      <Picker entries={TRIGGERS} label="Search triggers" onPick={(e) => setDefinition({ triggers: { [e.name]: e.create() } })} />
                    </div>
                  ) : (
                    <div className="canvas">
                      <TriggerCard name={triggerName} trigger={trigger} callbackUrl={dirty ? undefined : callbackUrl} onChange={(t) => setDefinition({ triggers: { ...draft.definition.triggers, [triggerName]: t } })} onReplace={() => setDefinition({ triggers: {} })} />
                      <ActionList where="workflow" actions={draft.definition.actions ?? {}} path="definition.actions" onChange={(actions) => setDefinition({ actions })} />
                    </div>
                  )}
                </div>
              </section>
            </ProblemsContext.Provider>
          </SourceFieldsContext.Provider>
        </DefinitionContext.Provider>
      </ParametersContext.Provider>
    </ConnectionsContext.Provider>
  );
}

/** `definition.actions.Send_Email.inputs.Subject` → `Send Email › Subject`: the path in the designer's words. */
const where = (path: string): string =>
  path
    ? path
        .replace(/^definition\.(actions|triggers)\./, '')
        .replace(/\.(inputs\.body|inputs|actions|else\.actions)\./g, ' › ')
        .replace(/_/g, ' ')
    : 'The workflow';

/** Every problem of the last Save, each with a way to the field it concerns. */
function ProblemList({ error, problems }: { error: unknown; problems: Problem[] }) {
  const focus = (path: string): void => {
    const candidates = [...document.querySelectorAll<HTMLElement>('[data-path]')].filter((el) => concerns(el.dataset.path!, path));
    const best = candidates.sort((a, b) => b.dataset.path!.length - a.dataset.path!.length)[0];
    const control = best?.querySelector<HTMLElement>('input, select, textarea, button');
    best?.scrollIntoView({ block: 'center' });
    control?.focus();
  };
  if (problems.length === 0) return <ErrorBox error={error} />;
  return (
    <div className="error-box problems" role="alert">
      <strong>
        The workflow was not saved: {problems.length} problem{problems.length === 1 ? '' : 's'} to fix.
      </strong>
      <ul>
        {problems.map((p, i) => (
          <li key={i}>
            <button type="button" className="link-button" onClick={() => focus(p.path)}>
              {where(p.path)}
            </button>
            : {p.message}
          </li>
        ))}
      </ul>
      {!(error instanceof ApiError) && <p>{errorText(error)}</p>}
    </div>
  );
}
