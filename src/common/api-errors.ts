import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], example: ['mediaId: Invalid input: expected number, received string'] },
    errors: {
      type: 'array',
      description: 'Validation errors only: one per bad field.',
      items: { type: 'object', properties: { field: { type: 'string', example: 'heartbeats[3].mediaId' }, message: { type: 'string' } } },
    },
    requestId: { type: 'string', description: 'Server errors only: quote it to the operators.' },
  },
};

const descriptions: Record<number, string> = {
  400: 'Invalid input (a string holding NUL `\\u0000` anywhere in the request included); `errors` names each bad field.',
  401: 'Missing, malformed, expired or wrongly signed token.',
  403: 'Authenticated, but the route needs the admin role.',
  404: 'Not found (or not yours).',
  429: 'Rate limit exceeded, or (write routes) more than `PLAYTIME_MAX_PENDING_SESSIONS_PER_USER` of your sessions wait to be stored; see the `Retry-After` header (seconds).',
  503: 'Shutting down or too much pending data; see the `Retry-After` header (seconds).',
};

/** Documents the JSON error responses a route can give. */
export function ApiErrors(...codes: number[]) {
  return applyDecorators(
    ...codes.map((status) => ApiResponse({ status, description: descriptions[status], schema: errorSchema })),
  );
}
