// Registers the non-pprof format readers with the ingester (each format module stays HTTP-free).
import { readFolded } from './folded.js';
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
  ingester.registerFormat('tree', legacyBinary);
}
