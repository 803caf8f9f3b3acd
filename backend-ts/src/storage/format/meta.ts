// The header every stored object starts with (magic, version, meta JSON) and what it says, for both format
// versions. Version 2 lays an object out per dataset (one service_name): a query that knows a dataset's byte
// ranges (from the header or the index) reads only those. A version 1 header is read as one dataset covering
// the whole object, so every reader above this file sees one shape. Layout documented in docs/storage.md.
import type { LabelSet } from '../../model/labels.js';

export const MAGIC = 0x53545950; // "PYTS" little endian
export const HEADER_FIXED = 12;
export const FORMAT_V1 = 1;
export const FORMAT_V2 = 2;

export interface SeriesMeta {
  labels: LabelSet;
  profileType: string;
  profiles: number;
  total: number;
  minTime: number;
  maxTime: number;
}

/** One dataset: the profiles of one service_name, with their own symbols, stacks and samples. */
export interface DatasetMeta {
  /** Its service_name ('' for the one dataset of a version 1 object). */
  service: string;
  /** Ids (into the object's series) of the series whose profiles it holds. */
  series: number[];
  profiles: number;
  samples: number;
  minTime: number;
  maxTime: number;
  /**
   * [byte offset, length] of its profile table (series, time, total, UUID, client id, sample range per profile)
   * and of its data (symbols, stacks, samples). A version 1 object has a single dataset whose sections are the
   * whole object: both are [0, -1].
   */
  table: [number, number];
  data: [number, number];
}

export interface SegmentMeta {
  version: number;
  tenant: string;
  minTime: number;
  maxTime: number;
  createdAt: number;
  profiles: number;
  samples: number;
  series: SeriesMeta[];
  datasets: DatasetMeta[];
  /** 0 for a segment written by ingest; 1 or more for a block made by compaction. */
  level?: number;
  /** Keys of the objects merged into a block (version 1 readers drop those objects). */
  sources?: string[];
  /** Version 1 only: column name -> [byte offset from object start, element count]. */
  columns?: Record<string, [number, number]>;
}

export class SegmentFormatError extends Error {
  override name = 'SegmentFormatError';
}

/** Reads the header; returns the meta, or the number of bytes needed when `head` is too short. */
export function decodeMeta(head: Buffer): SegmentMeta | { need: number } {
  if (head.length < HEADER_FIXED) {
    return { need: HEADER_FIXED };
  }
  if (head.readUInt32LE(0) !== MAGIC) {
    throw new SegmentFormatError('not a segment object (bad magic)');
  }
  const version = head.readUInt32LE(4);
  if (version !== FORMAT_V1 && version !== FORMAT_V2) {
    throw new SegmentFormatError(`unsupported segment version ${version}`);
  }
  const metaLen = head.readUInt32LE(8);
  if (head.length < HEADER_FIXED + metaLen) {
    return { need: HEADER_FIXED + metaLen };
  }
  const meta = JSON.parse(head.toString('utf8', HEADER_FIXED, HEADER_FIXED + metaLen)) as SegmentMeta;
  if (meta.version !== version) {
    throw new SegmentFormatError(`segment header says version ${version}, its meta ${meta.version}`);
  }
  if (version === FORMAT_V1) {
    meta.datasets = [
      {
        service: '',
        series: meta.series.map((_, i) => i),
        profiles: meta.profiles,
        samples: meta.samples,
        minTime: meta.minTime,
        maxTime: meta.maxTime,
        table: [0, -1],
        data: [0, -1],
      },
    ];
  }
  return meta;
}

/** The dataset of each series of an object (-1 for none). */
export function datasetOfSeries(meta: SegmentMeta): Int32Array {
  const out = new Int32Array(meta.series.length).fill(-1);
  meta.datasets.forEach((d, i) => {
    for (const s of d.series) {
      out[s] = i;
    }
  });
  return out;
}
