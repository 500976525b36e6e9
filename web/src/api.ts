import { getKey, signalUnauthorized } from './auth';
import type {
  Connection,
  ConnectionInput,
  ObjectField,
  WatchableObject,
  ConnectionTestReport,
  DkimRecord,
  InboxMessage,
  InboxSummary,
  MessageDetail,
  MessageList,
  RunDetail,
  RunSummary,
  Workflow,
  WorkflowBody,
} from './types';

export interface Problem {
  path: string;
  message: string;
}

/** An answer of the API that is not 2xx; `message` is the API's own sentence, meant for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly problems: Problem[] = [],
    readonly smtp?: { code?: number; enhancedCode?: string; response?: string },
  ) {
    super(message);
  }
}

const enc = encodeURIComponent;

export async function request<T>(method: string, path: string, body?: unknown, key = getKey()): Promise<T> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'NetworkError', 'smtpflow cannot be reached. Is the server running? Check your network and try again.');
  }
  const text = await response.text();
  let parsed: any = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const e = parsed?.error;
    const error = e
      ? new ApiError(response.status, e.code, e.message, e.field, e.problems ?? [], e.smtp)
      : new ApiError(response.status, 'HttpError', `The server answered ${response.status} ${response.statusText}.`);
    if (response.status === 401 && key === getKey()) signalUnauthorized(error.message);
    throw error;
  }
  return parsed as T;
}

/** Fetches a binary or text resource with the key (downloads cannot carry headers via a plain link). */
export async function fetchBlob(path: string): Promise<Blob> {
  const response = await fetch(`/api/v1${path}`, { headers: { authorization: `Bearer ${getKey()}` } });
  if (!response.ok) {
    const body = await response.json().catch(() => undefined);
    throw new ApiError(response.status, body?.error?.code ?? 'HttpError', body?.error?.message ?? `The server answered ${response.status}.`);
  }
  return response.blob();
}

export const api = {
  connections: {
    list: () => request<Connection[]>('GET', '/connections'),
    get: (name: string) => request<Connection>('GET', `/connections/${enc(name)}`),
    create: (input: ConnectionInput | Record<string, unknown>) => request<Connection>('POST', '/connections', input),
    update: (name: string, patch: Partial<ConnectionInput> | Record<string, unknown>) => request<Connection>('PATCH', `/connections/${enc(name)}`, patch),
    remove: (name: string) => request<void>('DELETE', `/connections/${enc(name)}`),
    test: (name: string) => request<ConnectionTestReport>('POST', `/connections/${enc(name)}/test`, {}),
    objects: (name: string) => request<WatchableObject[]>('GET', `/connections/${enc(name)}/objects`),
    fields: (name: string, object: string) => request<ObjectField[]>('GET', `/connections/${enc(name)}/objects/${enc(object)}/fields`),
    dkimKeygen: (name: string, body: { domainName?: string; keySelector?: string }) => request<DkimRecord>('POST', `/connections/${enc(name)}/dkim/keygen`, body),
  },
  messages: {
    list: (status?: string, cursor?: string) => {
      const q = new URLSearchParams({ limit: '50' });
      if (status) q.set('status', status);
      if (cursor) q.set('cursor', cursor);
      return request<MessageList>('GET', `/messages?${q}`);
    },
    get: (id: string) => request<MessageDetail>('GET', `/messages/${enc(id)}`),
    retry: (id: string) => request<unknown>('POST', `/messages/${enc(id)}/retry`, {}),
    cancel: (id: string) => request<unknown>('POST', `/messages/${enc(id)}/cancel`, {}),
  },
  inbox: {
    list: () => request<{ messages: InboxSummary[] }>('GET', '/inbox?limit=200'),
    get: (id: string) => request<InboxMessage>('GET', `/inbox/${enc(id)}`),
    raw: (id: string) => fetchBlob(`/inbox/${enc(id)}/raw`).then((b) => b.text()),
    attachment: (id: string, index: number) => fetchBlob(`/inbox/${enc(id)}/attachments/${index}`),
    clear: () => request<{ deleted: number }>('DELETE', '/inbox'),
  },
  workflows: {
    list: () => request<Workflow[]>('GET', '/workflows'),
    get: (name: string) => request<Workflow>('GET', `/workflows/${enc(name)}`),
    create: (body: WorkflowBody) => request<Workflow>('POST', '/workflows', body),
    save: (name: string, body: WorkflowBody) => request<Workflow>('PUT', `/workflows/${enc(name)}`, body),
    remove: (name: string) => request<void>('DELETE', `/workflows/${enc(name)}`),
    setEnabled: (name: string, on: boolean) => request<Workflow>('POST', `/workflows/${enc(name)}/${on ? 'enable' : 'disable'}`, {}),
    callbackUrl: (name: string, trigger: string) => request<{ value: string; method: string }>('GET', `/workflows/${enc(name)}/triggers/${enc(trigger)}/callback-url`),
    runs: (name: string) => request<RunSummary[] | { items?: RunSummary[]; runs?: RunSummary[]; value?: RunSummary[] }>('GET', `/workflows/${enc(name)}/runs?limit=100`).then(listOf),
    run: (name: string, id: string) => request<RunDetail>('GET', `/workflows/${enc(name)}/runs/${enc(id)}`),
    resubmit: (name: string, id: string) => request<{ runId: string }>('POST', `/workflows/${enc(name)}/runs/${enc(id)}/resubmit`, {}),
  },
};

/** The runs list is an array or a page object depending on the server version; accept both. */
function listOf<T>(answer: T[] | { items?: T[]; runs?: T[]; value?: T[] }): T[] {
  if (Array.isArray(answer)) return answer;
  return answer.items ?? answer.runs ?? answer.value ?? [];
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
