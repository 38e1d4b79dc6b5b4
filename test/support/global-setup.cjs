// Runs once per `jest` run, outside Jest's module system (plain CommonJS, so no TypeScript here).
// It names this run's template database and drops databases left behind by runs that died.
const pg = require('pg');
const { userInfo } = require('node:os');

const serverUrl = () => process.env.TEST_DATABASE_URL ?? `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`;
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

module.exports = async function globalSetup() {
  process.env.POLICY_INBOX_TEST_TEMPLATE_PID = String(process.pid);
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname ~ '^policy_inbox_(tpl|test)_[0-9]+'`);
    for (const { datname } of rows) {
      const pid = Number(/^policy_inbox_(?:tpl|test)_(\d+)/.exec(datname)[1]);
      if (!alive(pid)) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
};
module.exports.serverUrl = serverUrl;
