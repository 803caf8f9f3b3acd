// Filesystem object store: one file per object under a root folder. A put is durable when it returns:
// written to a temporary name, fsynced, renamed into place, and the folder fsynced.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fsync,
  linkSync,
  openSync,
  promises as fs,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join, relative, sep } from 'node:path';
import {
  ConflictError,
  NotFoundError,
  StoreUnavailableError,
  type Lease,
  type ObjectInfo,
  type ObjectStore,
} from './objectStore.js';

const fsyncFd = promisify(fsync);

async function syncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

export class FilesystemStore implements ObjectStore {
  readonly kind = 'filesystem';
  constructor(readonly root: string) {}

  private path(key: string): string {
    if (key.includes('..') || key.startsWith('/')) {
      throw new Error(`invalid object key ${key}`);
    }
    return join(this.root, ...key.split('/'));
  }

  async init(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.access(this.root, fsConstants.W_OK);
    } catch (e) {
      throw new StoreUnavailableError(`storage folder ${this.root} is not usable: ${(e as Error).message}`);
    }
    await this.sweepTemporaries();
  }

  /**
   * Removes the temporary files of writes that never finished (a process killed mid-write). Only those older
   * than a minute: a fresh one may be the write in flight of another process sharing the folder. Ages are
   * measured on the file system's clock (the mtime of a file written now), not Date.now(): file times come from
   * whoever serves the folder (a network share's server, a host with another clock) and may disagree with ours.
   */
  private async sweepTemporaries(): Promise<void> {
    const now = await this.fileClock();
    const walk = async (dir: string, depth: number): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const en of entries) {
        const p = join(dir, en.name);
        if (en.isDirectory() && depth < 16) {
          await walk(p, depth + 1);
        } else if (en.name.startsWith('.tmp-')) {
          const st = await fs.stat(p).catch(() => null);
          if (st && now - st.mtimeMs > 60_000) {
            await fs.unlink(p).catch(() => {});
          }
        }
      }
    };
    await walk(this.root, 0);
  }

  /**
   * The file system's current time: the mtime of a probe file written now (named as a temporary, so a probe
   * left by a killed process is swept like one).
   */
  private async fileClock(): Promise<number> {
    const probe = join(this.root, `.tmp-clock-${randomBytes(6).toString('hex')}`);
    try {
      await fs.writeFile(probe, '');
      return (await fs.stat(probe)).mtimeMs;
    } finally {
      await fs.unlink(probe).catch(() => {});
    }
  }

  async put(
    key: string,
    data: Uint8Array,
    opts: { ifAbsent?: boolean; ifVersion?: string | null } = {}
  ): Promise<string | undefined> {
    const target = this.path(key);
    let version: string | undefined;
    const dir = dirname(target);
    const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
    // Only the two fsyncs go to the thread pool. Open, write (into the page cache), link, rename and unlink
    // take microseconds, and done as awaited steps each would wait for a turn of a busy event loop: under load
    // that made a put 6x slower than the disk.
    try {
      let fd: number;
      try {
        fd = openSync(tmp, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw e;
        }
        // the folder usually exists (one per tenant and hour): create it only when missing
        const created = await fs.mkdir(dir, { recursive: true });
        if (created) {
          // a new folder's own entry must be durable too (its parent fsynced), or a power cut can lose the object
          for (let d = dir; ; d = dirname(d)) {
            await syncDir(dirname(d));
            if (d === created || dirname(d) === d) {
              break;
            }
          }
        }
        fd = openSync(tmp, 'wx');
      }
      try {
        for (let off = 0; off < data.length;) {
          off += writeSync(fd, data, off, data.length - off);
        }
        await fsyncFd(fd);
      } finally {
        closeSync(fd);
      }
      if (opts.ifAbsent) {
        // link fails with EEXIST when the target exists: an atomic create-once
        try {
          linkSync(tmp, target);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new ConflictError(`object ${key} already exists`);
          }
          throw e;
        } finally {
          try {
            unlinkSync(tmp);
          } catch {
            // already gone
          }
        }
      } else if (opts.ifVersion !== undefined) {
        // check and replace under a lock file, so that two processes never both pass the check
        await withCasLock(target, async () => {
          const cur = await this.version(target);
          if (cur !== opts.ifVersion) {
            await fs.unlink(tmp).catch(() => {});
            throw new ConflictError(`object ${key} changed concurrently`);
          }
          renameSync(tmp, target);
          version = (await this.version(target)) ?? undefined;
        });
      } else {
        renameSync(tmp, target);
      }
      await syncDir(dir);
      return version;
    } catch (e) {
      await fs.unlink(tmp).catch(() => {});
      if (e instanceof ConflictError) {
        throw e;
      }
      throw new StoreUnavailableError(`writing ${key} failed: ${(e as Error).message}`);
    }
  }

  private async version(path: string): Promise<string | null> {
    try {
      const st = await fs.stat(path);
      return `${st.mtimeMs}-${st.size}-${st.ino}`;
    } catch {
      return null;
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(`object ${key} not found`);
      }
      throw new StoreUnavailableError(`reading ${key} failed: ${(e as Error).message}`);
    }
  }

  async getVersioned(key: string): Promise<{ data: Buffer; version: string } | null> {
    const p = this.path(key);
    const version = await this.version(p);
    if (version === null) {
      return null;
    }
    try {
      return { data: await fs.readFile(p), version };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return null;
      }
      throw new StoreUnavailableError(`reading ${key} failed: ${(e as Error).message}`);
    }
  }

  async getIfChanged(key: string, version: string): Promise<{ data: Buffer; version: string } | 'unchanged' | null> {
    const cur = await this.version(this.path(key));
    if (cur === version) {
      return 'unchanged';
    }
    return this.getVersioned(key);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    let fh;
    try {
      fh = await fs.open(this.path(key), 'r');
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(`object ${key} not found`);
      }
      throw new StoreUnavailableError(`reading ${key} failed: ${(e as Error).message}`);
    } finally {
      await fh?.close();
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // prefixes we use end at a folder boundary, so a recursive walk of that folder is a prefix listing
    const base = prefix.endsWith('/') ? prefix.slice(0, -1) : dirname(prefix);
    const start = base === '.' || base === '' ? this.root : this.path(base);
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          return;
        }
        throw new StoreUnavailableError(`listing ${prefix} failed: ${(e as Error).message}`);
      }
      await Promise.all(
        entries.map(async (en) => {
          const p = join(dir, en.name);
          if (en.isDirectory()) {
            return walk(p);
          }
          if (en.name.startsWith('.tmp-') || en.name.endsWith('.cas')) {
            return;
          }
          const key = relative(this.root, p).split(sep).join('/');
          if (key.startsWith(prefix)) {
            const st = await fs.stat(p).catch(() => null);
            if (st) {
              out.push({ key, size: st.size });
            }
          }
        })
      );
    };
    await walk(start);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    try {
      const entries = await fs.readdir(this.path(prefix.replace(/\/$/, '')), { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return [];
      }
      throw new StoreUnavailableError(`listing ${prefix} failed: ${(e as Error).message}`);
    }
  }

  async delete(key: string): Promise<void> {
    await fs.unlink(this.path(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') {
        throw new StoreUnavailableError(`deleting ${key} failed: ${e.message}`);
      }
    });
  }

  /** An exclusive lock file with an expiry; holders renew it while working. */
  lease(key: string, ttlMs: number): Promise<Lease | null> {
    return tryFileLock(this.path(key), ttlMs);
  }
}

