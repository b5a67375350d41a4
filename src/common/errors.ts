import { HttpException, HttpStatus } from '@nestjs/common';

/** A 503 that tells the client when to come back (draining, or too much pending data). */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: 503, error: 'Service Unavailable', message }, HttpStatus.SERVICE_UNAVAILABLE);
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
