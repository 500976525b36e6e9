import { Type, type Static } from '@sinclair/typebox';
import { ConnectionName } from './schema.js';

/**
 * A Salesforce org as a trigger source (SPEC §2): where to log in, and one of the four OAuth 2.0
 * grants a Connected App offers. Secret fields (writeOnly) are listed in SECRET_PATHS.salesforce, sealed at rest, never returned.
 */
const clientId = Type.String({ minLength: 1, maxLength: 512, description: "the Connected App's consumer key" });
const clientSecret = Type.String({ minLength: 1, maxLength: 4096, writeOnly: true, description: "the Connected App's consumer secret" });
const username = Type.String({ minLength: 1, maxLength: 512, description: 'the Salesforce user name the app acts as' });

export const SalesforceAuth = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('clientCredentials'), clientId, clientSecret },
      { additionalProperties: false, description: 'Client credentials flow: the Connected App runs as its configured "Run As" user; loginUrl must be your My Domain URL' },
    ),
    Type.Object(
      {
        type: Type.Literal('jwtBearer'),
        clientId,
        username,
        privateKey: Type.String({ minLength: 1, maxLength: 16384, writeOnly: true, description: 'PEM private key whose certificate is uploaded to the Connected App' }),
        audience: Type.Optional(Type.String({ description: 'the JWT "aud": https://login.salesforce.com (default: loginUrl), https://test.salesforce.com for sandboxes' })),
      },
      { additionalProperties: false, description: 'JWT bearer flow: a signed assertion for a pre-authorized user, no secret exchanged' },
    ),
    Type.Object(
      {
        type: Type.Literal('refreshToken'),
        clientId,
        clientSecret: Type.Optional(clientSecret),
        refreshToken: Type.String({ minLength: 1, maxLength: 4096, writeOnly: true, description: 'a refresh token obtained once through the web server flow' }),
      },
      { additionalProperties: false, description: 'Refresh token flow: a new access token from a long-lived refresh token' },
    ),
    Type.Object(
      {
        type: Type.Literal('password'),
        clientId,
        clientSecret,
        username,
        password: Type.String({ minLength: 1, maxLength: 4096, writeOnly: true }),
        securityToken: Type.Optional(Type.String({ maxLength: 512, writeOnly: true, description: "appended to the password, for logins from outside the org's trusted IP ranges" })),
      },
      { additionalProperties: false, description: 'Username-password flow, for older orgs that still allow it' },
    ),
  ],
  { description: 'how smtpflow gets an access token' },
);

export const SalesforceConnectionInput = Type.Object(
  {
    name: ConnectionName,
    type: Type.Literal('salesforce'),
    loginUrl: Type.String({ pattern: '^https?://[^\\s/]+', description: 'https://login.salesforce.com, https://test.salesforce.com, or your My Domain URL (https://example.my.salesforce.com)' }),
    instanceUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+', description: "the org's API host, when it must differ from the instance_url the token answer names" })),
    apiVersion: Type.Optional(Type.String({ pattern: '^\\d{2,3}\\.0$', description: 'REST API version, e.g. "62.0" (the default)' })),
    auth: SalesforceAuth,
  },
  { additionalProperties: false },
);
export type SalesforceConnectionInput = Static<typeof SalesforceConnectionInput>;
export type SalesforceAuth = Static<typeof SalesforceAuth>;
