import { useId, useState } from 'react';
import { search, type CatalogEntry } from './catalog';

/** A search box over triggers or actions; the results are plain buttons, reachable by Tab. */
export function Picker({ entries, label, onPick, onCancel }: { entries: CatalogEntry[]; label: string; onPick: (e: CatalogEntry) => void; onCancel?: () => void }) {
  const [query, setQuery] = useState('');
  const id = useId();
  const found = search(entries, query);
  return (
    <div className="picker card">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && found.length > 0) onPick(found[0]);
          if (e.key === 'Escape') onCancel?.();
        }}
        placeholder="Search"
        autoFocus
        aria-describedby={`${id}-count`}
      />
      <p id={`${id}-count`} className="sr-only" aria-live="polite">
        {found.length} result{found.length === 1 ? '' : 's'}
      </p>
      <ul className="picker-results">
        {found.map((e) => (
          <li key={e.id}>
            <button type="button" onClick={() => onPick(e)}>
              <span className="picker-title">{e.title}</span>
              <span className="picker-desc">{e.description}</span>
            </button>
          </li>
        ))}
        {found.length === 0 && <li className="muted">Nothing matches “{query}”.</li>}
      </ul>
      {onCancel && (
        <button type="button" className="link-button" onClick={onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}
