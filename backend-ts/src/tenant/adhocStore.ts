// Ad hoc uploads: {prefix}{tenant}/adhoc/{id}.bin (the file as uploaded), {id}.trees (its flame trees, parsed at
// upload; absent for uploads from before) and {id}.json (its name and time).
// A folder of their own beside segments/: the segment reader only ever lists {tenant}/segments/, so an upload
// can never be merged into a query, and deleting the folder removes every upload of a tenant.
import { newObjectId } from '../storage/keys.js';
import { NotFoundError, type ObjectStore } from '../storage/objectStore.js';

export interface AdHocMeta {
  id: string;
  name: string;
  /** unix ms */
  uploadedAt: number;
  size: number;
}

// newObjectId's shape; anything else cannot name an upload, so a crafted id never reaches the store as a key
const ID = /^[0-9a-z]{9}[0-9a-f]{12}$/;

function isAdHocId(id: string): boolean {
  return ID.test(id);
}

export class AdHocStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string
  ) {}

  private dir(tenant: string): string {
    return `${this.prefix}${tenant}/adhoc/`;
  }

  /** The bytes first, the metadata last: a listed upload always has its file. */
  async put(tenant: string, name: string, data: Uint8Array, trees?: Uint8Array, now = Date.now()): Promise<AdHocMeta> {
    const id = newObjectId(now);
    const meta: AdHocMeta = { id, name, uploadedAt: now, size: data.length + (trees?.length ?? 0) };
    await this.store.put(`${this.dir(tenant)}${id}.bin`, data, { ifAbsent: true });
    if (trees) {
      await this.store.put(`${this.dir(tenant)}${id}.trees`, trees, { ifAbsent: true });
    }
    await this.store.put(`${this.dir(tenant)}${id}.json`, Buffer.from(JSON.stringify(meta)), { ifAbsent: true });
    return meta;
  }

  /** null when the tenant has no upload with that id. */
  async get(tenant: string, id: string): Promise<{ meta: AdHocMeta; data: Buffer; trees?: Buffer } | null> {
    if (!isAdHocId(id)) {
      return null;
    }
    try {
      const meta = JSON.parse((await this.store.get(`${this.dir(tenant)}${id}.json`)).toString('utf8')) as AdHocMeta;
      let trees: Buffer | undefined;
      try {
        trees = await this.store.get(`${this.dir(tenant)}${id}.trees`);
      } catch (e) {
        if (!(e instanceof NotFoundError)) {
          throw e;
        }
      }
      // with its trees, the file itself is not needed to answer
      const data = trees ? Buffer.alloc(0) : await this.store.get(`${this.dir(tenant)}${id}.bin`);
      return { meta, data, trees };
    } catch (e) {
      if (e instanceof NotFoundError) {
        return null;
      }
      throw e;
    }
  }

  /** Newest first, at most `limit`. */
  async list(tenant: string, limit = 1000): Promise<AdHocMeta[]> {
    const objects = await this.store.list(this.dir(tenant));
    const ids = objects
      .map((o) => o.key.slice(o.key.lastIndexOf('/') + 1))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter(isAdHocId)
      // ids start with the upload time in fixed-width base 36: they sort by time
      .sort()
      .reverse()
      .slice(0, limit);
    const metas = await Promise.all(
      ids.map(async (id) => {
        try {
          return JSON.parse((await this.store.get(`${this.dir(tenant)}${id}.json`)).toString('utf8')) as AdHocMeta;
        } catch (e) {
          if (e instanceof NotFoundError) {
            return null;
          }
          throw e;
        }
      })
    );
    return metas.filter((m): m is AdHocMeta => m !== null);
  }
}
