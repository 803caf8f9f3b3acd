// Ad hoc profiles: a file uploaded to be looked at once. It is parsed once, at upload, within the tenant's ingest
// limits (max-profile-size raw and inflated, stacks cut to max-profile-stacktrace-depth, names to
// max-profile-symbol-value-length, at most max-profile-stacktrace-samples samples), and kept twice: as
// uploaded and as its flame trees (adhocStore.ts), so a Get reads trees instead of parsing the file again. Uploads
// are charged to the tenant's ingestion rate and bounded by a per-tenant quota; nothing of them enters the segment
// write path.
import type { Limits } from '../config/config.js';
import { fromTreeBytes, toTreeBytes } from '../encode/treeBytes.js';
import { LimitError } from '../limits/errors.js';
import { FlameTree } from '../model/tree.js';
import type { NormalizedProfile } from '../model/profile.js';
import { AdHocStore, type AdHocMeta } from './adhocStore.js';
import { readText } from '../formats/textFormats.js';
import type { TextIngestParams } from '../formats/textTypes.js';
import { FormatError } from '../formats/formatError.js';
import { isGzip, maybeGunzip, parsePprof } from '../formats/pprof.js';
import { checkSampleCount, truncateSymbol, truncateSymbols } from '../formats/profileLimits.js';
import type { PprofDecoder } from '../formats/pprofDecoder.js';

export interface AdHocLimits {
  /** the file as sent (after base64) */
  maxFileBytes: number;
  /** the file inflated, for gzipped pprof */
  maxInflatedBytes: number;
}

const DEFAULT_ADHOC_LIMITS: AdHocLimits = { maxFileBytes: 16 << 20, maxInflatedBytes: 64 << 20 };

/** What ties ad hoc uploads to the tenant's limits; each is optional (a bare repository enforces none). */
export interface AdHocOptions {
  /** The tenant's ingest limits: max-profile-size-bytes and max-profile-stacktrace-depth. */
  limitsFor?: (tenant: string) => Limits;
  /** Decodes pprof off the main thread (the decode worker pool). */
  decoder?: PprofDecoder;
  /** Charges bytes to the tenant's ingestion rate; throws a 429 LimitError when it may not send them now. */
  charge?: (tenant: string, bytes: number) => void;
  /** -adhoc-profiles.max-profiles-per-tenant and -adhoc-profiles.max-bytes-per-tenant (0 = no bound). */
  quota?: { maxUploads: number; maxBytes: number };
}

export interface AdHocProfileView {
  meta: AdHocMeta;
  profileType: string;
  profileTypes: string[];
  /** sample unit of the chosen type (pprof's, e.g. "nanoseconds"; "samples" for text formats) */
  unit: string;
  tree: FlameTree;
}

interface ParsedUpload {
  types: Array<{ name: string; unit: string; tree: () => FlameTree }>;
}

/** The ingest limits an upload is parsed within (0 = none). */
interface ParseLimits {
  maxDepth: number;
  maxSymbolBytes: number;
  maxSamples: number;
}

function parseLimits(tl: Limits | undefined): ParseLimits {
  return {
    maxDepth: tl?.maxProfileStacktraceDepth ?? 0,
    maxSymbolBytes: tl?.maxProfileSymbolValueLength ?? 0,
    maxSamples: tl?.maxProfileStacktraceSamples ?? 0,
  };
}

/** The flame trees of an upload as stored beside it: one TREE-bytes document per profile type. */
interface StoredTrees {
  types: Array<{ name: string; unit: string; tree: string }>;
}

const MiB = 1024 * 1024;

/** Folded uploads read as a type without a period (alloc_objects): the counts stay as written. */
const FOLDED_AS_COUNTS: TextIngestParams = { appName: 'adhoc.alloc_objects', labels: [] };

export class AdHocProfiles {
  constructor(
    private readonly store: AdHocStore,
    private readonly limits: AdHocLimits = DEFAULT_ADHOC_LIMITS,
    private readonly opts: AdHocOptions = {}
  ) {}

