// adhocprofiles.v1.AdHocProfileService handlers: decode the request, call tenant/adhocProfiles, encode the answer.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import type { AdHocProfileService } from '../gen/adhocprofiles/v1/adhocprofiles_pb.js';
import { FormatError } from '../formats/formatError.js';
import type { AdHocProfiles, AdHocProfileView } from '../tenant/adhocProfiles.js';
import { singleFlamebearer } from '../encode/flamebearer.js';
import { toFlameGraph } from '../encode/flamegraph.js';

export interface AdHocDeps {
  adhoc: AdHocProfiles;
  tenantOf: (ctx: HandlerContext) => string;
  maxNodes: (n: bigint | undefined) => number;
  guard: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Through the query gate (concurrency, -querier.query-timeout), like every query. */
  query: <T>(ctx: HandlerContext, fn: (tenant: string, signal: AbortSignal) => Promise<T>) => Promise<T>;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(s: string): Uint8Array {
  // The common case in one native pass (a 16 MiB upload is a 22 MB string; two regex passes over it held the
  // event loop): clean base64 decodes to exactly 3 bytes per 4 characters, less its padding. Node skips what is
  // not in the alphabet (or stops at a misplaced "="), so a shorter result sends the text down the careful path.
  if (s.length % 4 === 0) {
    const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
    const fast = Buffer.from(s, 'base64');
    if (fast.length === (s.length / 4) * 3 - pad) {
      return fast;
    }
  }
  const compact = s.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    throw new FormatError('profile must be the file encoded in base64');
  }
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

// The same document /pyroscope/render answers, as Pyroscope puts it in flamebearer_profile.
function encode(v: AdHocProfileView, maxNodes: number) {
  const flamebearerProfile = JSON.stringify(
    singleFlamebearer(
      toFlameGraph(v.tree, maxNodes),
      { spyName: '', sampleType: v.profileType, sampleUnit: v.unit, name: v.profileType },
      null,
      null
    )
  );
  return {
    id: v.meta.id,
    name: v.meta.name,
    uploadedAt: BigInt(v.meta.uploadedAt),
    profileType: v.profileType,
    profileTypes: v.profileTypes,
    flamebearerProfile,
  };
}

export function adHocHandlers(d: AdHocDeps): ServiceImpl<typeof AdHocProfileService> {
  return {
    upload: (req, ctx) =>
      d.query(ctx, async (tenant) => {
        const n = d.maxNodes(req.maxNodes);
        return encode(await d.adhoc.upload(tenant, req.name, decodeBase64(req.profile)), n);
      }),
    get: (req, ctx) =>
      d.query(ctx, async (tenant) => {
        const n = d.maxNodes(req.maxNodes);
        if (!req.id) {
          throw new FormatError('id is required');
        }
        const v = await d.adhoc.get(tenant, req.id, req.profileType || undefined);
        if (!v) {
          throw new ConnectError(`no ad hoc profile with id "${req.id}"`, Code.NotFound);
        }
        return encode(v, n);
      }),
    list: (_req, ctx) =>
      d.guard(async () => ({
        profiles: (await d.adhoc.list(d.tenantOf(ctx))).map((m) => ({
          id: m.id,
          name: m.name,
          uploadedAt: BigInt(m.uploadedAt),
        })),
      })),
  };
}
