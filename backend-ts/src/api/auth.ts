// Optional authentication, off by default as in Pyroscope: `auth.tokens` in the YAML config maps credentials to
// tenants, the way the real SDKs send them (Bearer from authToken, Basic from basicAuthUser/basicAuthPassword).
// With it on, every request but /ready needs a valid credential, or it gets a 401 and nothing else: the check
// runs before the body is read and before any route. The credential decides the tenant; an X-Scope-OrgID that
// names another tenant is refused rather than trusted.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AuthToken } from '../config/config.js';
import { errorBody } from './errors.js';
import { AuthError, validateTenant } from './tenant.js';

const digest = (s: string): string => createHash('sha256').update(s).digest('base64');

export class Authenticator {
  /** By the digest of the secret, so that lookups compare digests, never the secrets themselves. */
  private readonly tokens = new Map<string, string>();
  private readonly pairs = new Map<string, string>();

  constructor(list: AuthToken[]) {
    for (const t of list) {
      try {
        validateTenant(t.tenant);
      } catch (e) {
        throw new Error(`auth.tokens: ${(e as Error).message}`);
      }
      if (t.token !== undefined) {
        this.tokens.set(digest(t.token), t.tenant);
      } else {
        this.pairs.set(digest(`${t.username}:${t.password}`), t.tenant);
      }
    }
  }

  get enabled(): boolean {
    return this.tokens.size + this.pairs.size > 0;
  }

  /** The tenant the Authorization header grants, or an AuthError saying what is missing. */
  authenticate(authorization: string | undefined, orgId: string | undefined): string {
    const tenant = this.tenantOf(authorization);
    if (orgId && orgId.trim() !== tenant) {
      throw new AuthError('the credential is not valid for the tenant named in X-Scope-OrgID');
    }
    return tenant;
  }

  private tenantOf(authorization: string | undefined): string {
    if (!authorization) {
      throw new AuthError('authentication required: send Authorization: Bearer <token> or Basic credentials');
    }
    const sp = authorization.indexOf(' ');
    const scheme = authorization.slice(0, sp < 0 ? undefined : sp).toLowerCase();
    const value = sp < 0 ? '' : authorization.slice(sp + 1).trim();
    if (scheme === 'bearer') {
      const t = this.tokens.get(digest(value));
      if (t) {
        return t;
      }
    } else if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const t =
        this.pairs.get(digest(decoded)) ?? (colon >= 0 ? this.tokens.get(digest(decoded.slice(colon + 1))) : undefined);
      if (t) {
        return t;
      }
    } else {
      throw new AuthError('unsupported Authorization scheme: use Bearer or Basic');
    }
    throw new AuthError('invalid credentials');
  }
}

/** Puts the check in front of every route but /ready; the granted tenant becomes the request's X-Scope-OrgID. */
export function registerAuth(app: FastifyInstance, auth: Authenticator, onReject?: (status: number) => void): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (req.url === '/ready') {
      done();
      return;
    }
    try {
      const h = req.raw.headers;
      const tenant = auth.authenticate(h.authorization, h['x-scope-orgid'] as string | undefined);
      // the Connect routes read headers from the raw request: both route kinds see the granted tenant
      h['x-scope-orgid'] = tenant;
      done();
    } catch (e) {
      onReject?.(401);
      reply
        .code(401)
        .header('www-authenticate', 'Bearer, Basic realm="pyroscope"')
        .header('connection', 'close')
        .type('application/json')
        .send(errorBody(401, e));
    }
  });
}
