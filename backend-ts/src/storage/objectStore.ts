// The one interface both backends implement. Objects are immutable once written, except the few small
// documents (settings, later the index) updated with optimistic concurrency through their ETag. Conditional
// writes are HTTP's: `ifAbsent` is `If-None-Match: *`, `ifVersion` is `If-Match: <ETag>` (null: the object
// must not exist yet); the filesystem backend gives the same guarantees with link() and a version tag checked
// under the write. Leases keep one worker per window across processes (compaction).

export interface ObjectInfo {
  key: string;
  size: number;
}

/** A held lease: renew it well before its ttl ends; a holder that dies loses it when the ttl ends. */
export interface Lease {
  renew(): Promise<void>;
  release(): Promise<void>;
}

export interface ObjectStore {
  readonly kind: 'filesystem' | 'azure';
  /** Makes sure the container/folder exists; throws a clear error when the store cannot be reached. */
  init(): Promise<void>;
  /**
   * Writes an object durably; resolves only once it is stored. Fails if it exists and ifAbsent is set. Resolves
   * to the written object's version tag (as getVersioned would give it) when the store learns it with the write
   * (Azure's ETag; the filesystem's after a conditional write), so a writer of a document need not read back
   * what it wrote.
   */
  put(
    key: string,
    data: Uint8Array,
    opts?: { ifAbsent?: boolean; ifVersion?: string | null }
  ): Promise<string | undefined>;
  get(key: string): Promise<Buffer>;
  /** Like get, with the object's version tag (its ETag) for a conditional put; null when absent. */
  getVersioned(key: string): Promise<{ data: Buffer; version: string } | null>;
  /**
   * A conditional read (If-None-Match): 'unchanged' while the object's version is still `version`, else the
   * object as getVersioned reads it. Optional: without it, callers read the object whole every time.
   */
  getIfChanged?(key: string, version: string): Promise<{ data: Buffer; version: string } | 'unchanged' | null>;
  /** Bytes [offset, offset+length) (fewer at the end of the object). */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Immediate "sub-folders" under prefix (which must end in '/'), without the prefix. */
  listPrefixes(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /**
   * Takes the lease named by key for ttlMs (Azure: a blob lease of 15-60 s; filesystem: a lock file with an
   * expiry), or null when another holder has it.
   */
  lease(key: string, ttlMs: number): Promise<Lease | null>;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** A conditional write lost: the object exists (ifAbsent) or changed (ifVersion). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** The store could not be reached or failed; callers answer 503 so that agents retry. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
