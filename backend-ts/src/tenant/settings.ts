// settings.v1 storage: one small JSON document per tenant, updated with optimistic concurrency so that
// several backend processes sharing a container never lose each other's writes.
import { settingsKey } from '../storage/keys.js';
import { ConflictError, type ObjectStore } from '../storage/objectStore.js';

/** A settings write that kept losing to concurrent writers (answered 409); handlers know it from here. */
export { ConflictError };

export interface Setting {
  name: string;
  value: string;
  modifiedAt: bigint;
}

interface Doc {
  settings: Array<{ name: string; value: string; modifiedAt: number }>;
}

export class SettingsRepository {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string
  ) {}

  private async read(tenant: string): Promise<{ doc: Doc; version: string | null }> {
    const got = await this.store.getVersioned(settingsKey(this.prefix, tenant));
    if (!got) {
      return { doc: { settings: [] }, version: null };
    }
    return { doc: JSON.parse(got.data.toString('utf8')) as Doc, version: got.version };
  }

  async list(tenant: string): Promise<Setting[]> {
    const { doc } = await this.read(tenant);
    return doc.settings
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((s) => ({ ...s, modifiedAt: BigInt(s.modifiedAt) }));
  }

  async set(tenant: string, s: Setting): Promise<Setting> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const { doc, version } = await this.read(tenant);
      const modifiedAt = Number(s.modifiedAt) || Date.now();
      const cur = doc.settings.find((x) => x.name === s.name);
      if (cur && cur.modifiedAt > modifiedAt) {
        // a newer write wins, as in Pyroscope's tenant settings
        return { ...cur, modifiedAt: BigInt(cur.modifiedAt) };
      }
      const next: Doc = {
        settings: [...doc.settings.filter((x) => x.name !== s.name), { name: s.name, value: s.value, modifiedAt }],
      };
      try {
        await this.store.put(settingsKey(this.prefix, tenant), Buffer.from(JSON.stringify(next)), {
          ifVersion: version,
        });
        return { name: s.name, value: s.value, modifiedAt: BigInt(modifiedAt) };
      } catch (e) {
        if (!(e instanceof ConflictError)) {
          throw e;
        }
      }
    }
    throw new ConflictError('settings changed concurrently too often; retry');
  }
}
