import { InvalidInput } from './errors.js';

/**
 * The keyset cursor of a list ordered by (timestamp DESC, id DESC). The timestamp travels as PostgreSQL's own
 * text (`col::text`, microseconds kept): a JS Date would round it and the next page would skip rows.
 */
const POSITION = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeKeysetCursor(position: string, id: string): string {
  return Buffer.from(JSON.stringify([position, id])).toString('base64url');
}

/** `[position, id]` for `(col, id) < ($n::timestamptz, $m::uuid)`; 400 for a cursor this API did not give out. */
export function decodeKeysetCursor(cursor: string): [string, string] {
  try {
    const [position, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof position === 'string' && POSITION.test(position) && typeof id === 'string' && UUID.test(id)) return [position, id];
  } catch {
    // fall through
  }
  throw new InvalidInput([{ field: 'cursor', message: 'cursor is not one this API gave out' }]);
}
