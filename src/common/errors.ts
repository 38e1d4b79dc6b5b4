/** Small domain errors; services throw these and one filter maps them to HTTP. */
export interface FieldError {
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly statusCode: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DomainError {
  readonly statusCode = 404;
}

export class Conflict extends DomainError {
  readonly statusCode = 409;
}

/** A request that is well-formed but cannot be done: a forbidden status change, a reused idempotency key. */
export class Unprocessable extends DomainError {
  readonly statusCode = 422;
}

export class InvalidTransition extends Unprocessable {}

export class Forbidden extends DomainError {
  readonly statusCode = 403;
}

export class Unauthorized extends DomainError {
  readonly statusCode = 401;
}

export class InvalidInput extends DomainError {
  readonly statusCode = 400;
  constructor(readonly errors: FieldError[], message = 'The request has invalid fields') {
    super(message);
  }
}

export class TooManyRequests extends DomainError {
  readonly statusCode = 429;
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

export class ServiceUnavailable extends DomainError {
  readonly statusCode = 503;
}

/** A web inbox page asked for without a session: the answer is a 303 to the sign-in page, which comes back to `next`. */
export class SignInRequired extends DomainError {
  readonly statusCode = 401;
  constructor(readonly next: string) {
    super('Sign in to use the staff inbox');
  }
}
