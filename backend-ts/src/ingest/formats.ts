// Registers the non-pprof format readers with the ingester (each format module stays HTTP-free).
import { readFolded } from './folded.js';
import { parseJfr } from './jfr/parse-jfr.js';
import { maybeGunzip } from './pprof.js';
import { parseTimeParam } from './params.js';
import { FormatError } from './formatError.js';
import type { FormatReader, Ingester } from './ingester.js';
import { readLines } from './lines.js';
import { readSpeedscope } from './speedscope.js';
import type { TextIngestParams } from './textTypes.js';

type TextReader = (body: Uint8Array, params: TextIngestParams) => ReturnType<FormatReader>;

function text(read: TextReader): FormatReader {
  return ({ body, params, app, clientLabels }) =>
    read(body, {
      appName: app,
      labels: clientLabels,
      sampleRate: params.sampleRate ?? null,
      spyName: params.spyName ?? null,
      units: params.units ?? null,
      aggregationType: params.aggregationType ?? null,
    });
}

export function registerFormats(ingester: Ingester): void {
  ingester.registerFormat('folded', text(readFolded));
  ingester.registerFormat('lines', text(readLines));
  ingester.registerFormat('speedscope', text(readSpeedscope));
  const legacyBinary: FormatReader = () => {
    throw new FormatError('the legacy binary trie/tree upload formats are not supported: send pprof, folded or lines');
  };
  ingester.registerFormat('trie', legacyBinary);
  // The Java agent: raw JFR, or multipart with `jfr` and an optional LabelsSnapshot in `labels`, each maybe gzipped
  ingester.registerFormat('jfr', ({ body, parts, params, limits }) => {
    const max = limits.maxProfileSizeBytes > 0 ? Math.max(limits.maxProfileSizeBytes, 64 * 1024 * 1024) : 0;
    let jfr: Buffer = body;
    let labels: Buffer | undefined;
    if (parts) {
      const j = parts.get('jfr');
      if (!j) {
        throw new FormatError('multipart body has no "jfr" field');
      }
      jfr = maybeGunzip(j, max, 'jfr');
      const l = parts.get('labels');
      labels = l && l.length > 0 ? maybeGunzip(l, max, 'labels') : undefined;
    }
    const now = Date.now();
    const rate = Number(params.sampleRate);
    const out = parseJfr(jfr, labels, {
      sampleRate: Number.isFinite(rate) && rate > 0 ? rate : 100,
      startTimeMs: parseTimeParam(params.from, now),
      endTimeMs: parseTimeParam(params.until, now),
    });
    return out.map((p) => ({ labels: [['__name__', p.name]], profile: p.profile }));
  });
  ingester.registerFormat('tree', legacyBinary);
}
