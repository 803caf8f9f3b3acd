// What the wrappers around connect-es's handlers share (connectBody.ts, errors.ts, seriesJsonAnswer.ts): a wrapper
// must carry the handler's routing properties, or the router cannot place it; an answer body is one chunk.
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from '@connectrpc/connect/protocol';

/** `fn` in place of `h`, with `h`'s routing properties. */
export function wrapHandler(
  h: UniversalHandler,
  fn: (req: UniversalServerRequest) => Promise<UniversalServerResponse>
): UniversalHandler {
  return Object.assign(fn, {
    protocolNames: h.protocolNames,
    service: h.service,
    method: h.method,
    requestPath: h.requestPath,
    allowedMethods: h.allowedMethods,
    supportedContentType: h.supportedContentType,
  });
}

/** An answer body of one chunk. */
export function onceBody(b: Uint8Array): AsyncIterable<Uint8Array> {
  return (async function* () {
    yield b;
  })();
}
