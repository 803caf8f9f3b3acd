// Object key layout (docs/storage.md): {prefix}{tenant}/segments/{hour}/{id}-{minMs}-{maxMs}.seg
import { randomBytes } from 'node:crypto';

export const HOUR_MS = 3_600_000;

export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

export function hourDir(hour: number): string {
  return String(hour).padStart(8, '0');
}

/** Time-ordered unique id: ms timestamp in base 36 then 12 random hex digits. */
export function newObjectId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

export function segmentKey(
  prefix: string,
  tenant: string,
  hour: number,
  minMs: number,
  maxMs: number,
  now = Date.now()
): string {
  return `${prefix}${tenant}/segments/${hourDir(hour)}/${newObjectId(now)}-${Math.floor(minMs)}-${Math.ceil(maxMs)}.seg`;
}

/** A compacted block: same format and folder as segments, told apart by its extension. */
export function blockKey(
  prefix: string,
  tenant: string,
  hour: number,
  minMs: number,
  maxMs: number,
  now = Date.now()
): string {
  return `${prefix}${tenant}/segments/${hourDir(hour)}/${newObjectId(now)}-${Math.floor(minMs)}-${Math.ceil(maxMs)}.blk`;
}

export function parseSegmentKey(key: string): { minTime: number; maxTime: number; block: boolean } | null {
  const m = /-(\d+)-(\d+)\.(seg|blk)$/.exec(key);
  return m ? { minTime: Number(m[1]), maxTime: Number(m[2]), block: m[3] === 'blk' } : null;
}

/** Lock object of one tenant's hour window (compaction). */
export function compactionLockKey(prefix: string, tenant: string, hour: number): string {
  return `${prefix}${tenant}/locks/compaction-${hourDir(hour)}.lock`;
}

export function settingsKey(prefix: string, tenant: string): string {
  return `${prefix}${tenant}/settings/settings.json`;
}

/** A tenant's recording rules (settings.v1.RecordingRulesService), one document. */
export function recordingRulesKey(prefix: string, tenant: string): string {
  return `${prefix}${tenant}/settings/recording_rules.json`;
}
