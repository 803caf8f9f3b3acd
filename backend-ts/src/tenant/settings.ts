// settings.v1 storage: one small JSON document per tenant, updated with optimistic concurrency so that
// several backend processes sharing a container never lose each other's writes.
import { settingsKey } from '../storage/keys.js';
import { ConflictError, type ObjectStore } from '../storage/objectStore.js';
import { FormatError } from '../formats/formatError.js';
import { LimitError } from '../limits/errors.js';

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

/** -tenant-settings.max-value-bytes and -tenant-settings.max-settings (0 = no bound). */
export interface SettingsBounds {
  maxValueBytes: number;
  maxSettings: number;
}

/** A setting's name is an identifier (Grafana's plugins use names like `pluginSettings`), never a payload. */
const MAX_NAME_BYTES = 1024;

export class SettingsRepository {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly bounds: SettingsBounds = { maxValueBytes: 0, maxSettings: 0 }
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
    const { maxValueBytes, maxSettings } = this.bounds;
    const nameBytes = Buffer.byteLength(s.name);
    if (nameBytes > MAX_NAME_BYTES) {
      throw new FormatError(`setting name is ${nameBytes} bytes, above the limit of ${MAX_NAME_BYTES} bytes`);
    }
    const valueBytes = Buffer.byteLength(s.value);
    if (maxValueBytes > 0 && valueBytes > maxValueBytes) {
      throw new FormatError(
        `value of setting "${s.name}" is ${valueBytes} bytes, above the limit of ${maxValueBytes} bytes (-tenant-settings.max-value-bytes)`
      );
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const { doc, version } = await this.read(tenant);
      const modifiedAt = Number(s.modifiedAt) || Date.now();
      const cur = doc.settings.find((x) => x.name === s.name);
      if (cur && cur.modifiedAt > modifiedAt) {
        // a newer write wins, as in Pyroscope's tenant settings
        return { ...cur, modifiedAt: BigInt(cur.modifiedAt) };
      }
      if (!cur && maxSettings > 0 && doc.settings.length >= maxSettings) {
        // a quota, not a rate: no Retry-After, the tenant has to remove settings (or the operator raise it)
        throw new LimitError(
          `tenant "${tenant}" already has ${doc.settings.length} settings, the limit (-tenant-settings.max-settings ${maxSettings}): setting "${s.name.slice(0, 64)}" is not added`,
          429
        );
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
