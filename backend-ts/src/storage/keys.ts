// Object key layout (docs/storage.md):
//   {prefix}{tenant}/l0/{minute}/{id}-{minMs}-{maxMs}.seg       level 0: one object per write batch, by write time
//   {prefix}{tenant}/blocks/{hour}/{id}-{minMs}-{maxMs}.blk     compacted blocks, by profile-time hour
//   {prefix}{tenant}/index/{hour}.json, index/head.json          the index (storage/index.ts)
//   {prefix}{tenant}/segments/{hour}/...(seg|blk)                 the layout before storage format 2, still read
import { randomBytes } from 'node:crypto';

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
/** Blocks of level 1 and 2 cover one window of profile time; an hour holds six. */
export const WINDOW_MS = 10 * MINUTE_MS;

export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

export function windowOf(ms: number): number {
  return Math.floor(ms / WINDOW_MS);
}

export function hourDir(hour: number): string {
  return String(hour).padStart(8, '0');
}

export function minuteDir(minute: number): string {
  return String(minute).padStart(9, '0');
}

/** Time-ordered unique id: ms timestamp in base 36 then 12 random hex digits. */
export function newObjectId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/** When an object with this id was named (the time in its first 9 characters), or NaN. */
export function idTime(key: string): number {
  const base = key.slice(key.lastIndexOf('/') + 1);
  return parseInt(base.slice(0, 9), 36);
}

const range = (minMs: number, maxMs: number) => `${Math.floor(minMs)}-${Math.ceil(maxMs)}`;

export function l0Prefix(prefix: string, tenant: string): string {
  return `${prefix}${tenant}/l0/`;
}

/** A level-0 segment, in the folder of the minute it is written in. */
export function l0Key(prefix: string, tenant: string, minMs: number, maxMs: number, now = Date.now()): string {
  return `${l0Prefix(prefix, tenant)}${minuteDir(minuteOf(now))}/${newObjectId(now)}-${range(minMs, maxMs)}.seg`;
}

export function blocksPrefix(prefix: string, tenant: string, hour: number): string {
  return `${prefix}${tenant}/blocks/${hourDir(hour)}/`;
}

/** A compacted block, in the folder of the profile-time hour it belongs to. */
export function blockKey(
  prefix: string,
  tenant: string,
  hour: number,
  minMs: number,
  maxMs: number,
  now = Date.now()
): string {
  return `${blocksPrefix(prefix, tenant, hour)}${newObjectId(now)}-${range(minMs, maxMs)}.blk`;
}

/** The folder of an hour in the layout before storage format 2. */
export function legacyPrefix(prefix: string, tenant: string, hour?: number): string {
  return `${prefix}${tenant}/segments/${hour === undefined ? '' : `${hourDir(hour)}/`}`;
}

/** The segment key of the layout before storage format 2 (tests and the fixture use it to write old stores). */
export function segmentKey(
  prefix: string,
  tenant: string,
  hour: number,
  minMs: number,
  maxMs: number,
  now = Date.now()
): string {
  return `${legacyPrefix(prefix, tenant, hour)}${newObjectId(now)}-${range(minMs, maxMs)}.seg`;
}

/** Profile-time bounds and kind of an object from its name, or null when it is not one. */
export function parseSegmentKey(key: string): { minTime: number; maxTime: number; block: boolean } | null {
  const m = /-(\d+)-(\d+)\.(seg|blk)$/.exec(key);
  return m ? { minTime: Number(m[1]), maxTime: Number(m[2]), block: m[3] === 'blk' } : null;
}

/** The minute folder of a level-0 key, or NaN. */
export function l0MinuteOf(key: string): number {
  const m = /\/l0\/(\d+)\/[^/]+$/.exec(key);
  return m ? Number(m[1]) : NaN;
}

export function indexPrefix(prefix: string, tenant: string): string {
  return `${prefix}${tenant}/index/`;
}

export function indexKey(prefix: string, tenant: string, hour: number): string {
  return `${indexPrefix(prefix, tenant)}${hourDir(hour)}.json`;
}

export function headKey(prefix: string, tenant: string): string {
  return `${indexPrefix(prefix, tenant)}head.json`;
}

/**
 * A compaction lease. Names repeat (a level-0 minute modulo 16, an hour modulo 32) so that the lock objects a
 * tenant ever has stay few; two windows sharing a name are far apart in time and at worst wait for each other.
 */
export function compactionLockKey(prefix: string, tenant: string, kind: 'l0' | 'hour' | 'legacy', n: number): string {
  const slot = kind === 'l0' ? n % 16 : n % 32;
  return `${prefix}${tenant}/locks/compaction-${kind}-${slot}.lock`;
}

export function settingsKey(prefix: string, tenant: string): string {
  return `${prefix}${tenant}/settings/settings.json`;
}

/** A tenant's recording rules (settings.v1.RecordingRulesService), one document. */
export function recordingRulesKey(prefix: string, tenant: string): string {
  return `${prefix}${tenant}/settings/recording_rules.json`;
}
