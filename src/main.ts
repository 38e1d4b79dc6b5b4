import 'reflect-metadata';
import { boot, run } from './database/boot.js';

/** `npm start`: check config and dependencies, create and migrate the database, then serve (and run workers). */
run('Policy Inbox', async () => {
  const { config, prepared, startedAt, warnings } = await boot();
  // The app (every module, TypeORM, Swagger) loads only once its dependencies are known to be there.
  const { createApp } = await import('./app.setup.js');
  // WORKERS=inline: the workers run beside the API in a child process at a lower priority (src/supervisor.ts).
  const inline = config.workers === 'inline';
  const app = await createApp(inline ? { ...config, workers: 'off' } : config);
  const { Logger } = await import('@nestjs/common');
  const log = new Logger('Main');
  for (const w of warnings) log.warn(w);
  await app.listen(config.port);
  let workers = 'off';
  if (inline) {
    const { WorkerSupervisor, WORKER_NICENESS, stopWorkersAfterApi } = await import('./supervisor.js');
    const supervisor = new WorkerSupervisor(config, log);
    stopWorkersAfterApi(app, supervisor, log);
    supervisor.start();
    workers = `inline, process ${supervisor.pid} at nice +${WORKER_NICENESS}`;
  }
  log.log(`Policy Inbox listening on ${config.publicBaseUrl} (workers: ${workers}, ${prepared.migrations} migrations applied, ready in ${Date.now() - startedAt} ms)`);
  const { startupLines } = await import('./common/logging.js');
  for (const line of startupLines(config)) log.log(line);
});
