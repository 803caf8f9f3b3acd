// Optional authentication, off by default as in Pyroscope: `auth.tokens` in the YAML config maps credentials to
// tenants, the way the real SDKs send them (Bearer from authToken, Basic from basicAuthUser/basicAuthPassword).
// With it on, every request but /ready needs a valid credential, or it gets a 401 and nothing else: the check
// runs before the body is read and before any route. The credential decides the tenant; an X-Scope-OrgID that
// names another tenant is refused rather than trusted.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuthToken } from '../config/config.js';
import { errorBody } from './errors.js';
import { AuthError, validateTenant } from './tenant.js';

const digest = (s: string): string => createHash('sha256').update(s).digest('base64');

export class Authenticator {
  /** By the digest of the secret, so that lookups compare digests, never the secrets themselves. */
  private readonly tokens = new Map<string, string>();
  private readonly pairs = new Map<string, string>();
  private readonly admins = new Set<string>();

  constructor(list: AuthToken[], adminTokens: string[] = []) {
    for (const t of adminTokens) {
      this.admins.add(digest(t));
    }
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

  /** Whether /metrics needs an admin token: when tenants authenticate, or admin tokens are configured. */
  get guardsMetrics(): boolean {
    return this.enabled || this.admins.size > 0;
  }

  /** Whether the Authorization header carries an admin token (Bearer, or the password of Basic). */
  isAdmin(authorization: string | undefined): boolean {
    if (!authorization) {
      return false;
    }
    const sp = authorization.indexOf(' ');
    const scheme = authorization.slice(0, sp < 0 ? undefined : sp).toLowerCase();
    const value = sp < 0 ? '' : authorization.slice(sp + 1).trim();
    if (scheme === 'bearer') {
      return this.admins.has(digest(value));
    }
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return this.admins.has(digest(decoded.slice(decoded.indexOf(':') + 1)));
    }
    return false;
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

/**
 * Puts the check in front of every route but /ready; the granted tenant becomes the request's X-Scope-OrgID.
 * /metrics holds every tenant's counters: it takes an admin token (auth.admin_tokens) and nothing else.
 */
export function registerAuth(app: FastifyInstance, auth: Authenticator, onReject?: (status: number) => void): void {
  const refuse = (reply: FastifyReply, status: 401 | 403, e: unknown) => {
    onReject?.(status);
    reply
      .code(status)
      .header('www-authenticate', 'Bearer, Basic realm="pyroscope"')
      .header('connection', 'close')
      .type('application/json')
      .send(errorBody(status, e));
  };
  app.addHook('onRequest', (req, reply, done) => {
    const path = req.url.split('?')[0];
    if (path === '/ready') {
      done();
      return;
    }
    if (path === '/metrics') {
      const h = req.raw.headers.authorization;
      if (auth.isAdmin(h)) {
        done();
        return;
      }
      let tenantCredential = false;
      try {
        auth.authenticate(h, req.raw.headers['x-scope-orgid'] as string | undefined);
        tenantCredential = true;
      } catch {
        // neither an admin token nor a tenant's credential
      }
      refuse(
        reply,
        tenantCredential ? 403 : 401,
        new Error(
          tenantCredential
            ? "/metrics shows every tenant's counters: it takes an admin token (auth.admin_tokens), not a tenant's credential"
            : '/metrics needs an admin token (auth.admin_tokens) as Authorization: Bearer <token>'
        )
      );
      return;
    }
    if (!auth.enabled) {
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
      refuse(reply, 401, e);
    }
  });
}
