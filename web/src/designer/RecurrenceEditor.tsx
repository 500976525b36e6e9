import { Field } from './Field';

const FREQUENCIES = ['Second', 'Minute', 'Hour', 'Day', 'Week', 'Month'];

/** Logic Apps' recurrence: interval and frequency, and optionally a start time and time zone. */
export function RecurrenceEditor({ path, recurrence, onChange }: { path: string; recurrence: any; onChange: (r: any) => void }) {
  const r = recurrence ?? {};
  const set = (key: string, value: unknown): void => {
    const next = { ...r, [key]: value };
    if (value === '' || value === undefined) delete next[key];
    onChange(next);
  };
  return (
    <div className="grid-2">
      <Field path={`${path}.interval`} label="Interval">
        {(p) => <input {...p} inputMode="numeric" value={String(r.interval ?? '')} onChange={(e) => set('interval', /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value)} />}
      </Field>
      <Field path={`${path}.frequency`} label="Frequency">
        {(p) => (
          <select {...p} value={r.frequency ?? 'Hour'} onChange={(e) => set('frequency', e.target.value)}>
            {FREQUENCIES.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        )}
      </Field>
      <Field path={`${path}.startTime`} label="Start time" hint="e.g. 2026-01-01T09:00:00">
        {(p) => <input {...p} value={r.startTime ?? ''} onChange={(e) => set('startTime', e.target.value)} />}
      </Field>
      <Field path={`${path}.timeZone`} label="Time zone" hint="e.g. Europe/Paris or W. Europe Standard Time">
        {(p) => <input {...p} value={r.timeZone ?? ''} onChange={(e) => set('timeZone', e.target.value)} />}
      </Field>
    </div>
  );
}
