import { useState } from 'react';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Status } from '../components/Status';
import { when } from '../format';
import { useResource } from '../hooks';
import { Link } from '../router';
import type { Workflow } from '../types';

export function WorkflowsPage() {
  const list = useResource(() => api.workflows.list(), []);
  return (
    <section className="page" aria-labelledby="workflows-title">
      <div className="page-head">
        <h1 id="workflows-title">Workflows</h1>
        <Link to="/workflows/new" className="button primary">
          + New workflow
        </Link>
      </div>
      <p className="muted">A trigger, then actions: each run is recorded in the workflow's run history.</p>
      <ErrorBox error={list.error} />
      {list.data?.length === 0 && <p className="empty">No workflow yet. Create one: pick a trigger, then add a “SMTP - Send Email” step.</p>}
      <ul className="card-list">
        {list.data?.map((w) => <WorkflowItem key={w.name} w={w} onChanged={() => void list.reload()} />)}
      </ul>
    </section>
  );
}

function WorkflowItem({ w, onChanged }: { w: Workflow; onChanged: () => void }) {
  const [error, setError] = useState<unknown>();
  const [confirming, setConfirming] = useState(false);
  const triggers = Object.entries(w.definition.triggers ?? {});
  const act = async (f: () => Promise<unknown>): Promise<void> => {
    setError(undefined);
    try {
      await f();
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <li className="card" aria-label={`Workflow ${w.name}`}>
      <div className="card-head">
        <h2>
          <Link to={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link>
        </h2>
        <Status value={w.state} />
      </div>
      <p className="muted">
        {triggers.map(([name, t]) => `${name} (${t.type})`).join(', ') || 'no trigger'} · {Object.keys(w.definition.actions ?? {}).length} action(s) · saved {when(w.updatedAt)}
      </p>
      <div className="actions">
        <Link className="button" to={`/workflows/${encodeURIComponent(w.name)}`}>
          Edit
        </Link>
        <Link className="button" to={`/workflows/${encodeURIComponent(w.name)}/runs`}>
          Runs
        </Link>
        <button type="button" onClick={() => act(() => api.workflows.setEnabled(w.name, w.state !== 'Enabled'))}>
          {w.state === 'Enabled' ? 'Disable' : 'Enable'}
        </button>
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={() => act(() => api.workflows.remove(w.name))}>
              Delete {w.name} and its runs
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="danger-outline" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </div>
      <ErrorBox error={error} />
    </li>
  );
}
