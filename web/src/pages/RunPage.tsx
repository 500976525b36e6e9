import { useState } from 'react';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { JsonBlock } from '../components/JsonBlock';
import { Status } from '../components/Status';
import { WorkflowTabs } from '../components/WorkflowTabs';
import { duration, when } from '../format';
import { useResource } from '../hooks';
import { Link, navigate } from '../router';
import type { ActionResult, RunDetail } from '../types';
import { Reply } from './MessagesPage';

const FINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'TimedOut', 'Skipped']);

/** One run: the trigger and each action as cards, live until the run ends. */
export function RunPage({ workflow, id }: { workflow: string; id: string }) {
  const run = useResource(() => api.workflows.run(workflow, id), [workflow, id], 1500);
  const [error, setError] = useState<unknown>();
  const r = run.data;

  const resubmit = async (): Promise<void> => {
    setError(undefined);
    try {
      const { runId } = await api.workflows.resubmit(workflow, id);
      navigate(`/workflows/${encodeURIComponent(workflow)}/runs/${runId}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="page" aria-labelledby="run-title">
      <div className="page-head">
        <h1 id="run-title">{workflow}</h1>
      </div>
      <WorkflowTabs name={workflow} current="runs" />
      <ErrorBox error={run.error ?? error} />
      {r && (
        <>
          <div className="run-head card">
            <div>
              <h2>
                Run <span className="mono">{r.id}</span> <Status value={r.status} />
              </h2>
              <p className="muted">
                Started {when(r.startTime)} · {FINAL.has(r.status) ? `took ${duration(r.startTime, r.endTime)}` : 'running…'}
                {r.resubmittedFrom && (
                  <>
                    {' '}· resubmitted from <Link to={`/workflows/${encodeURIComponent(workflow)}/runs/${r.resubmittedFrom}`}>{r.resubmittedFrom}</Link>
                  </>
                )}
              </p>
              {r.error?.message && <p className="error-box">{r.error.message}</p>}
            </div>
            <div className="actions">
              <Link className="button" to={`/workflows/${encodeURIComponent(workflow)}/runs`}>
                All runs
              </Link>
              <button type="button" onClick={resubmit}>
                Resubmit
              </button>
            </div>
          </div>
          <ol className="flow">
            <li className="card step-card" aria-label={`Trigger ${r.trigger.name}`}>
              <div className="card-head">
                <h3>{r.trigger.name}</h3>
                <span className="tag">{r.trigger.type ?? 'trigger'}</span>
                <Status value="Succeeded" />
              </div>
              <p className="muted">Fired {when(r.startTime)}</p>
              <JsonBlock label="Outputs" value={r.trigger.outputs} />
            </li>
            {orderedActions(r).map(([name, a]) => (
              <li key={name} className="card step-card" aria-label={`Action ${name}`}>
                <ActionCard name={name} a={a} />
              </li>
            ))}
          </ol>
          <JsonBlock label="Response" value={r.response} />
        </>
      )}
    </section>
  );
}

function ActionCard({ name, a }: { name: string; a: ActionResult }) {
  return (
    <>
      <div className="card-head">
        <h3>{name}</h3>
        <span className="tag">{a.type}</span>
        <Status value={a.status} />
      </div>
      <p className="muted">
        {a.startTime ? `${when(a.startTime)} · ${duration(a.startTime, a.endTime)}` : 'not started'} · {a.attempts} attempt{a.attempts === 1 ? '' : 's'}
      </p>
      {a.error && (
        <div className="error-box" role="alert">
          {a.error.message ?? a.error.code}
          <Reply smtp={(a.error as { smtp?: { code?: number; response?: string } }).smtp} />
        </div>
      )}
      <JsonBlock label="Inputs" value={a.inputs} />
      <JsonBlock label="Outputs" value={a.outputs} />
      {a.repetitions && a.repetitions.length > 0 && (
        <details className="json-block">
          <summary>{a.repetitions.length} iteration(s)</summary>
          <ol className="repetitions">
            {a.repetitions.map((rep) => (
              <li key={rep.index.join('.')}>
                <Status value={rep.status} /> item {rep.index.join('.')}
                {rep.error?.message && <span className="field-error"> {rep.error.message}</span>}
                <JsonBlock label="Inputs" value={rep.inputs} />
                <JsonBlock label="Outputs" value={rep.outputs} />
              </li>
            ))}
          </ol>
        </details>
      )}
    </>
  );
}

/** Actions in the order they ran; those that never started go last. */
function orderedActions(r: RunDetail): Array<[string, ActionResult]> {
  return Object.entries(r.actions).sort(([, a], [, b]) => (a.startTime ?? '\uffff').localeCompare(b.startTime ?? '\uffff'));
}
