// Spans to Tempo over OTLP/HTTP JSON, each local-root span carrying pyroscope.profile.id (its own span id), which
// is what Grafana's traces-to-profiles link queries by.
import type { DemoSpan } from './workload.js';

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

export async function exportSpans(endpoint: string, spans: readonly DemoSpan[]): Promise<void> {
  const byService = new Map<string, DemoSpan[]>();
  for (const s of spans) {
    byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  }
  const body = {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [str('service.name', service), str('service.namespace', 'otel-demo')] },
      scopeSpans: [
        {
          scope: { name: 'profiles-drilldown-demo' },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            name: s.name,
            kind: 2, // SPAN_KIND_SERVER
            startTimeUnixNano: String(BigInt(s.start) * 1_000_000n),
            endTimeUnixNano: String(BigInt(s.end) * 1_000_000n),
            attributes: [str('pyroscope.profile.id', s.spanId)],
            status: {},
          })),
        },
      ],
    })),
  };
  const r = await fetch(`${endpoint}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!r.ok) {
    throw new Error(`OTLP ${r.status} ${(await r.text()).slice(0, 200)}`);
  }
}
