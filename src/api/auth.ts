import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { KeyRepository, Principal, Scope } from '../keys/repository.js';

/** Which scopes may call a route of a given scope: `read` routes are open to senders too (to follow their 202s). */
const ALLOWED: Record<Scope, readonly Scope[]> = {
  admin: ['admin'],
  send: ['admin', 'send'],
  read: ['admin', 'send', 'read'],
};

export function installAuth(app: FastifyInstance, keys: KeyRepository): void {
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (!request.url.startsWith('/api/') || scope === 'public' || request.routeOptions.url === undefined) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new AppError(401, 'Unauthorized', 'Send an API key as "Authorization: Bearer <key>". The admin key is printed when smtpflow first starts.');
    }
    const principal = await keys.verify(match[1]);
    if (!principal) throw new AppError(401, 'Unauthorized', 'The API key is not valid (mistyped, or revoked). Create a new one with POST /api/v1/keys or `smtpflow keys create`.');
    const required = scope ?? 'admin';
    if (!ALLOWED[required].includes(principal.scope)) {
      throw new AppError(403, 'Forbidden', `This API key has the '${principal.scope}' scope; this operation needs '${required}'.`);
    }
    request.principal = principal;
  });
}

/** 403 unless the caller may send through the named connection. */
export function assertMayUseConnection(request: FastifyRequest, connection: string): void {
  const principal = request.principal as Principal;
  if (principal.scope === 'admin' || principal.connections === null) return;
  if (!principal.connections.includes(connection)) {
    throw new AppError(403, 'ConnectionNotAllowed', `This API key may send only through: ${principal.connections.join(', ')}. Use one of those, or a key that allows '${connection}'.`);
  }
}
