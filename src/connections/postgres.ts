import { Type, type Static } from '@sinclair/typebox';
import { ConnectionName } from './schema.js';

/**
 * A PostgreSQL database as a trigger source (SPEC §2): "SQL – When an item is created" watches
 * its tables. The connection string carries the password, so the whole string is write-only
 * (SECRET_PATHS.postgres): sealed at rest, never returned, never put in a message.
 */
export const PostgresConnectionInput = Type.Object(
  {
    name: ConnectionName,
    type: Type.Literal('postgres'),
    connectionString: Type.String({
      pattern: '^postgres(ql)?://',
      maxLength: 4096,
      writeOnly: true,
      description: 'postgres://user:password@host:5432/database (libpq URL form; ?sslmode=… is honoured)',
    }),
    schema: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'the schema of unqualified table names and of GET /objects (default "public")' })),
    ssl: Type.Optional(
      Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-full')], {
        description: '"require": encrypt without checking the certificate; "verify-full": encrypt and verify certificate and host name (add `ca` for a private CA); default: as the connection string says',
      }),
    ),
    ca: Type.Optional(Type.String({ maxLength: 65536, description: 'extra trusted CA certificate(s), PEM, for ssl "verify-full"' })),
  },
  { additionalProperties: false },
);
export type PostgresConnection = Static<typeof PostgresConnectionInput>;
