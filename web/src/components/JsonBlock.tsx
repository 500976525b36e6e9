import { json } from '../format';

export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  if (value === undefined) return null;
  return (
    <details className="json-block">
      <summary>{label}</summary>
      <pre tabIndex={0}>{json(value)}</pre>
    </details>
  );
}
