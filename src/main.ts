import 'reflect-metadata';
import { boot, run } from './database/boot.js';

/** `npm start`: check config and dependencies, create and migrate the database, then serve (and run workers). */
run('Policy Inbox', async () => {
  const { config, prepared, startedAt, warnings } = await boot();
  // The app (every module, TypeORM, Swagger) loads only once its dependencies are known to be there.
  const { createApp } = await import('./app.setup.js');
  const app = await createApp(config);
  const { Logger } = await import('@nestjs/common');
  const log = new Logger('Main');
  for (const w of warnings) log.warn(w);
  await app.listen(config.port);
  log.log(`Policy Inbox listening on ${config.publicBaseUrl} (workers: ${config.workers}, ${prepared.migrations} migrations applied, ready in ${Date.now() - startedAt} ms)`);
});
