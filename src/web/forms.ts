import type { FieldError } from '../common/errors.js';

/** A posted form field as text: urlencoded bodies hold strings, or arrays when a name repeats (then: nothing). */
export const formText = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Each field's message, for the inline error beside the field (the summary lists the same words). */
export const errorsByField = (errors: FieldError[]): Record<string, string> =>
  Object.fromEntries(errors.map((e) => [e.field, e.message]));
