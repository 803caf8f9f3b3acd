// The profiles the issue-14 benches push: one CPU profile per service every 15 s, 8 variants per service with
// stacks of their own (as real services have), made into stored profiles by this checkout's ingest pipeline.
import { loadConfig } from '../../src/config/config.js';
import { defaultFormats } from '../../src/formats/registry.js';
import { PprofDecoder } from '../../src/formats/pprofDecoder.js';
import { Ingester } from '../../src/ingest/ingester.js';
import type { IngestProfile } from '../../src/model/profile.js';
import { servicePprof } from '../../test/loadRun.js';

const bodies = new Map<number, Buffer>();

/** The pprof a service pushes at a tick (one of its 8 variants). */
export function body(service: number, tick: number): Buffer {
  const k = service * 8 + (tick % 8);
  let b = bodies.get(k);
  if (!b) {
    b = servicePprof(service, tick % 8);
    if (bodies.size < 40_000) {
      bodies.set(k, b);
    }
  }
  return b;
}

export const svcName = (i: number): string => `svc-${String(i).padStart(4, '0')}`;

/** The /ingest query of a service's push at `atMs` (a 10 s profile ending then). */
export function ingestQuery(service: number, atMs: number): Record<string, string> {
  const from = Math.floor(atMs / 1000) - 10;
  return {
    name: `${svcName(service)}{namespace=bench,pod=${svcName(service)}-0}`,
    from: String(from),
    until: String(from + 10),
    format: 'pprof',
    spyName: 'gospy',
    sampleRate: '100',
  };
}

/** The profiles an /ingest request of the bench becomes, through this checkout's ingest pipeline. */
export function profileMaker(
  tenant: string
): (service: number, tick: number, atMs: number) => Promise<IngestProfile[]> {
  let got: IngestProfile[] = [];
  const limits = loadConfig(['-validation.reject-older-than=0', '-distributor.ingestion-rate-limit-mb=0']).limits;
  const ingester = new Ingester(
    {
      write: (_tenant, profiles) => {
        got.push(...profiles);
        return Promise.resolve();
      },
    },
    () => limits,
    Date.now,
    defaultFormats(new PprofDecoder(0))
  );
  return async (service, tick, atMs) => {
    got = [];
    await ingester.ingestLegacy(tenant, ingestQuery(service, atMs), body(service, tick), 'application/octet-stream');
    return got;
  };
}
