import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';

interface ClientFlags {
  url?: string;
  key?: string;
}

/** A small API client of its own (the shared one may not exist yet); same env variables as the other commands. */
async function call(flags: ClientFlags, method: string, urlPath: string, body?: unknown): Promise<any> {
  const base = (flags.url ?? process.env.SMTPFLOW_URL ?? `http://127.0.0.1:${process.env.SMTPFLOW_PORT || 8080}`).replace(/\/+$/, '');
  const key = flags.key ?? process.env.SMTPFLOW_API_KEY ?? process.env.SMTPFLOW_ADMIN_KEY;
  if (!key) throw new Error('no API key: pass --key or set SMTPFLOW_API_KEY (the admin key is printed when smtpflow first starts).');
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1${urlPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new Error(`cannot reach smtpflow at ${base} (${(err as Error).message}); is it running? Set --url or SMTPFLOW_URL.`);
  }
  const text = await response.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = (parsed as { error?: { message?: string; problems?: Array<{ path: string; message: string }> } })?.error;
    const problems = error?.problems?.map((p) => `\n  ${p.path || '(body)'}: ${p.message}`).join('') ?? '';
    throw new Error(`${response.status}: ${error?.problems ? `the workflow has ${error.problems.length} problem(s):` : (error?.message ?? text)}${problems}`);
  }
  return parsed;
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const print = (value: unknown): void => void process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
const enc = encodeURIComponent;

export function registerWorkflows(program: Command): void {
  const workflows = program
    .command('workflows')
    .description('Logic Apps workflows: import and export definitions, enable, disable, run history')
    .option('--url <url>', 'smtpflow base URL (SMTPFLOW_URL, default http://127.0.0.1:8080)')
    .option('--key <key>', 'API key (SMTPFLOW_API_KEY)');
  const flags = (): ClientFlags => workflows.opts<ClientFlags>();

  workflows
    .command('import')
    .argument('<file>', 'a workflow JSON file: { name, definition, parameters, state }, or a Logic Apps export { properties: { definition, … } }')
    .option('--name <name>', 'workflow name (default: the file\'s "name", else the file name)')
    .description('create or replace a workflow from a JSON file')
    .action(async (file: string, options: { name?: string }) => {
      const body = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      const name = options.name ?? (typeof body.name === 'string' ? body.name : path.basename(file).replace(/\.json$/i, ''));
      const saved = await call(flags(), 'PUT', `/workflows/${enc(name)}`, { ...body, name });
      print(`imported workflow '${saved.name}' (version ${saved.version}, ${saved.state})`);
    });

  workflows
    .command('export')
    .argument('<name>')
    .description('print a workflow as JSON ({ name, definition, parameters, state }), ready for import')
    .action(async (name: string) => {
      const w = await call(flags(), 'GET', `/workflows/${enc(name)}`);
      print({ name: w.name, definition: w.definition, parameters: w.parameters, state: w.state });
    });

  workflows
    .command('list')
    .option('--json', 'print JSON')
    .description('list workflows')
    .action(async (options: { json?: boolean }) => {
      const list = (await call(flags(), 'GET', '/workflows')) as Array<{ name: string; state: string; definition: { triggers?: Record<string, { type: string }> }; updatedAt: string }>;
      if (options.json) return print(list);
      if (list.length === 0) return print('no workflows');
      for (const w of list) {
        const triggers = Object.entries(w.definition.triggers ?? {}).map(([n, t]) => `${n} (${t.type})`).join(', ');
        print(`${w.name.padEnd(30)} ${w.state.padEnd(9)} ${triggers}`);
      }
    });

  for (const verb of ['enable', 'disable'] as const) {
    workflows
      .command(verb)
      .argument('<name>')
      .description(`${verb} a workflow's triggers`)
      .action(async (name: string) => {
        const w = await call(flags(), 'POST', `/workflows/${enc(name)}/${verb}`);
        print(`workflow '${w.name}' is ${w.state}`);
      });
  }

  workflows
    .command('runs')
    .argument('<name>')
    .option('--limit <n>', 'how many, newest first', '20')
    .option('--run <id>', 'show one run in full')
    .option('--json', 'print JSON')
    .description('the run history of a workflow')
    .action(async (name: string, options: { limit: string; run?: string; json?: boolean }) => {
      if (options.run) return print(await call(flags(), 'GET', `/workflows/${enc(name)}/runs/${enc(options.run)}`));
      const { runs } = (await call(flags(), 'GET', `/workflows/${enc(name)}/runs?limit=${Number(options.limit) || 20}`)) as {
        runs: Array<{ id: string; status: string; startTime: string; endTime?: string; trigger: { name: string }; error?: { message: string } }>;
      };
      if (options.json) return print(runs);
      if (runs.length === 0) return print('no runs');
      for (const r of runs) print(`${r.id}  ${r.status.padEnd(9)} ${r.startTime}  ${r.trigger.name}${r.error ? `  ${r.error.message}` : ''}`);
    });
}
