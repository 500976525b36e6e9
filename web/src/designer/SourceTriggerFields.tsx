import { useContext } from 'react';
import { api, errorText } from '../api';
import { useResource } from '../hooks';
import { ApiConnectionPicker } from './ConnectionPicker';
import { ParametersContext, SourceFieldsContext } from './context';
import { Field } from './Field';
import { RecurrenceEditor } from './RecurrenceEditor';
import { connectionNameOf, sourceInfo, withObject } from './sourceTriggers';

/**
 * "When a record is created" (Salesforce) and "When an item is created" (SQL): the connection,
 * the object type from GET /connections/{name}/objects, the queries, how often to check.
 */
export function SourceTriggerFields({ path, trigger, onChange }: { path: string; trigger: any; onChange: (t: any) => void }) {
  const info = sourceInfo(trigger)!;
  const { parameters } = useContext(ParametersContext);
  const fields = useContext(SourceFieldsContext);
  const connection = connectionNameOf(parameters, info.key);
  const objects = useResource(() => (connection ? api.connections.objects(connection) : Promise.resolve(undefined)), [connection]);
  const queries: Record<string, string> = trigger.inputs?.queries ?? {};
  const setQuery = (key: string, value: string): void => {
    const next = { ...queries, [key]: value };
    if (value === '') delete next[key];
    const inputs = { ...trigger.inputs, queries: next };
    if (Object.keys(next).length === 0) delete inputs.queries;
    onChange({ ...trigger, inputs });
  };
  const noun = info.kind === 'salesforce' ? 'Object type' : 'Table name';
  const known = objects.data ?? [];
  const chosen = info.object ?? '';

  return (
    <>
      <ApiConnectionPicker path={path} reference={trigger.inputs?.host?.connection?.name} type={info.connectionType} />
      <Field path={`${path}.inputs.path`} label={noun} hint={info.kind === 'salesforce' ? 'The kind of record to watch, e.g. Lead' : 'The table whose new rows start a run'}>
        {(p) => (
          <select {...p} value={chosen} disabled={!connection} onChange={(e) => onChange(withObject(trigger, e.target.value))}>
            <option value="">{!connection ? 'Choose a connection first' : objects.loading ? 'Loading…' : `Choose ${info.kind === 'salesforce' ? 'an object type' : 'a table'}…`}</option>
            {known.map((o) => (
              <option key={o.name} value={o.name}>
                {o.label && o.label !== o.name ? `${o.label} (${o.name})` : o.name}
              </option>
            ))}
            {chosen && !known.some((o) => o.name === chosen) && <option value={chosen}>{chosen}</option>}
          </select>
        )}
      </Field>
      {connection && objects.error !== undefined && (
        <p className="error-box" role="alert">
          {errorText(objects.error)}
        </p>
      )}
      {chosen && fields.error !== undefined && <p className="muted">Its fields could not be listed ({errorText(fields.error)}); the whole item is still dynamic content.</p>}
      <details className="advanced" open={Object.keys(queries).length > 0}>
        <summary>Advanced options</summary>
        {info.kind === 'salesforce' && (
          <Field path={`${path}.inputs.queries.$filter`} label="Filter query" hint="OData, e.g. LeadSource eq 'Web' and not startswith(Company, 'Test')">
            {(p) => <input {...p} value={queries.$filter ?? ''} onChange={(e) => setQuery('$filter', e.target.value)} placeholder="LeadSource eq 'Web'" spellCheck={false} />}
          </Field>
        )}
        <Field path={`${path}.inputs.queries.$select`} label="Select query" hint={`The ${info.kind === 'salesforce' ? 'fields' : 'columns'} each run gets, separated by commas; all when empty`}>
          {(p) => <input {...p} value={queries.$select ?? ''} onChange={(e) => setQuery('$select', e.target.value)} placeholder={info.kind === 'salesforce' ? 'FirstName,LastName,Email' : 'id,email'} spellCheck={false} />}
        </Field>
      </details>
      <h4>How often do you want to check for items?</h4>
      <RecurrenceEditor path={`${path}.recurrence`} recurrence={trigger.recurrence} onChange={(recurrence) => onChange({ ...trigger, recurrence })} />
    </>
  );
}
