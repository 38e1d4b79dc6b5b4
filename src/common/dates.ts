import { registerDecorator, ValidationOptions } from 'class-validator';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,6})?)?(Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$/;

function isRealDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return Number(y) >= 1 && date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

/** An ISO 8601 calendar date (YYYY-MM-DD) or date-time (with or without an offset; without one it is UK time). */
export function isIsoDateOrDateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE_ONLY.exec(value) ?? DATE_TIME.exec(value);
  return Boolean(m && isRealDate(m[1], m[2], m[3]));
}

export const isDateOnly = (value: string): boolean => DATE_ONLY.test(value);

/** Validation rule of the date filters (inbox, audit log): isIsoDateOrDateTime. */
export function IsIsoDateOrDateTime(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isIsoDateOrDateTime',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be an ISO 8601 date (YYYY-MM-DD) or date-time`, ...options },
      validator: { validate: isIsoDateOrDateTime },
    });
}

/**
 * A date filter as a timestamptz SQL expression: a date is UK midnight (plus `days`, so a date-only "to" can include
 * its whole day), a date-time without an offset is UK time. The value travels as a parameter through `p`.
 */
export function ukInstantSql(value: string, p: (v: unknown) => string, days: number): string {
  if (isDateOnly(value)) return `((${p(value)}::date + ${days})::timestamp AT TIME ZONE 'Europe/London')`;
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(value)) return `${p(value)}::timestamptz`;
  return `(${p(value)}::timestamp AT TIME ZONE 'Europe/London')`;
}
