// Cross-process locks for compaction: an Azure blob lease on the azure backend, an exclusive lock file with an
// expiry on the filesystem backend. A holder that dies loses the lock after ttl; holders renew while working.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AzureStore } from './azure.js';
import { FilesystemStore } from './filesystem.js';
import type { ObjectStore } from './objectStore.js';

export interface Lock {
  renew(): Promise<void>;
  release(): Promise<void>;
}

export async function tryLock(store: ObjectStore, key: string, ttlMs: number): Promise<Lock | null> {
  if (store instanceof FilesystemStore) {
    return tryFileLock(join(store.root, ...key.split('/')), ttlMs);
  }
  if (store.kind === 'azure') {
    const secs = Math.min(60, Math.max(15, Math.round(ttlMs / 1000)));
    return (store as AzureStore).tryLease(key, secs);
  }
  throw new Error(`no lock support for a ${store.kind} store`);
}

async function tryFileLock(path: string, ttlMs: number): Promise<Lock | null> {
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
