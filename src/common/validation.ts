import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { FieldError, InvalidInput } from './errors.js';

/** One line of text: no control characters (CR, LF, tab, …), no line/paragraph separators, no bidi overrides. */
export const SINGLE_LINE = /^[^\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]*$/u;
/** Free text: tab and line breaks allowed; NUL and every other control character refused. */
export const MULTI_LINE = /^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$/;

export const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Length in Unicode code points (an emoji counts once), as SPEC §3.2 asks. */
export function CodePointLength(min: number, max: number, options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'codePointLength',
      target: object.constructor,
      propertyName,
      options: {
        message: min > 0
          ? `${propertyName} must be between ${min} and ${max} characters`
          : `${propertyName} must be ${max} characters or fewer`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePoints(value) >= min && codePoints(value) <= max,
      },
    });
}

/** Flattens class-validator's tree into one `{ field, message }` per bad field. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const constraints = e.constraints ?? {};
    if (constraints.whitelistValidation) {
      out.push({ field, message: `${field} is not a field this request accepts` });
    } else if (Object.keys(constraints).length && e.value === undefined) {
      out.push({ field, message: `${field} is required` });
    } else if (Object.keys(constraints).length) {
      // class-validator lists constraints in reverse order of the decorators; the last one is the first rule.
      const messages = Object.values(constraints);
      out.push({ field, message: messages[messages.length - 1] });
    }
    if (e.children?.length) out.push(...fieldErrors(e.children, field));
  }
  return out;
}

export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => {
      const list = fieldErrors(errors);
      if (!list.length) return new BadRequestException({ statusCode: 400, message: 'The request body must be a JSON object' });
      return new InvalidInput(list);
    },
  });
}
