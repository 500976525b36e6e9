/** The oauth room's public face: OAuth2 access tokens (RFC 6749), shared through the database. */
export { OAuthTokens } from './tokens.js';
export type { AccessToken, OAuthTokensOptions } from './tokens.js';
export { OAuthTokenError, requestToken, grantName } from './token-client.js';
export type { TokenRequest, IssuedToken, TokenFailure } from './token-client.js';
