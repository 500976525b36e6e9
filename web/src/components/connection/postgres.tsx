import { createBody, KEPT, text, type ConnectionKind } from './kinds';

export const postgresKind: ConnectionKind = {
  type: 'postgres',
  title: 'PostgreSQL',
  purpose: 'A PostgreSQL database whose new table rows start workflows.',
  draftOf: (c) => ({ connectionString: '', schema: c?.schema ?? '', ssl: c?.ssl ?? '', ca: c?.ca ?? '' }),
  bodyOf(d, before) {
    const body: Record<string, unknown> = { schema: text(d.schema) || null, ssl: d.ssl || null, ca: text(d.ca) || null };
    if (text(d.connectionString) !== '') body.connectionString = text(d.connectionString);
    return before ? body : { type: 'postgres', ...createBody(body) };
  },
  fieldOf: (apiField) => (['connectionString', 'schema', 'ssl', 'ca'].includes(apiField) ? apiField : undefined),
  Fields({ draft: d, set, existing, field }) {
    const kept = existing?.secretsSet.includes('connectionString');
    return (
      <>
        {field('connectionString', 'Connection string', (p) => (
          <input {...p} type="password" required={!kept} value={String(d.connectionString)} onChange={(e) => set({ connectionString: e.target.value })} autoComplete="new-password" autoCapitalize="off" placeholder={kept ? KEPT : 'postgres://user:password@host:5432/database'} />
        ), 'It holds the password, so it is stored encrypted and never shown again.')}
        <div className="grid-2">
          {field('schema', 'Schema', (p) => <input {...p} value={String(d.schema)} onChange={(e) => set({ schema: e.target.value })} placeholder="public" autoCapitalize="off" />, 'Of table names given without one.')}
          {field('ssl', 'TLS', (p) => (
            <select {...p} value={String(d.ssl)} onChange={(e) => set({ ssl: e.target.value })}>
              <option value="">As the connection string says</option>
              <option value="require">Required, certificate not checked</option>
              <option value="verify-full">Required, certificate and host name verified</option>
              <option value="disable">Off</option>
            </select>
          ))}
        </div>
        {d.ssl === 'verify-full' && field('ca', 'Extra trusted CA (PEM)', (p) => <textarea {...p} rows={3} value={String(d.ca)} onChange={(e) => set({ ca: e.target.value })} placeholder="-----BEGIN CERTIFICATE-----" />)}
      </>
    );
  },
};