/** A lock older than this belongs to a writer that died between its check and its rename. */
const CAS_LOCK_STALE_MS = 10_000;

/**
 * Runs fn holding `{path}.cas` (created exclusively). Held for a version check and a rename only, so a waiter
 * retries briefly; a lock left by a dead process is taken over once stale.
 */
async function withCasLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.cas`;
  // the same lock file (inode and mtime) seen since then, on this process's monotonic clock: file times and
  // Date.now() may disagree (another clock, a test clock), so only how long we watched it counts
  let seen: { id: string; since: number } | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
      const st = await fs.stat(lock).catch(() => null);
      const id = st ? `${st.ino}-${st.mtimeMs}` : '';
      if (!seen || seen.id !== id) {
        seen = { id, since: performance.now() };
      }
      if (st && performance.now() - seen.since > CAS_LOCK_STALE_MS) {
        await fs.unlink(lock).catch(() => {});
      } else if (attempt > 2000) {
        throw new StoreUnavailableError(`${path}: conditional write lock held too long`);
      } else {
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
      }
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // taken over as stale by a waiter (this holder stalled for CAS_LOCK_STALE_MS)
    }
  }
}

async function tryFileLock(path: string, ttlMs: number): Promise<Lease | null> {
  await fs.mkdir(dirname(path), { recursive: true });
  const body = () => JSON.stringify({ pid: process.pid, expires: Date.now() + ttlMs });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await fs.open(path, 'wx');
      await fh.writeFile(body());
      await fh.sync();
      await fh.close();
      return {
        renew: () => fs.writeFile(path, body()),
        release: () => fs.unlink(path).catch(() => {}),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
      let expires = 0;
      try {
        expires = (JSON.parse(await fs.readFile(path, 'utf8')) as { expires: number }).expires;
      } catch {
        // unreadable (a holder mid-write or a torn file): judge by age instead
        const st = await fs.stat(path).catch(() => null);
        expires = st ? st.mtimeMs + ttlMs : 0;
      }
      if (expires > Date.now()) {
        return null;
      }
      // expired: its holder died; take it over (a racing taker loses at open 'wx')
      await fs.unlink(path).catch(() => {});
    }
  }
  return null;
}
