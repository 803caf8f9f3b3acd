// Entry point: `node dist/main.js -server.http-listen-port=4040 ...` (what `npm run backend` and images run).
import { loadConfig } from './config/config.js';
import { enableLinearRegex } from './config/runtime.js';
import { createService } from './server.js';

async function main(): Promise<void> {
  enableLinearRegex();
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const svc = await createService(cfg);
  const log = svc.app.log;
  if (cfg.ignored.length > 0) {
    log.info({ ignored: cfg.ignored }, 'Pyroscope options accepted and ignored (not implemented by backend-ts)');
  }
  const host = cfg.server.httpListenAddress || '0.0.0.0';
  await svc.app.listen({ port: cfg.server.httpListenPort, host });
  log.info(
    {
      storage: cfg.storage.backend,
      dir: cfg.storage.backend === 'filesystem' ? cfg.storage.filesystem.dir : undefined,
      container: cfg.storage.backend === 'azure' ? cfg.storage.azure.containerName : undefined,
      multitenancy: cfg.multitenancyEnabled,
    },
    'backend-ts ready'
  );
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal: sig }, 'shutting down: draining in-flight batches');
    svc.close().then(
      () => process.exit(0),
      (e) => {
        log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      }
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`fatal: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
