import 'reflect-metadata';
import { boot, run } from './database/boot.js';

/** `npm run start:worker`: the queue workers without HTTP; any number may run beside the API processes. */
run('Policy Inbox workers', async () => {
  const { config, startedAt, warnings } = await boot();
  const { startWorkers } = await import('./queue/worker-process.js');
  const app = await startWorkers(config);
  // Started by `npm start` (WORKERS=inline): lower priority, and stop when that process is gone.
  await (await import('./supervisor.js')).superviseFromChild(app);
  const { Logger } = await import('@nestjs/common');
  const log = new Logger('Worker');
  for (const w of warnings) log.warn(w);
  log.log(`Policy Inbox workers running (concurrency ${config.mail.concurrency}, ${config.smtpUrl ? 'SMTP' : `.eml files in ${config.mailDir}`}, ready in ${Date.now() - startedAt} ms)`);
  const { mailDestination } = await import('./common/logging.js');
  log.log(`Mail goes to:  ${mailDestination(config)}`);
});
