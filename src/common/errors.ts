import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * A 503 (or 429) that tells the client when to come back: draining, too much pending data, or
 * (429) too many pending sessions of this one user.
 */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    status: HttpStatus.SERVICE_UNAVAILABLE | HttpStatus.TOO_MANY_REQUESTS = HttpStatus.SERVICE_UNAVAILABLE,
  ) {
    super(
      { statusCode: status, error: status === HttpStatus.TOO_MANY_REQUESTS ? 'Too Many Requests' : 'Service Unavailable', message },
      status,
    );
  }
}

/** A 400 that names each bad field. */
export interface FieldError {
  field: string;
  message: string;
}

export class FieldValidationException extends HttpException {
  constructor(readonly errors: FieldError[]) {
    super(
      {
        statusCode: 400,
        error: 'Bad Request',
        message: errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)),
        errors,
      },
      HttpStatus.BAD_REQUEST,
    );
  }
}
