// HS256 bearer tokens for the auth tests, signed with Node's crypto (the same kind of token
// `metadata-synergy dev-token` prints): base64url(header) "." base64url(claims) "." HMAC-SHA256.

import crypto from 'node:crypto';

/** The secret the auth tests start the subgraph with (`--jwt-hs256-secret`). */
export const TEST_JWT_SECRET = 'gateway-suite-hs256-secret-not-for-production';

const base64url = (value) => Buffer.from(value).toString('base64url');

/**
 * A signed HS256 JWT with `sub`, a space-separated `scope`, `iat` and `exp` (one hour), plus any
 * `claims` given.
 */
export function signToken({ subject, scopes = [], secret = TEST_JWT_SECRET, claims = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: subject, scope: scopes.join(' '), iat: now, exp: now + 3600, ...claims };
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
  const signature = crypto.createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** `{ authorization: 'Bearer …' }` for a token, or no header at all without one. */
export function bearer(token) {
  return token ? { authorization: `Bearer ${token}` } : {};
}
