// Per-tenant limits from the runtime config file, as Pyroscope has it (-runtime-config.file):
//
//   overrides:
//     tenant-a:
//       ingestion_rate_mb: 8
//       max_query_lookback: 30d
//
// Keys are those of the `limits` section. The file is re-read every -runtime-config.reload-period (10 s, as
// Pyroscope) while the service runs; a file that no longer parses keeps the last good overrides in force and is
// reported, so a typo in production never resets every tenant to the defaults.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { applyLimitOverrides, type Limits } from '../config/config.js';

export interface OverridesLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class RuntimeOverrides {
  private byTenant = new Map<string, Limits>();
  private lastText: string | null = null;
  /** The last text that failed, so that a broken file is reported once, not at every period. */
  private lastBadText: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Successful loads that changed something, for tests and the log. */
  reloads = 0;

  /** Set once the service has a logger: reloads and their failures are reported there. */
  log?: OverridesLog;

  constructor(
    private readonly base: Limits,
    private readonly file: string
  ) {}

  /** The limits of a tenant: its overrides over the base limits. */
  limitsFor = (tenant: string): Limits => this.byTenant.get(tenant) ?? this.base;

  /** Reads the file now; throws with a message naming the problem (at start-up that stops the service). */
  load(): void {
    if (!this.file) {
      return;
    }
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      throw new Error(`-runtime-config.file: cannot read ${this.file}: ${(e as Error).message}`);
    }
    if (text === this.lastText || text === this.lastBadText) {
      return;
    }
    try {
      this.byTenant = parseOverrides(text, this.base, this.file, this.log);
    } catch (e) {
      this.lastBadText = text;
      throw e;
    }
    this.lastBadText = null;
    this.lastText = text;
    this.reloads++;
    this.log?.info({ file: this.file, tenants: [...this.byTenant.keys()] }, 'runtime config loaded');
  }

  /** Re-reads the file every periodMs; errors are logged and the previous overrides stay. */
  start(periodMs: number): void {
    if (!this.file || periodMs <= 0 || this.timer) {
      return;
    }
    this.timer = setInterval(() => {
      try {
        this.load();
      } catch (e) {
        this.log?.error({ file: this.file, err: (e as Error).message }, 'runtime config not reloaded');
      }
    }, periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

function parseOverrides(text: string, base: Limits, file: string, log?: OverridesLog): Map<string, Limits> {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (e) {
    throw new Error(`-runtime-config.file ${file}: invalid YAML: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error(`-runtime-config.file ${file}: the top level must be a mapping`);
  }
  const out = new Map<string, Limits>();
  const overrides = (doc as Record<string, unknown>).overrides;
  if (overrides === undefined || overrides === null) {
    return out;
  }
  if (typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new Error(`-runtime-config.file ${file}: overrides must be a mapping of tenant ids to limits`);
  }
  for (const [tenant, o] of Object.entries(overrides as Record<string, unknown>)) {
    const { limits, ignored } = applyLimitOverrides(base, o ?? {}, `-runtime-config.file ${file}: overrides.${tenant}`);
    if (ignored.length > 0) {
      log?.info({ tenant, ignored }, 'runtime config: Pyroscope limits accepted and ignored');
    }
    out.set(tenant, limits);
  }
  return out;
}
