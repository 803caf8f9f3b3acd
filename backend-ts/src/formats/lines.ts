// `format=lines`: one stack per line (`frame;frame;frame`, root first) and no count; every line is one
// sample, so a stack's count is the number of lines that repeat it (Pyroscope's ParseIndividualLines).
import { forEachLine, toStacks } from './folded.js';
import { buildTextProfile, type StackCount, type TextIngestParams } from './textTypes.js';
import type { FormatOutput } from './normalizedProfileBuilder.js';

/** Parses the lines format; blank lines are skipped, anything else is a stack, so it cannot be malformed. */
export function parseLines(body: Uint8Array | string): StackCount[] {
  const counts = new Map<string, number>();
  forEachLine(body, (line) => {
    if (line.trim() !== '') {
      counts.set(line, (counts.get(line) ?? 0) + 1);
    }
  });
  return toStacks(counts);
}

/** Lines body → series, typed by the app-name suffix (see textTypes.ts). */
export function readLines(body: Uint8Array | string, params: TextIngestParams): FormatOutput[] {
  return buildTextProfile(parseLines(body), params);
}
