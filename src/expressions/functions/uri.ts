import { fail, str } from '../values.js';
import { define, type FunctionDef } from './types.js';

function url(v: unknown): URL {
  try {
    return new URL(str(v, 'uri'));
  } catch {
    return fail(`'${String(v).slice(0, 60)}' is not an absolute URI`);
  }
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ftp:': 21 };

export const uriFunctions: FunctionDef[] = [
  define('uri', 'uriHost(uri)', { description: 'The host of a URI.', call: ([v]) => url(v).hostname }),
  define('uri', 'uriPath(uri)', { description: 'The path of a URI ("/" when none).', call: ([v]) => url(v).pathname || '/' }),
  define('uri', 'uriPathAndQuery(uri)', { description: 'The path and query of a URI.', call: ([v]) => (url(v).pathname || '/') + url(v).search }),
  define('uri', 'uriQuery(uri)', { description: 'The query of a URI, with its "?".', call: ([v]) => url(v).search }),
  define('uri', 'uriScheme(uri)', { description: 'The scheme of a URI.', call: ([v]) => url(v).protocol.replace(/:$/, '') }),
  define('uri', 'uriPort(uri)', {
    description: "The port of a URI (the scheme's default when none).",
    call: ([v]) => {
      const u = url(v);
      return u.port ? Number(u.port) : (DEFAULT_PORTS[u.protocol] ?? fail(`'${u.protocol}' has no default port`));
    },
  }),
];
