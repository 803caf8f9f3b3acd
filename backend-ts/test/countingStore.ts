// An object store that counts what queries read of it (whole gets, range reads, bytes), for tests of read costs.
import type { Lease, ObjectInfo, ObjectStore } from '../src/storage/objectStore.js';

/** Counts object reads of the store it wraps; every other call passes through. */
export class CountingStore implements ObjectStore {
  readonly kind = 'filesystem';
  readonly gets: string[] = [];
  readonly ranges: string[] = [];
  /** Prefixes listed (list only), since the last reset. */
  readonly listed: string[] = [];
  /** Bytes the store returned for object reads (get and getRange), since the last reset. */
  bytes = 0;
  constructor(private readonly inner: ObjectStore) {}
  init(): Promise<void> {
    return this.inner.init();
  }
  put(
    key: string,
    data: Uint8Array,
    opts?: { ifAbsent?: boolean; ifVersion?: string | null }
  ): Promise<string | undefined> {
    return this.inner.put(key, data, opts);
  }
  async get(key: string): Promise<Buffer> {
    this.gets.push(key);
    const b = await this.inner.get(key);
    this.bytes += b.length;
    return b;
  }
  getVersioned(key: string): Promise<{ data: Buffer; version: string } | null> {
    return this.inner.getVersioned(key);
  }
  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    this.ranges.push(key);
    const b = await this.inner.getRange(key, offset, length);
    this.bytes += b.length;
    return b;
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    this.listed.push(prefix);
    return this.inner.list(prefix);
  }
  listPrefixes(prefix: string): Promise<string[]> {
    return this.inner.listPrefixes(prefix);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  lease(key: string, ttlMs: number): Promise<Lease | null> {
    return this.inner.lease(key, ttlMs);
  }
  reset(): void {
    this.gets.length = 0;
    this.ranges.length = 0;
    this.listed.length = 0;
    this.bytes = 0;
  }
}
