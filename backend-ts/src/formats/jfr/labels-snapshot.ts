import { fromBinary } from '@bufbuild/protobuf';
import { LabelsSnapshotSchema, type LabelsSnapshot } from '../../gen/jfr/v1/labels_pb.js';
import { JfrParseError } from './jfr-parse-error.js';

/** Label names that identify a span: kept per sample (NormalizedProfile.sampleSpan), never in a label set. */
const SPAN_LABELS: ReadonlySet<string> = new Set(['span_id', 'profile_id']);
/** Per-sample ids the label sets must not carry and the normalized profile has no column for. */
const DROPPED_LABELS: ReadonlySet<string> = new Set(['trace_id']);

/** The labels of one sample, resolved from its JFR context id and span fields. */
export interface SampleCorrelation {
  /** Sorted by name, without span ids. */
  labels: Array<[string, string]>;
  /** Span id as Pyroscope renders it (16 hex digits), or '' for none. */
  span: string;
}

export function decodeLabelsSnapshot(bytes: Uint8Array): LabelsSnapshot {
  try {
    return fromBinary(LabelsSnapshotSchema, bytes);
  } catch (e) {
    throw new JfrParseError(`invalid labels snapshot: ${e instanceof Error ? e.message : String(e)}`, undefined, {
      cause: e,
    });
  }
}

/**
 * Resolves what the Java agent attaches to a sample: the labels of its context id in the snapshot, plus the
 * span id and span name that newer agents write into the event itself (span name is a snapshot string id).
 * As in Pyroscope, nothing is attached when no snapshot was sent.
 */
export class LabelsResolver {
  private readonly snapshot: LabelsSnapshot;

  constructor(snapshot: LabelsSnapshot) {
    this.snapshot = snapshot;
  }

  resolve(
    contextHi: number,
    contextLo: number,
    spanHi: number,
    spanLo: number,
    spanNameHi: number,
    spanNameLo: number
  ): SampleCorrelation {
    const labels: Array<[string, string]> = [];
    let span = '';
    const strings = this.snapshot.strings;
    const ctx = this.snapshot.contexts[int64Key(contextHi, contextLo)];
    if (ctx !== undefined) {
      for (const [k, v] of Object.entries(ctx.labels)) {
        const name = strings[k] ?? '';
        const value = strings[v.toString()] ?? '';
        if (name === '' || value === '' || DROPPED_LABELS.has(name)) {
          continue;
        }
        if (SPAN_LABELS.has(name)) {
          span = value;
        } else {
          labels.push([name, value]);
        }
      }
    }
    if (spanHi !== 0 || spanLo !== 0) {
      span = hex16(spanHi, spanLo);
    }
    if (spanNameHi !== 0 || spanNameLo !== 0) {
      const name = strings[int64Key(spanNameHi, spanNameLo)] ?? '';
      if (name !== '') {
        labels.push(['span_name', name]);
      }
    }
    labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // Two string ids can name the same label; keep one value per name, the last as a map would.
    for (let i = labels.length - 1; i > 0; i--) {
      if (labels[i - 1]![0] === labels[i]![0]) {
        labels.splice(i - 1, 1);
      }
    }
    return { labels, span };
  }
}

/** Map key of a 64-bit value read as unsigned halves, as protobuf-es renders int64 map keys (signed decimal). */
function int64Key(hi: number, lo: number): string {
  if (hi < 0x200000) {
    return String(hi * 4294967296 + lo);
  }
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}

function hex16(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
