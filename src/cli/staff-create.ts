import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { createDataSource } from '../database/data-source.js';
import { ensureDatabase, migrate, Unreachable } from '../database/preflight.js';
import { CliError, createStaffAccount, parseStaffCreateArgs } from './staff-create.command.js';

/** `npm run staff:create -- --email x --name y --role admin|officer`: one more staff account, from a terminal. */
async function main(): Promise<void> {
  const config = loadConfig();
  const args = parseStaffCreateArgs(process.argv.slice(2));
  const password = process.env.STAFF_PASSWORD || (await askPassword());
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);
  const db = createDataSource(config.databaseUrl, 1);
  await db.initialize();
  try {
    const { id } = await createStaffAccount(db, { ...args, password });
    process.stdout.write(`Created ${args.role} account ${id}.\n`);
  } finally {
    await db.destroy();
  }
}

/** Asks on a terminal without echoing (twice, to catch typos); reads one line when stdin is a pipe. */
async function askPassword(): Promise<string> {
  const tty = Boolean(process.stdin.isTTY);
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: tty });
  const ask = (prompt: string) =>
    new Promise<string>((resolve, reject) => {
      if (tty) process.stderr.write(prompt);
      muted = true;
      rl.once('close', () => reject(new CliError('No password given (set STAFF_PASSWORD or type it when asked).')));
      rl.question('', (answer) => {
        muted = false;
        if (tty) process.stderr.write('\n');
        resolve(answer);
      });
    });
  try {
    const first = await ask('Password (12-200 characters): ');
    if (tty && (await ask('Same password again: ')) !== first) throw new CliError('The two passwords are not the same.');
    return first;
  } finally {
    rl.removeAllListeners('close');
    rl.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof CliError || err instanceof ConfigError || err instanceof Unreachable) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`staff:create failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exit(1);
});
