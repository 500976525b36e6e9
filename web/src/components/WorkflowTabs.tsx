import { Link } from '../router';

/** Designer | Runs, for one saved workflow. */
export function WorkflowTabs({ name, current }: { name: string; current: 'designer' | 'runs' }) {
  const base = `/workflows/${encodeURIComponent(name)}`;
  return (
    <nav className="subnav" aria-label={`Workflow ${name}`}>
      <Link to={base} aria-current={current === 'designer' ? 'page' : undefined}>
        Designer
      </Link>
      <Link to={`${base}/runs`} aria-current={current === 'runs' ? 'page' : undefined}>
        Runs
      </Link>
    </nav>
  );
}
