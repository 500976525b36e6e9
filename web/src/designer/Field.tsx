import { useId, type ReactNode } from 'react';
import { useProblems } from './context';

export interface ControlProps {
  id: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}

/**
 * A labelled designer field that shows the Save problems at its JSON path (`data-path` lets
 * the problem list move focus here).
 */
export function Field({ path, label, hint, children, after, exact }: { path: string; label: string; hint?: string; children: (p: ControlProps) => ReactNode; after?: ReactNode; exact?: boolean }) {
  const id = useId();
  const problems = useProblems(path, exact);
  const describedBy = [hint ? `${id}-hint` : '', problems.length ? `${id}-problems` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${problems.length ? 'invalid' : ''}`} data-path={path}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': problems.length ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {problems.length > 0 && (
        <ul id={`${id}-problems`} className="field-problems">
          {problems.map((p, i) => (
            <li key={i} className="field-error">
              {p.message}
            </li>
          ))}
        </ul>
      )}
      {after}
    </div>
  );
}
