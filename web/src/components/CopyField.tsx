import { useEffect, useState } from 'react';

/**
 * A value to take elsewhere (a URL, a DNS record): read-only, selected on focus, and a Copy
 * button that says when it worked. Long values (given `rows`) wrap in a text area, so that they can be read on a phone.
 */
export function CopyField({ id, label, value, rows }: { id: string; label: string; value: string; rows?: number }) {
  const [copied, setCopied] = useState<'yes' | 'no'>();
  useEffect(() => setCopied(undefined), [value]);

  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      // No clipboard (plain http on another host, or permission refused): the value is selectable.
      setCopied('no');
    }
  };

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        {rows ? (
          <textarea id={id} className="code-input" readOnly rows={rows} value={value} onFocus={(e) => e.target.select()} spellCheck={false} />
        ) : (
          <input id={id} readOnly value={value} onFocus={(e) => e.target.select()} />
        )}
        <button type="button" onClick={() => void copy()}>
          Copy<span className="sr-only"> {label}</span>
        </button>
      </div>
      <small className="hint" role="status">
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'The browser did not allow copying: select the text and copy it yourself.' : ''}
      </small>
    </div>
  );
}
