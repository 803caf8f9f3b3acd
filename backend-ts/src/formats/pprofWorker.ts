// Worker thread entry of PprofDecoder: inflates and decodes one pprof per message and sends the columns back
// as transferred buffers (no copy).
import { parentPort } from 'node:worker_threads';
import type { NormalizedProfile } from '../model/profile.js';
import { FormatError } from './formatError.js';
import { inflateAndDecodePprof } from './pprof.js';

export interface DecodeRequest {
  id: number;
  body: Uint8Array;
  maxBytes: number;
  maxDepth: number;
}

export type DecodeReply =
  | { id: number; ok: true; profile: NormalizedProfile; inflatedBytes: number; truncatedStacks: number }
  | { id: number; ok: false; message: string; status: number; format: boolean };

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
    const { profile, inflatedBytes, truncatedStacks } = inflateAndDecodePprof(req.body, req.maxBytes, req.maxDepth);
    reply = { id: req.id, ok: true, profile, inflatedBytes, truncatedStacks };
    transfer = profileBuffers(profile);
  } catch (e) {
    const format = e instanceof FormatError;
    reply = {
      id: req.id,
      ok: false,
      message: (e as Error).message,
      status: format ? (e as FormatError).status : 500,
      format,
    };
  }
  parentPort!.postMessage(reply, transfer);
});
