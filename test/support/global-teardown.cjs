const pg = require('pg');
const { serverUrl } = require('./global-setup.cjs');

module.exports = async function globalTeardown() {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "policy_inbox_tpl_${process.env.POLICY_INBOX_TEST_TEMPLATE_PID}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
};
