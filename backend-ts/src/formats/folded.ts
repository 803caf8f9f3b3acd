// Folded stacks, the default /ingest text format: one `frame;frame;frame count` per line, root first.
import { FormatError } from './formatError.js';
import { buildTextProfile, type StackCount, type TextIngestParams } from './textTypes.js';
import type { FormatOutput } from './normalizedProfileBuilder.js';

/**
 * Parses folded stacks. The count follows the LAST space (frame names may contain spaces); blank lines
 * are skipped; a line without an integer count is an error (Pyroscope skips a line without any space
 * silently, which hides truncated uploads, so we refuse it). Repeated stacks are summed.
 */
export function parseFolded(body: Uint8Array | string, maxDepth = 0): StackCount[] {
  const sums = new Map<string, number>();
  forEachLine(body, (line, lineNo) => {
    if (line.trim() === '') {
      return;
    }
    const sp = line.lastIndexOf(' ');
    if (sp < 0) {
      throw new FormatError(`folded line ${lineNo}: "${clip(line)}" has no count: expected "frame;frame;... <count>"`);
    }
    const stack = line.slice(0, sp);
    const countText = line.slice(sp + 1);
    if (!/^[+-]?\d+$/.test(countText)) {
      throw new FormatError(`folded line ${lineNo}: count "${clip(countText)}" is not an integer`);
    }
    const count = Number(countText);
    if (count < 0 || !Number.isSafeInteger(count)) {
      throw new FormatError(`folded line ${lineNo}: count ${clip(countText)} is out of range (0 .. 2^53-1)`);
    }
    if (stack === '') {
      throw new FormatError(`folded line ${lineNo}: empty stack before the count`);
    }
    const kept = maxDepth > 0 ? rootMost(stack, maxDepth) : stack;
    sums.set(kept, (sums.get(kept) ?? 0) + count);
  });
  return toStacks(sums);
}

/** Folded body → series, typed by the app-name suffix (see textTypes.ts); stacks cut to maxDepth (0 = none). */
export function readFolded(body: Uint8Array | string, params: TextIngestParams, maxDepth = 0): FormatOutput[] {
  return buildTextProfile(parseFolded(body, maxDepth), params);
}

/** Calls fn for each line (1-based numbers), without the line break; `\r\n` counts as one break. */
export function forEachLine(body: Uint8Array | string, fn: (line: string, lineNo: number) => void): void {
  const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
  let start = 0;
  let lineNo = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) {
      end = text.length;
    }
    let line = text.slice(start, end);
    if (line.endsWith('\r')) {
      line = line.slice(0, -1);
    }
    if (end < text.length || line !== '') {
      fn(line, lineNo);
    }
    start = end + 1;
    lineNo++;
  }
}

/** The first maxDepth frames of a root-first stack (as ingest/stackDepth.ts keeps them), found without a split. */
function rootMost(stack: string, maxDepth: number): string {
  if (stack.length <= 2 * maxDepth) {
    // fewer than maxDepth separators fit: nothing to cut
    return stack;
  }
  let at = -1;
  for (let i = 0; i < maxDepth; i++) {
    at = stack.indexOf(';', at + 1);
    if (at < 0) {
      return stack;
    }
  }
  return stack.slice(0, at);
}

export function toStacks(sums: Map<string, number>): StackCount[] {
  const out: StackCount[] = [];
  for (const [stack, value] of sums) {
    out.push({ frames: stack.split(';'), value });
  }
  return out;
}

export function clip(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
