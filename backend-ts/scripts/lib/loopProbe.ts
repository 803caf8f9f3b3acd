// Preloaded into the backend by `npm run test:hostile` (node --import): the longest event-loop stall of the
// backend process itself, reported and reset when its parent asks over the IPC channel.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
if (process.send) {
  process.on('message', (m) => {
    if (m === 'loop-delay') {
      process.send!({ maxMs: h.max / 1e6 });
      h.reset();
    }
  });
  // the channel must not keep a backend alive that was told to stop
  process.channel?.unref();
}