  /** Parses before storing: a file we cannot show is refused with the reason, not kept. */
  async upload(tenant: string, name: string, file: Uint8Array): Promise<AdHocProfileView> {
    if (file.length === 0) {
      throw new FormatError('profile is empty: send the file base64-encoded in "profile"');
    }
    const tl = this.opts.limitsFor?.(tenant);
    const maxProfile = tl?.maxProfileSizeBytes ?? 0;
    // as upstream: over max-profile-size-bytes raw or once inflated
    const maxRaw = Math.min(this.limits.maxFileBytes, maxProfile > 0 ? maxProfile : Infinity);
    if (file.length > maxRaw) {
      throw new FormatError(
        `profile is ${file.length} bytes, above the ad hoc upload limit of ${maxRaw} bytes${maxRaw === maxProfile ? ' (validation.max-profile-size-bytes)' : ''}`,
        413
      );
    }
    await this.checkQuota(tenant, file.length);
    this.opts.charge?.(tenant, file.length);
    const inflateMax =
      maxProfile > 0 ? Math.min(maxProfile, this.limits.maxInflatedBytes) : this.limits.maxInflatedBytes;
    const parsed = await this.parse(file, inflateMax, parseLimits(tl));
    const meta = await this.store.put(tenant, name.slice(0, 512) || 'profile', file, storedTrees(parsed));
    return view(meta, parsed, undefined);
  }

  /** null when the tenant has no such upload. */
  async get(tenant: string, id: string, profileType?: string): Promise<AdHocProfileView | null> {
    const got = await this.store.get(tenant, id);
    if (!got) {
      return null;
    }
    if (got.trees) {
      return view(got.meta, fromStoredTrees(got.trees), profileType);
    }
    // an upload from before trees were stored
    const tl = this.opts.limitsFor?.(tenant);
    return view(got.meta, await this.parse(got.data, this.limits.maxInflatedBytes, parseLimits(tl)), profileType);
  }

  list(tenant: string): Promise<AdHocMeta[]> {
    return this.store.list(tenant);
  }

  /** Beyond the quota the upload is refused with a 429 naming it: uploads are never evicted silently. */
  private async checkQuota(tenant: string, bytes: number): Promise<void> {
    const q = this.opts.quota;
    if (!q || (q.maxUploads <= 0 && q.maxBytes <= 0)) {
      return;
    }
    const all = await this.store.list(tenant, Number.MAX_SAFE_INTEGER);
    if (q.maxUploads > 0 && all.length >= q.maxUploads) {
      throw new LimitError(
        `tenant "${tenant}" has ${all.length} ad hoc profiles, its quota (-adhoc-profiles.max-profiles-per-tenant ${q.maxUploads}): the upload is refused`,
        429
      );
    }
    const used = all.reduce((n, m) => n + m.size, 0);
    if (q.maxBytes > 0 && used + bytes > q.maxBytes) {
      throw new LimitError(
        `tenant "${tenant}" has ${(used / MiB).toFixed(1)} MiB of ad hoc profiles; ${(bytes / MiB).toFixed(1)} MiB more exceed its quota (-adhoc-profiles.max-bytes-per-tenant-mb ${q.maxBytes / MiB}): the upload is refused`,
        429
      );
    }
  }

