/**
 * /api/v1/swagger2.json is what Logic Apps and Power Automate import as a custom connector: it
 * must be valid Swagger 2.0 (checked by swagger-parser against the official 2.0 schema), and the
 * rewriting of 3.1-only constructs must keep what the 3.1 document says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('the Swagger 2.0 document', () => {
  let t: TestApp;
  let doc: any;
  before(async () => {
    t = await startTestApp();
    doc = (await t.api('GET', '/api/v1/swagger2.json', undefined, { key: null })).body;
  });
  after(() => t.close());

  test('validates as Swagger 2.0, with no JSON Schema 2020 keyword left in it', async () => {
    assert.equal(doc.swagger, '2.0');
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc));
    const text = JSON.stringify(doc);
    for (const keyword of ['anyOf', 'oneOf', 'const', 'writeOnly']) assert.equal(text.includes(`"${keyword}":`), false, `no "${keyword}"`);
  });

  test('unions of constants are enums; unions of connection types are one object; nothing is lost', async () => {
    const status = doc.paths['/api/v1/messages'].get.parameters.find((p: any) => p.name === 'status');
    assert.deepEqual({ type: status.type, enum: status.enum }, { type: 'string', enum: ['queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled'] });
    const body = doc.paths['/api/v1/connections'].post.parameters.find((p: any) => p.in === 'body').schema;
    assert.equal(body.type, 'object');
    for (const property of ['host', 'port', 'security', 'auth', 'instanceUrl', 'connectionString']) assert.ok(body.properties[property], `the ${property} of some connection type`);
    assert.deepEqual(body.required, ['name'], 'only what every connection type requires');
    assert.deepEqual(body.properties.security.enum, ['starttls', 'tls', 'none']);
    const importance = doc.paths['/api/v1/connections/{name}/send-email'].post.parameters.find((p: any) => p.in === 'body').schema.properties.Importance;
    assert.deepEqual(importance.enum, ['High', 'Normal', 'Low']);
  });
});
