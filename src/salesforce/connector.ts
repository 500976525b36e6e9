/**
 * A salesforce connection's behaviour for the API (wired in src/connectors): the connection test
 * (log in, list objects), the objects a trigger can watch, and an object's fields (the trigger's
 * dynamic content in the designer).
 */
import type { StoredConnection } from '../connections/repository.js';
import { AppError } from '../errors.js';
import { salesforceSession, type SalesforceSession } from './client.js';
import { salesforceProblem } from './errors.js';
import { isSoqlName } from './soql.js';

interface DescribeGlobal {
  sobjects: Array<{ name: string; label?: string; queryable?: boolean; deprecatedAndHidden?: boolean; customSetting?: boolean }>;
}

interface DescribeObject {
  name: string;
  fields: Array<{ name: string; label?: string; type?: string }>;
}

export interface RecordField {
  name: string;
  label?: string;
  type?: string;
}

interface Step {
  step: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

/** Log in with the connection's grant, then list the objects; the first failure ends the report with its fix. */
export async function testSalesforce(conn: StoredConnection): Promise<{ ok: boolean; steps: Step[]; problem?: { code: string; message: string; fix: string } }> {
  const session = await salesforceSession(conn);
  const steps: Step[] = [];
  const report: { ok: boolean; steps: Step[]; problem?: { code: string; message: string; fix: string } } = { ok: false, steps };
  const run = async (step: string, work: () => Promise<string>): Promise<boolean> => {
    const started = performance.now();
    try {
      steps.push({ step, ok: true, detail: await work(), durationMs: performance.now() - started });
      return true;
    } catch (err) {
      const problem = salesforceProblem(err);
      steps.push({ step, ok: false, detail: problem.message, durationMs: performance.now() - started });
      report.problem = { code: problem.code, message: problem.message, fix: problem.fix };
      return false;
    }
  };
  const grant = String((conn.settings.auth as { type?: string })?.type);
  const loggedIn = await run('login', async () => {
    await session.grant();
    return `access token from ${String(conn.settings.loginUrl)} (${grant} grant); API at ${session.conn.instanceUrl}`;
  });
  if (loggedIn) {
    await run('objects', async () => {
      const objects = await watchable(session);
      const some = objects.slice(0, 3).map((o) => o.name).join(', ');
      return `${objects.length} object type(s) a trigger can watch${some ? ` (${some}${objects.length > 3 ? ', …' : ''})` : ''}`;
    });
  }
  report.ok = steps.every((s) => s.ok);
  return report;
}

/** sObjects from the describe-global call that can be queried (what "Object type" offers). */
export async function salesforceObjects(conn: StoredConnection): Promise<Array<{ name: string; label?: string }>> {
  return upstream(async () => watchable(await salesforceSession(conn)));
}

/** The fields of one sObject, from its describe call. */
export async function salesforceFields(conn: StoredConnection, object: string): Promise<RecordField[]> {
  return (await describeObject(await salesforceSession(conn), object)).fields.map((f) => ({ name: f.name, label: f.label, type: f.type }));
}

export async function describeObject(session: SalesforceSession, object: string): Promise<DescribeObject> {
  if (!isSoqlName(object) || object.includes('.')) {
    throw new AppError(400, 'InvalidObjectName', `'${object}' is not a Salesforce object name (letters, digits and underscores, e.g. Lead or Invoice__c).`, { field: 'object' });
  }
  return upstream(() => session.get<DescribeObject>(`/sobjects/${object}/describe`), object);
}

async function watchable(session: SalesforceSession): Promise<Array<{ name: string; label?: string }>> {
  const { sobjects } = await session.get<DescribeGlobal>('/sobjects');
  return sobjects.filter((o) => o.queryable !== false && !o.deprecatedAndHidden && !o.customSetting).map((o) => ({ name: o.name, label: o.label }));
}

/** A failed call as an API error: 404 for an unknown object, 502 (with the fix) for anything Salesforce refused. */
async function upstream<T>(call: () => Promise<T>, object?: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AppError) throw err;
    const problem = salesforceProblem(err);
    if (object && /NOT_FOUND/.test(problem.message)) {
      throw new AppError(404, 'NotFound', `Salesforce has no object type '${object}' that this connection can see. List them with GET /api/v1/connections/{name}/objects.`);
    }
    throw new AppError(502, problem.code, `Salesforce: ${problem.message}. ${problem.fix}`);
  }
}
