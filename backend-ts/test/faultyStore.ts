// A fault-injecting wrapper around a real object store, for tests: delays reads (slow store), fails writes on
// demand (a disk or network error mid-write), and counts calls, so a test can see a query stop reading.
import {
  ConflictError,
  NotFoundError,
  StoreUnavailableError,
  type Lease,
  type ObjectInfo,
  type ObjectStore,
} from '../src/storage/objectStore.js';

export interface Faults {
  /** Added to every read (get, getRange, list, listPrefixes), ms. */
  readDelayMs: number;
  /** Chance (0..1) that a put fails; when failing, half the time the object is written first (a lost ack). */
  putFailRate: number;
}

export class FaultyStore implements ObjectStore {
  readonly faults: Faults = { readDelayMs: 0, putFailRate: 0 };
  readonly calls = { get: 0, getRange: 0, put: 0, putFailed: 0, putFailedAfterWrite: 0, list: 0, listPrefixes: 0 };
  private seed = 12345;

  constructor(private readonly inner: ObjectStore) {}

  get kind(): 'filesystem' | 'azure' {
    return this.inner.kind;
  }

  /** Deterministic pseudo-random numbers, so that a failing run can be repeated. */
  private random(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed / 2 ** 31;
  }

  private async delay(): Promise<void> {
    if (this.faults.readDelayMs > 0) {
      await new Promise((r) => setTimeout(r, this.faults.readDelayMs));
    }
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async put(
    key: string,
    data: Uint8Array,
    opts?: { ifAbsent?: boolean; ifVersion?: string | null }
  ): Promise<string | undefined> {
    this.calls.put++;
    if (this.faults.putFailRate > 0 && this.random() < this.faults.putFailRate) {
      this.calls.putFailed++;
      if (this.random() < 0.5) {
        // the write reached the store but its answer was lost: the client must see a failure all the same
        await this.inner.put(key, data, opts);
        this.calls.putFailedAfterWrite++;
      }
      throw new StoreUnavailableError(`writing ${key} failed: injected fault`);
    }
    return this.inner.put(key, data, opts);
  }

  async get(key: string): Promise<Buffer> {
    this.calls.get++;
    await this.delay();
    return this.inner.get(key);
  }

  getVersioned(key: string): Promise<{ data: Buffer; version: string } | null> {
    return this.inner.getVersioned(key);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    this.calls.getRange++;
    await this.delay();
    return this.inner.getRange(key, offset, length);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    this.calls.list++;
    await this.delay();
    return this.inner.list(prefix);
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    this.calls.listPrefixes++;
    await this.delay();
    return this.inner.listPrefixes(prefix);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  lease(key: string, ttlMs: number): Promise<Lease | null> {
    return this.inner.lease(key, ttlMs);
  }
}

/** An object store in memory, for tests that need many objects quickly (no fsync). */
export class MemoryStore implements ObjectStore {
  readonly kind = 'filesystem';
  private readonly objects = new Map<string, Buffer>();
  private version = 0;
  private readonly versions = new Map<string, string>();

  async init(): Promise<void> {}

  async put(
    key: string,
    data: Uint8Array,
    opts: { ifAbsent?: boolean; ifVersion?: string | null } = {}
  ): Promise<string | undefined> {
    if (opts.ifAbsent && this.objects.has(key)) {
      throw new ConflictError(`object ${key} already exists`);
    }
    if (opts.ifVersion !== undefined && (this.versions.get(key) ?? null) !== opts.ifVersion) {
      throw new ConflictError(`object ${key} changed concurrently`);
    }
    this.objects.set(key, Buffer.from(data));
    const v = String(++this.version);
    this.versions.set(key, v);
    return v;
  }

  async get(key: string): Promise<Buffer> {
    const b = this.objects.get(key);
    if (!b) {
      throw new NotFoundError(`object ${key} not found`);
    }
    return b;
  }

  async getVersioned(key: string): Promise<{ data: Buffer; version: string } | null> {
    const b = this.objects.get(key);
    return b ? { data: b, version: this.versions.get(key)! } : null;
  }

  async getIfChanged(key: string, version: string): Promise<{ data: Buffer; version: string } | 'unchanged' | null> {
    return this.versions.get(key) === version ? 'unchanged' : this.getVersioned(key);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    return (await this.get(key)).subarray(offset, offset + length);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, b]) => ({ key, size: b.length }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const out = new Set<string>();
    for (const k of this.objects.keys()) {
      if (k.startsWith(prefix)) {
        const rest = k.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash > 0) {
          out.add(rest.slice(0, slash));
        }
      }
    }
    return [...out].sort();
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
    this.versions.delete(key);
  }

  private readonly leases = new Map<string, number>();

  async lease(key: string, ttlMs: number): Promise<Lease | null> {
    if ((this.leases.get(key) ?? 0) > Date.now()) {
      return null;
    }
    this.leases.set(key, Date.now() + ttlMs);
    return {
      renew: async () => void this.leases.set(key, Date.now() + ttlMs),
      release: async () => void this.leases.delete(key),
    };
  }
}
