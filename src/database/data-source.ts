import type pg from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { ENTITIES, MIGRATIONS } from './schema.js';

/** One set of options for the app, the migration command and the test harness. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5_000, application_name: 'policy-inbox' },
  };
}

export function createDataSource(url: string, poolSize?: number): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}

/**
 * The pg pool under a TypeORM data source, for the hot statements we run without TypeORM's query runner: the
 * intake INSERT as a named prepared statement (`pool.query({ name, text, values })`, parsed and planned once per
 * connection), and the mail ledger's batched claims and sent marks, which are planned on every run (see
 * src/queue/outbound-emails.ts).
 */
export function driverPool(db: DataSource): pg.Pool {
  return (db.driver as PostgresDriver).master as pg.Pool;
}
