import { useId, useLayoutEffect, useState, type FormEvent } from 'react';
import { ApiError, api, errorText } from '../api';
import type { Connection, ConnectionType } from '../types';
import type { ConnectionKind, Draft, FieldRenderer } from './connection/kinds';
import { postgresKind } from './connection/postgres';
import { salesforceKind } from './connection/salesforce';
import { smtpKind } from './connection/smtp';

export const CONNECTION_KINDS: Record<ConnectionType, ConnectionKind> = { smtp: smtpKind, salesforce: salesforceKind, postgres: postgresKind };
const ALL_TYPES: ConnectionType[] = ['smtp', 'salesforce', 'postgres'];

/**
 * Creates or edits a connection of any type: the type is chosen first (when creating), then
 * that type's fields. Secrets are write-only: a blank secret field keeps the stored one.
 */
export function ConnectionForm({
  existing,
  onSaved,
  onCancel,
  compact,
  types = ALL_TYPES,
}: {
  existing?: Connection;
  onSaved: (c: Connection) => void;
  onCancel?: () => void;
  compact?: boolean;
  /** The types this form may create (an inline form offers only what its step needs). */
  types?: ConnectionType[];
}) {
  const [type, setType] = useState<ConnectionType>(() => (existing?.type as ConnectionType) ?? types[0]);
  const kind = CONNECTION_KINDS[type] ?? smtpKind;
  const [name, setName] = useState(existing?.name ?? '');
  const [drafts, setDrafts] = useState<Partial<Record<ConnectionType, Draft>>>(() => ({ [kind.type]: kind.draftOf(existing) }));
  const draft = drafts[type] ?? kind.draftOf();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  const set = (patch: Draft): void => setDrafts((prev) => ({ ...prev, [type]: { ...(prev[type] ?? kind.draftOf()), ...patch } }));

  const problemField = error instanceof ApiError && error.field !== undefined ? (error.field === 'name' ? 'name' : kind.fieldOf(error.field)) : undefined;
  const fieldError = (field: string): string | undefined => (problemField === field ? (error as ApiError).message : undefined);
  // The field of a problem is brought into view (its Advanced section opened) and focused; a field
  // the form does not show right now (another provider's) leaves the problem in the box below.
  const [fieldShown, setFieldShown] = useState(true);
  useLayoutEffect(() => {
    if (problemField === undefined) return;
    const control = document.getElementById(`${id}-${problemField}`);
    setFieldShown(control !== null);
    if (!control) return;
    const details = control.closest('details');
    if (details) details.open = true;
    control.focus();
  }, [error, problemField, id]);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const saved = existing ? await api.connections.update(existing.name, kind.bodyOf(draft, existing)) : await api.connections.create({ name: name.trim(), ...kind.bodyOf(draft) });
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field: FieldRenderer = (fieldName, label, control, hint) => {
    const fid = `${id}-${fieldName}`;
    const problem = fieldError(fieldName);
    const describedBy = [hint ? `${fid}-hint` : '', problem ? `${fid}-error` : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div className="field">
        <label htmlFor={fid}>{label}</label>
        {control({ id: fid, 'aria-invalid': problem ? true : undefined, 'aria-describedby': describedBy })}
        {hint && <small id={`${fid}-hint`} className="hint">{hint}</small>}
        {problem && <small id={`${fid}-error`} className="field-error" role="alert">{problem}</small>}
      </div>
    );
  };

  const title = existing ? `Edit ${existing.name}` : `New ${kind.title} connection`;
  const Fields = kind.Fields;
  return (
    <form className={compact ? 'connection-form compact' : 'connection-form card'} onSubmit={submit} aria-label={existing ? `Edit connection ${existing.name}` : title}>
      {!compact && <h2>{title}</h2>}
      <div className="grid-2">
        {!existing && types.length > 1 &&
          field('type', 'Connection type', (p) => (
            <select {...p} value={type} onChange={(e) => setType(e.target.value as ConnectionType)}>
              {types.map((t) => (
                <option key={t} value={t}>
                  {CONNECTION_KINDS[t].title}
                </option>
              ))}
            </select>
          ), kind.purpose)}
        {field('name', 'Connection name', (p) => <input {...p} required value={name} disabled={!!existing} onChange={(e) => setName(e.target.value)} placeholder={type === 'smtp' ? 'e.g. office-mail' : type === 'salesforce' ? 'e.g. crm' : 'e.g. orders-db'} />)}
      </div>
      <Fields draft={draft} set={set} existing={existing} field={field} id={id} onError={setError} />
      {error !== undefined && (problemField === undefined || !fieldShown) && (
        <p className="error-box" role="alert">
          {errorText(error)}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : existing ? 'Save changes' : 'Create connection'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
