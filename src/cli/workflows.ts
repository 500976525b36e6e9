import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { action, ApiClient, CliError, clientOptions, enc, EXIT_CODES_HELP, out, printJson, type ClientFlags } from './client.js';
import { table, when } from './format.js';

interface WorkflowView {
  name: string;
  state: string;
  version: number;
  definition: { triggers?: Record<string, { type: string }>; actions?: Record<string, unknown> };
  parameters?: unknown;
  updatedAt: string;
}

interface RunSummary {
  id: string;
  status: string;
  startTime: string;
  endTime?: string;
  trigger: { name: string };
  error?: { message: string };
}

const triggersOf = (w: WorkflowView): string => Object.entries(w.definition.triggers ?? {}).map(([n, t]) => `${n} (${t.type})`).join(', ');

function readWorkflowFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`${file} is not a workflow JSON object (${(err as Error).message})`);
  }
}

export function registerWorkflows(program: Command): void {
  const workflows = program.command('workflows').description('Logic Apps workflows: import and export definitions, enable, disable, run history');

  clientOptions(workflows.command('import'))
    .argument('<file>', 'JSON: { name, definition, parameters, state }, or a Logic Apps export { name, properties: { definition, … } }')
    .option('--name <name>', 'workflow name (default: the file\'s "name", else the file name without .json)')
    .description('create or replace a workflow from a JSON file (every problem is listed with its JSON path)')
    .addHelpText('after', `\nExample:\n  $ smtpflow workflows import order-confirmation.json\n${EXIT_CODES_HELP}`)
    .action(
      action(async (file: string, flags: ClientFlags & { name?: string }) => {
        const body = readWorkflowFile(file);
        const name = flags.name ?? (typeof body.name === 'string' ? body.name : path.basename(file).replace(/\.json$/i, ''));
        const { status, body: saved } = await new ApiClient(flags).request<WorkflowView>('PUT', `/workflows/${enc(name)}`, { ...body, name });
        out(`${status === 201 ? 'imported' : 'replaced'} workflow '${saved.name}' (version ${saved.version}, ${saved.state})`);
      }),
    );

  clientOptions(workflows.command('export'))
    .argument('<name>')
    .description('print a workflow as JSON ({ name, definition, parameters, state }), ready for import')
    .addHelpText('after', `\nExample:\n  $ smtpflow workflows export order-confirmation > order-confirmation.json\n${EXIT_CODES_HELP}`)
    .action(
      action(async (name: string, flags: ClientFlags) => {
        const { body: w } = await new ApiClient(flags).request<WorkflowView>('GET', `/workflows/${enc(name)}`);
        printJson({ name: w.name, definition: w.definition, parameters: w.parameters, state: w.state });
      }),
    );

  clientOptions(workflows.command('list'))
    .alias('ls')
    .option('--json', 'print JSON')
    .description('list workflows')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(
      action(async (flags: ClientFlags & { json?: boolean }) => {
        const { body: list } = await new ApiClient(flags).request<WorkflowView[]>('GET', '/workflows');
        if (flags.json) return printJson(list);
        if (list.length === 0) return out('no workflows; add one with: smtpflow workflows import FILE');
        out(table(['NAME', 'STATE', 'VERSION', 'TRIGGERS', 'ACTIONS', 'UPDATED'], list.map((w) => [w.name, w.state, String(w.version), triggersOf(w), String(Object.keys(w.definition.actions ?? {}).length), when(w.updatedAt)])));
      }),
    );

  for (const verb of ['enable', 'disable'] as const) {
    clientOptions(workflows.command(verb))
      .argument('<name>')
      .description(verb === 'enable' ? 'enable a workflow: its triggers fire again' : 'disable a workflow: its triggers stop firing (runs under way finish)')
      .addHelpText('after', EXIT_CODES_HELP)
      .action(
        action(async (name: string, flags: ClientFlags) => {
          const { body: w } = await new ApiClient(flags).request<WorkflowView>('POST', `/workflows/${enc(name)}/${verb}`);
          out(`workflow '${w.name}' is ${w.state}`);
        }),
      );
  }

  clientOptions(workflows.command('runs'))
    .argument('<name>')
    .option('--limit <n>', 'how many, newest first', '20')
    .option('--run <id>', 'show one run in full: trigger outputs, every action with inputs, outputs, status, attempts, times')
    .option('--json', 'print JSON')
    .description('the run history of a workflow')
    .addHelpText('after', `\nExamples:\n  $ smtpflow workflows runs order-confirmation\n  $ smtpflow workflows runs order-confirmation --run run_0abc…\n${EXIT_CODES_HELP}`)
    .action(
      action(async (name: string, flags: ClientFlags & { limit: string; run?: string; json?: boolean }) => {
        const client = new ApiClient(flags);
        if (flags.run) return printJson((await client.request('GET', `/workflows/${enc(name)}/runs/${enc(flags.run)}`)).body);
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a whole number of at least 1');
        const { body } = await client.request<{ runs: RunSummary[] }>('GET', `/workflows/${enc(name)}/runs?limit=${limit}`);
        if (flags.json) return printJson(body.runs);
        if (body.runs.length === 0) return out('no runs');
        out(table(['RUN', 'STATUS', 'STARTED', 'TRIGGER', 'ERROR'], body.runs.map((r) => [r.id, r.status, when(r.startTime), r.trigger.name, r.error?.message ?? ''])));
      }),
    );
}
