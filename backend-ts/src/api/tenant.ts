// Tenancy as Pyroscope has it: off → every request is "anonymous"; on → X-Scope-OrgID is required and validated
// before it is ever used in an object key.

export class AuthError extends Error {
  override name = 'AuthError';
}

const TENANT_RE = /^[A-Za-z0-9!_.*'()\-]{1,150}$/;

export function validateTenant(id: string): string {
  if (!TENANT_RE.test(id) || id === '.' || id === '..' || id.includes('..')) {
    throw new AuthError(
      `invalid tenant id "${id.slice(0, 160)}": use 1-150 letters, digits and !_.*'()- (no path separators, no "..")`
    );
  }
  return id;
}

export function resolveTenant(header: string | null | undefined, multitenancy: boolean): string {
  if (!multitenancy) {
    return 'anonymous';
  }
  if (!header) {
    throw new AuthError('no org id: the X-Scope-OrgID header is required when multitenancy is enabled');
  }
  // Pyroscope accepts a federated "a|b" list only on reads; we serve one tenant per request
  return validateTenant(header.trim());
}
