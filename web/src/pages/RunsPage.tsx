import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Status } from '../components/Status';
import { WorkflowTabs } from '../components/WorkflowTabs';
import { duration, when } from '../format';
import { useResource } from '../hooks';
import { Link } from '../router';

/** The run history of one workflow, refreshed while the page is open. */
export function RunsPage({ workflow }: { workflow: string }) {
  const runs = useResource(() => api.workflows.runs(workflow), [workflow], 2000);
  return (
    <section className="page" aria-labelledby="runs-title">
      <div className="page-head">
        <h1 id="runs-title">{workflow}</h1>
      </div>
      <WorkflowTabs name={workflow} current="runs" />
      <ErrorBox error={runs.error} />
      {runs.data?.length === 0 && <p className="empty">No run yet. Runs appear here as soon as the trigger fires.</p>}
      {runs.data && runs.data.length > 0 && (
        <div className="table-wrap">
          <table className="runs">
            <caption className="sr-only">Runs of {workflow}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col" className="wide-only">Trigger</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/workflows/${encodeURIComponent(workflow)}/runs/${r.id}`} className="run-link" aria-label={`Run ${r.id}, ${r.status}`}>
                      <Status value={r.status} />
                      <span className="mono">{r.id}</span>
                    </Link>
                    {r.error?.message && <div className="field-error">{r.error.message}</div>}
                  </td>
                  <td>{when(r.startTime)}</td>
                  <td>{duration(r.startTime, r.endTime)}</td>
                  <td className="wide-only">{r.trigger.name}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
