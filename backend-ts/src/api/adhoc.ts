// adhocprofiles.v1.AdHocProfileService handlers: decode the request, call ingest/adhoc, encode the answer.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import type { AdHocProfileService } from '../gen/adhocprofiles/v1/adhocprofiles_pb.js';
import { FormatError } from '../ingest/formatError.js';
import type { AdHocProfiles, AdHocProfileView } from '../ingest/adhoc.js';
import { toFlameGraph } from '../model/flamegraph.js';
import { legacyUnits } from './http.js';

export interface AdHocDeps {
  adhoc: AdHocProfiles;
  tenantOf: (ctx: HandlerContext) => string;
  maxNodes: (n: bigint | undefined) => number;
  guard: <T>(fn: () => Promise<T>) => Promise<T>;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(s: string): Uint8Array {
  const compact = s.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    throw new FormatError('profile must be the file encoded in base64');
  }
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

// The same document /pyroscope/render answers, as Pyroscope puts it in flamebearer_profile.
function encode(v: AdHocProfileView, maxNodes: number) {
  const fg = toFlameGraph(v.tree, maxNodes);
  const { units, sampleRate } = legacyUnits(v.profileType, v.unit);
  const flamebearerProfile = JSON.stringify({
    version: 1,
    flamebearer: { names: fg.names, levels: fg.levels, numTicks: fg.total, maxSelf: fg.maxSelf },
    metadata: { format: 'single', spyName: '', sampleRate, units, name: v.profileType },
    timeline: null,
    groups: null,
    heatmap: null,
  });
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
      d.guard(async () => {
        const tenant = d.tenantOf(ctx);
        const n = d.maxNodes(req.maxNodes);
        return encode(await d.adhoc.upload(tenant, req.name, decodeBase64(req.profile)), n);
      }),
    get: (req, ctx) =>
      d.guard(async () => {
        const tenant = d.tenantOf(ctx);
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
