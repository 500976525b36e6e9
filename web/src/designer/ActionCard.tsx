import { useContext, useId, useState } from 'react';
import { JsonBlock } from '../components/JsonBlock';
import { ComposeBody, ForeachBody, IfBody, ResponseBody } from './ControlCards';
import { CurrentActionContext, ProblemsContext } from './context';
import { title, toName } from './model';
import { SendEmailCard } from './SendEmailCard';

const STATUSES = ['Succeeded', 'Failed', 'Skipped', 'TimedOut'];

function kindOf(action: any): string {
  const type = String(action?.type ?? '').toLowerCase();
  if (type === 'apiconnection' && /\/sendemail(v2|v3)?$/i.test(String(action.inputs?.path ?? ''))) return 'sendemail';
  return type;
}

const LABEL: Record<string, string> = { sendemail: 'SMTP - Send Email', compose: 'Compose', if: 'Condition', foreach: 'For each', response: 'Response' };

export function ActionCard({
  name,
  action,
  path,
  siblings,
  onChange,
  onRemove,
  onRename,
}: {
  name: string;
  action: any;
  path: string;
  siblings: string[];
  onChange: (a: any) => void;
  onRemove: () => void;
  onRename: (to: string) => boolean;
}) {
  const [open, setOpen] = useState(true);
  const [nameText, setNameText] = useState(title(name));
  const [renameError, setRenameError] = useState<string>();
  const bodyId = useId();
  const kind = kindOf(action);
  const problems = useContext(ProblemsContext).filter((p) => p.path === path || p.path === `${path}.type` || p.path.startsWith(`${path}.runAfter`) || (p.path.startsWith(`${path}.`) && !open));

  const commitName = (): void => {
    const to = toName(nameText);
    if (!/^[^\s'"\\/]{1,80}$/.test(to)) return setRenameError('A step name needs 1–80 characters, without quotes or slashes.');
    if (!onRename(to)) return setRenameError(`Another step is already called “${title(to)}”.`);
    setRenameError(undefined);
  };

  return (
    <section className={`card step-card kind-${kind} ${problems.length ? 'has-problems' : ''}`} aria-label={title(name)} data-path={path}>
      <div className="card-head">
        <button type="button" className="card-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen(!open)}>
          <span className="card-icon" aria-hidden="true">{ICON[kind] ?? '•'}</span>
          <h3>{title(name)}</h3>
        </button>
        <span className="tag">{LABEL[kind] ?? action?.type}</span>
        <button type="button" className="danger-outline small" onClick={onRemove} aria-label={`Delete ${title(name)}`}>
          Delete
        </button>
      </div>
      {problems.map((p, i) => (
        <p key={i} className="field-error">
          {p.path.slice(path.length).replace(/^\./, '') || 'This step'}: {p.message}
        </p>
      ))}
      <div id={bodyId} hidden={!open} className="card-body">
        <CurrentActionContext.Provider value={name}>
          {kind === 'sendemail' && <SendEmailCard action={action} path={path} onChange={onChange} />}
          {kind === 'compose' && <ComposeBody action={action} path={path} onChange={onChange} />}
          {kind === 'if' && <IfBody name={name} action={action} path={path} onChange={onChange} />}
          {kind === 'foreach' && <ForeachBody name={name} action={action} path={path} onChange={onChange} />}
          {kind === 'response' && <ResponseBody action={action} path={path} onChange={onChange} />}
          {!['sendemail', 'compose', 'if', 'foreach', 'response'].includes(kind) && (
            <>
              <p className="muted">This kind of step is edited in the code view.</p>
              <JsonBlock label="Definition" value={action} />
            </>
          )}
          <details className="step-settings" open={renameError !== undefined || undefined}>
            <summary>Settings</summary>
            <div className="field step-name">
              <label htmlFor={`${bodyId}-name`}>Step name</label>
              <input id={`${bodyId}-name`} value={nameText} onChange={(e) => setNameText(e.target.value)} onBlur={commitName} onKeyDown={(e) => e.key === 'Enter' && commitName()} aria-invalid={renameError ? true : undefined} />
              {renameError && <small className="field-error">{renameError}</small>}
            </div>
            <RunAfter action={action} siblings={siblings} onChange={onChange} />
          </details>
        </CurrentActionContext.Provider>
      </div>
    </section>
  );
}

const ICON: Record<string, string> = { sendemail: '✉', compose: '{ }', if: '◇', foreach: '↻', response: '↩' };

/** "Configure run after": which outcomes of earlier steps let this one run (e.g. send an alert when a send failed). */
function RunAfter({ action, siblings, onChange }: { action: any; siblings: string[]; onChange: (a: any) => void }) {
  const runAfter: Record<string, string[]> = action.runAfter ?? {};
  const deps = Object.keys(runAfter);
  if (deps.length === 0) return null;
  const toggle = (dep: string, status: string, on: boolean): void => {
    const current = runAfter[dep] ?? [];
    const next = on ? [...current, status] : current.filter((s) => s !== status);
    if (next.length === 0) return; // at least one outcome, or the step could never run
    onChange({ ...action, runAfter: { ...runAfter, [dep]: next } });
  };
  return (
    <div className="run-after">
      {deps
        .filter((d) => siblings.includes(d))
        .map((dep) => (
          <fieldset key={dep}>
            <legend>Run when {title(dep)} has</legend>
            {STATUSES.map((s) => (
              <label key={s} className="inline-check">
                <input type="checkbox" checked={(runAfter[dep] ?? []).some((x) => x.toLowerCase() === s.toLowerCase())} onChange={(e) => toggle(dep, s, e.target.checked)} />
                {s === 'TimedOut' ? 'timed out' : s.toLowerCase()}
              </label>
            ))}
          </fieldset>
        ))}
    </div>
  );
}
