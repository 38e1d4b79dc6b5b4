import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log's list (GET /api/admin/audit): keyset pages on (created_at DESC, id DESC), whole or filtered by
 * actor or action. The action index is in byte order (COLLATE "C") so a prefix such as 'data-subject.' is a range
 * of it whatever the database's collation. (created_at, id) replaces the index on created_at alone.
 */
export class AuditLog1764000650000 implements MigrationInterface {
  name = 'AuditLog1764000650000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX audit_events_created_id_idx ON audit_events (created_at DESC, id DESC)`);
    await q.query(`DROP INDEX audit_events_created_idx`);
    await q.query(`CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, created_at DESC, id DESC) WHERE actor_id IS NOT NULL`);
    await q.query(`CREATE INDEX audit_events_action_idx ON audit_events ((action COLLATE "C"), created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_events_action_idx`);
    await q.query(`DROP INDEX audit_events_actor_idx`);
    await q.query(`CREATE INDEX audit_events_created_idx ON audit_events (created_at DESC)`);
    await q.query(`DROP INDEX audit_events_created_id_idx`);
  }
}
