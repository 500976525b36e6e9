import { useId, useRef, useState } from 'react';
import { Field } from './Field';
import { useTokens, type Token } from './context';

/**
 * A text field that also takes dynamic content: picking a trigger field or an earlier step's
 * output inserts its `@{…}` token at the caret, as the Logic Apps designer does.
 */
export function ExpressionInput({
  path,
  label,
  value,
  onChange,
  multiline,
  placeholder,
  hint,
}: {
  path: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  multiline?: boolean;
  placeholder?: string;
  hint?: string;
}) {
  const tokens = useTokens();
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState('');
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const panelId = useId();

  const insert = (token: Token): void => {
    const el = ref.current;
    const text = `@{${token.expression}}`;
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    onChange(value.slice(0, start) + text + value.slice(end));
    setOpen(false);
    setFilter('');
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + text.length, start + text.length);
    });
  };

  const shown = tokens.filter((t) => `${t.group} ${t.label}`.toLowerCase().includes(filter.toLowerCase()));
  const groups = [...new Set(shown.map((t) => t.group))];

  const button = (
    <button type="button" className="dynamic-toggle" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)} aria-label={`Add dynamic content to ${label}`}>
      ⚡ Dynamic content
    </button>
  );

  const panel = open && (
    <div
      id={panelId}
      className="dynamic-panel"
      role="group"
      aria-label={`Dynamic content for ${label}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          setOpen(false);
          ref.current?.focus();
        }
      }}
    >
      <input type="search" aria-label="Search dynamic content" placeholder="Search dynamic content" value={filter} onChange={(e) => setFilter(e.target.value)} autoFocus />
      {tokens.length === 0 && <p className="muted">No dynamic content here yet. Give the trigger a JSON schema (or a sample payload) to pick its fields.</p>}
      {groups.map((g) => (
        <div key={g}>
          <p className="dynamic-group">{g}</p>
          <ul>
            {shown
              .filter((t) => t.group === g)
              .map((t) => (
                <li key={t.expression}>
                  <button type="button" className="token" onClick={() => insert(t)} title={`@{${t.expression}}`}>
                    {t.label}
                    {t.hint && <span className="muted"> · {t.hint}</span>}
                  </button>
                </li>
              ))}
          </ul>
        </div>
      ))}
    </div>
  );

  return (
    <Field path={path} label={label} hint={hint} after={<>{button}{panel}</>}>
      {(p) =>
        multiline ? (
          <textarea {...p} ref={ref} rows={4} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
        ) : (
          <input {...p} ref={ref} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
        )
      }
    </Field>
  );
}