  private async parse(file: Uint8Array, inflateMax: number, limits: ParseLimits): Promise<ParsedUpload> {
    const { maxDepth, maxSymbolBytes, maxSamples } = limits;
    if (isGzip(file) || !looksLikeText(file)) {
      const p = this.opts.decoder
        ? (await this.opts.decoder.decode(file, inflateMax, maxDepth)).profile
        : parsePprof(maybeGunzip(file, inflateMax), {});
      // as ingest counts them: the samples of the pprof as sent
      checkSampleCount(p.sampleStack.length, maxSamples, 'profile');
      truncateSymbols(p, maxSymbolBytes);
      return fromPprof(p);
    }
    let first = 0;
    while (first < file.length && (file[first] === 0x20 || (file[first] >= 0x09 && file[first] <= 0x0d))) {
      first++;
    }
    if (file[first] === 0x7b) {
      // "{": a flamebearer JSON document
      const text = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString('utf8').trim();
      return fromFlamebearerJson(text, maxSymbolBytes, maxSamples);
    }
    // folded text, parsed in the decode worker pool as on ingest: seconds for a large file on a busy machine
    const read = this.opts.decoder
      ? await this.opts.decoder.decodeText('folded', file, false, 0, FOLDED_AS_COUNTS, new Set(), maxDepth)
      : readText('folded', file, false, 0, FOLDED_AS_COUNTS, maxDepth);
    const p = read.profiles[0]?.profile;
    if (p) {
      // distinct stacks, as Pyroscope's folded ingest makes one pprof sample of each
      checkSampleCount(p.sampleStack.length, maxSamples, 'profile');
      truncateSymbols(p, maxSymbolBytes);
    }
    return { types: [{ name: 'samples', unit: 'count', tree: once(() => (p ? pprofTree(p, 0) : new FlameTree())) }] };
  }
}

/** The trees of every type as TREE bytes, or nothing when a tree holds values TREE bytes cannot carry. */
function storedTrees(parsed: ParsedUpload): Buffer | undefined {
  const types: StoredTrees['types'] = [];
  for (const t of parsed.types) {
    const tree = t.tree();
    for (let i = 0; i < tree.size; i++) {
      if (!(Number.isSafeInteger(tree.self[i]) && tree.self[i] >= 0)) {
        return undefined;
      }
    }
    types.push({ name: t.name, unit: t.unit, tree: Buffer.from(toTreeBytes(tree, tree.size + 1)).toString('base64') });
  }
  return Buffer.from(JSON.stringify({ types } satisfies StoredTrees));
}

function fromStoredTrees(data: Buffer): ParsedUpload {
  const doc = JSON.parse(data.toString('utf8')) as StoredTrees;
  return {
    types: doc.types.map((t) => ({
      name: t.name,
      unit: t.unit,
      tree: () => fromTreeBytes(Buffer.from(t.tree, 'base64')),
    })),
  };
}

function view(meta: AdHocMeta, parsed: ParsedUpload, profileType: string | undefined): AdHocProfileView {
  const names = parsed.types.map((t) => t.name);
  const chosen = profileType ? parsed.types.find((t) => t.name === profileType) : parsed.types[0];
  if (!chosen) {
    throw new FormatError(
      profileType
        ? `profile type "${profileType}" is not in this profile (it has: ${names.join(', ')})`
        : 'the profile has no sample type'
    );
  }
  return { meta, profileType: chosen.name, profileTypes: names, unit: chosen.unit, tree: chosen.tree() };
}

// Binary pprof almost always has bytes below 0x09 in its first few hundred; text formats have none.
function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 512);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c < 0x09 || (c > 0x0d && c < 0x20)) {
      return false;
    }
  }
  return true;
}

function fromPprof(p: NormalizedProfile): ParsedUpload {
  // two sample types may share a name (different units): the unit tells them apart
  const seen = new Map<string, number>();
  for (const t of p.sampleTypes) {
    seen.set(t.type, (seen.get(t.type) ?? 0) + 1);
  }
  return {
    types: p.sampleTypes.map((t, column) => ({
      name: (seen.get(t.type) ?? 0) > 1 ? `${t.type}:${t.unit}` : t.type || `sample_${column}`,
      unit: t.unit,
      tree: once(() => pprofTree(p, column)),
    })),
  };
}

/** The tree built on first use and kept: an upload's trees are stored and shown, and encoders only read them. */
function once(build: () => FlameTree): () => FlameTree {
  let tree: FlameTree | undefined;
  return () => (tree ??= build());
}

