import { useContext, useState } from 'react';
import { CONNECTION_KINDS, ConnectionForm } from '../components/ConnectionForm';
import type { ConnectionType } from '../types';
import { ConnectionsContext, ParametersContext } from './context';
import { Field } from './Field';
import { connectionKeyOf, connectionNameOf } from './sourceTriggers';

const NONE_YET: Record<ConnectionType, string> = {
  smtp: 'No SMTP connection yet: create one here to send email through it.',
  salesforce: 'No Salesforce connection yet: sign in to your org here to watch its records.',
  postgres: 'No PostgreSQL connection yet: create one here to watch its tables.',
};

/** Chooses a connection of one type, and creates one inline (the seed: "create the connection in the card if none exists"). */
export function ConnectionPicker({ path, value, onChange, type = 'smtp' }: { path: string; value: string; onChange: (name: string) => void; type?: ConnectionType }) {
  const connections = useContext(ConnectionsContext);
  const names = connections.all.filter((c) => c.type === type).map((c) => c.name);
  const none = connections.loaded && names.length === 0;
  const [creating, setCreating] = useState(false);
  const showForm = creating || none;
  const title = CONNECTION_KINDS[type].title;
  return (
    <div className="connection-picker">
      {!none && (
        <Field path={path} label="Connection">
          {(p) => (
            <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
              <option value="">Choose a{type === 'smtp' ? 'n' : ''} {title} connection…</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
              {value && !names.includes(value) && <option value={value}>{value} (missing)</option>}
            </select>
          )}
        </Field>
      )}
      {none && <p className="notice">{NONE_YET[type]}</p>}
      {!showForm && (
        <button type="button" className="link-button" onClick={() => setCreating(true)}>
          + New connection
        </button>
      )}
      {showForm && (
        <div className="inline-connection" role="region" aria-label="Create a connection">
          <ConnectionForm
            compact
            types={[type]}
            onSaved={async (c) => {
              await connections.reload();
              onChange(c.name);
              setCreating(false);
            }}
            onCancel={none ? undefined : () => setCreating(false)}
          />
        </div>
      )}
    </div>
  );
}

/**
 * Logic Apps' form names the connection through `$connections`:
 * `@parameters('$connections')['smtp']['connectionId']` → `parameters.$connections.value.smtp`.
 */
export function ApiConnectionPicker({ path, reference, type = 'smtp' }: { path: string; reference: unknown; type?: ConnectionType }) {
  const { parameters, setParameters } = useContext(ParametersContext);
  const key = connectionKeyOf(reference);
  if (!key) return <p className="muted">Connection: {String(reference ?? 'none')} (edit it in the code view).</p>;
  const entries = parameters.$connections?.value ?? {};
  const set = (name: string): void =>
    setParameters({ ...parameters, $connections: { ...(parameters.$connections ?? {}), value: { ...entries, [key]: { ...(entries[key] ?? {}), connectionName: name } } } });
  return <ConnectionPicker path={`${path}.inputs.host.connection.name`} value={connectionNameOf(parameters, key) ?? ''} onChange={set} type={type} />;
}
