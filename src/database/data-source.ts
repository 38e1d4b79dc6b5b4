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
 * The pg pool under a TypeORM data source, for the hot statements we run as named prepared statements
 * (`pool.query({ name, text, values })`): PostgreSQL parses and plans each once per connection.
 */
export function driverPool(db: DataSource): pg.Pool {
  return (db.driver as PostgresDriver).master as pg.Pool;
}