function pprofTree(p: NormalizedProfile, column: number): FlameTree {
  const tree = new FlameTree();
  const nameOfFn = new Int32Array(p.fnName.length).fill(-1);
  const values = p.sampleValues[column];
  const stack: number[] = [];
  for (let s = 0; s < p.sampleStack.length; s++) {
    const v = values[s];
    if (!v) {
      continue;
    }
    const st = p.sampleStack[s];
    stack.length = 0;
    for (let i = p.stackOffsets[st]; i < p.stackOffsets[st + 1]; i++) {
      const fn = p.frameFn[p.stackFrames[i]];
      if (nameOfFn[fn] < 0) {
        nameOfFn[fn] = tree.nameId(p.strings[p.fnName[fn]] || p.strings[p.fnSystemName[fn]] || '<unknown>');
      }
      stack.push(nameOfFn[fn]);
    }
    tree.insertLeafFirst(stack, v);
  }
  return tree;
}

interface FlamebearerLike {
  names?: unknown;
  levels?: unknown;
}

/** A /pyroscope/render answer (or just its `flamebearer`), as the official app exports it. */
function fromFlamebearerJson(text: string, maxSymbolBytes: number, maxSamples: number): ParsedUpload {
  let doc: { flamebearer?: FlamebearerLike; metadata?: { units?: unknown; format?: unknown } } & FlamebearerLike;
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw new FormatError(`invalid JSON: ${(e as Error).message}`);
  }
  const fb = doc.flamebearer ?? doc;
  if (!Array.isArray(fb.names) || !Array.isArray(fb.levels)) {
    throw new FormatError('JSON profile: expected a flamebearer ({"flamebearer":{"names":[...],"levels":[[...]]}})');
  }
  if (doc.metadata?.format === 'double') {
    throw new FormatError('JSON profile: a diff flamebearer (format "double") cannot be uploaded; upload each side');
  }
  const names = fb.names.map((n) => truncateSymbol(String(n), maxSymbolBytes));
  const levels = fb.levels as unknown[];
  const units = typeof doc.metadata?.units === 'string' && doc.metadata.units ? doc.metadata.units : 'samples';
  const tree = flamebearerTree(names, levels);
  // a node with a self value is a stack that has samples: what a pprof of this graph would hold as samples
  let samples = 0;
  for (let i = 1; i < tree.size; i++) {
    if (tree.self[i] !== 0) {
      samples++;
    }
  }
  checkSampleCount(samples, maxSamples, 'profile');
  return { types: [{ name: units, unit: units, tree: () => tree }] };
}

/** Levels of [x delta, total, self, name] back to a tree: a node's parent is the node above whose span holds x. */
function flamebearerTree(names: string[], levels: unknown[]): FlameTree {
  const tree = new FlameTree();
  let above: Array<{ x: number; total: number; node: number }> = [];
  for (let l = 0; l < levels.length; l++) {
    const row = levels[l];
    if (!Array.isArray(row) || row.length % 4 !== 0) {
      throw new FormatError(`JSON profile: level ${l} is not a list of 4 numbers per node`);
    }
    const here: typeof above = [];
    let x = 0;
    let p = 0;
    for (let i = 0; i < row.length; i += 4) {
      const [dx, total, self, nameIdx] = [row[i], row[i + 1], row[i + 2], row[i + 3]].map(Number);
      if (![dx, total, self, nameIdx].every(Number.isFinite) || nameIdx < 0 || nameIdx >= names.length) {
        throw new FormatError(`JSON profile: level ${l} node ${i / 4} has an invalid number or name index`);
      }
      x += dx;
      if (l === 0) {
        // the root ("total") is ours already
        tree.self[0] += self;
        tree.total[0] += total;
        here.push({ x, total, node: 0 });
      } else {
        while (p < above.length && above[p].x + above[p].total <= x) {
          p++;
        }
        if (p >= above.length || above[p].x > x) {
          throw new FormatError(`JSON profile: level ${l} node ${i / 4} lies outside every node of level ${l - 1}`);
        }
        const node = tree.child(above[p].node, tree.nameId(names[nameIdx]));
        tree.self[node] += self;
        tree.total[node] += total;
        here.push({ x, total, node });
      }
      x += total;
    }
    above = here;
  }
  return tree;
}
