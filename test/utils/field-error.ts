export interface FieldError {
  field: string;
  message: string;
}

/** A 400 in the documented JSON shape, naming `field` both in `errors` and in `message`. */
export function expectFieldError(res: { status: number; body: unknown; headers?: Record<string, unknown> }, field: string): FieldError {
  expect(res.status).toBe(400);
  if (res.headers) expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.body as { errors?: FieldError[]; message?: unknown };
  expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  const errors = body.errors;
  expect(Array.isArray(errors)).toBe(true);
  const hit = errors!.find((e) => e.field === field);
  if (!hit) throw new Error(`expected an error for "${field}", got ${JSON.stringify(body)}`);
  expect(typeof hit.message).toBe('string');
  expect(hit.message.length).toBeGreaterThan(0);
  expect(body.message).toEqual(expect.arrayContaining([expect.stringContaining(field)]));
  return hit;
}

/** The same, for a `fetch` response (tests against a service in a child process). */
export async function expectFetchFieldError(res: Response, field: string): Promise<FieldError> {
  return expectFieldError({ status: res.status, body: await res.json(), headers: { 'content-type': res.headers.get('content-type') } }, field);
}
