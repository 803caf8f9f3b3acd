// Worker thread entry of PprofDecoder: inflates and decodes one pprof per message and sends the columns back
// as transferred buffers (no copy).
import { parentPort } from 'node:worker_threads';
import type { NormalizedProfile } from '../model/profile.js';
import { FormatError } from './formatError.js';
import type { ParseJfrOptions } from './jfr/parse-jfr.js';
import { readJfrInput, type JfrRead } from './jfrInput.js';
import { inflateAndDecodePprof } from './pprof.js';
import { readText, type TextFormat, type TextResult } from './textFormats.js';
import type { TextIngestParams } from './textTypes.js';

export type DecodeRequest =
  | { id: number; kind?: 'pprof'; body: Uint8Array; maxBytes: number; maxDepth: number }
  | { id: number; kind: 'jfr'; body: Uint8Array; labels?: Uint8Array; options: ParseJfrOptions; maxBytes: number }
  | {
      id: number;
      kind: 'text';
      format: TextFormat;
      body: Uint8Array;
      inflate: boolean;
      maxBytes: number;
      params: TextIngestParams;
      maxDepth: number;
    };

export type DecodeReply =
  | { id: number; ok: true; profile: NormalizedProfile; inflatedBytes: number; truncatedStacks: number }
  | { id: number; ok: true; jfr: JfrRead }
  | { id: number; ok: true; text: TextResult }
  | { id: number; ok: false; message: string; status: number; format: boolean; name?: string };

/** The buffers behind a profile's typed arrays, each once (a transfer list must not repeat one). */
function profileBuffers(p: NormalizedProfile): ArrayBuffer[] {
  const arrays = [
    p.fnName,
    p.fnSystemName,
    p.fnFilename,
    p.fnStartLine,
    p.frameFn,
    p.frameLine,
    p.stackOffsets,
    p.stackFrames,
    p.sampleStack,
    p.sampleLabelSet,
    p.sampleSpan,
    ...(p.sampleTrace ? [p.sampleTrace] : []),
    ...p.sampleValues,
  ];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

parentPort?.on('message', (req: DecodeRequest) => {
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    if (req.kind === 'jfr') {
      const jfr = readJfrInput(req.body, req.labels, req.options, req.maxBytes);
      reply = { id: req.id, ok: true, jfr };
      transfer = [...new Set(jfr.profiles.flatMap((p) => profileBuffers(p.profile)))];
    } else if (req.kind === 'text') {
      const text = readText(req.format, req.body, req.inflate, req.maxBytes, req.params, req.maxDepth);
      reply = { id: req.id, ok: true, text };
      transfer = [...new Set(text.profiles.flatMap((p) => profileBuffers(p.profile)))];
    } else {
      const { profile, inflatedBytes, truncatedStacks } = inflateAndDecodePprof(req.body, req.maxBytes, req.maxDepth);
      reply = { id: req.id, ok: true, profile, inflatedBytes, truncatedStacks };
      transfer = profileBuffers(profile);
    }
  } catch (e) {
    const format = e instanceof FormatError;
    reply = {
      id: req.id,
      ok: false,
      message: (e as Error).message,
      status: format ? (e as FormatError).status : 500,
      format,
      // a JfrParseError is known by its name on the other side (a 400, not a crash)
      name: (e as Error)?.name,
    };
  }
  parentPort!.postMessage(reply, transfer);
});
