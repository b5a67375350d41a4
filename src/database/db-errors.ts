/** SQLSTATEs worth an immediate retry: deadlock, serialization failure, lock timeout. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001', '55P03']);

/** Connection-level failures: the database went away or refused us. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isRetryableDbError(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && RETRYABLE_SQLSTATES.has(code);
}

/**
 * The database refused the data itself (SQLSTATE class 22 "data exception" or 23 "integrity
 * constraint violation"): retrying the same rows can never succeed, unlike connection errors,
 * deadlocks, lock or statement timeouts.
 */
export function isDataError(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** The SQLSTATE or errno of a database error, if it has one. */
export function dbErrorCode(err: unknown): string | undefined {
  return codeOf(err);
}

export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (code && CONNECTION_CODES.has(code)) return true;
  const msg = String((err as Error)?.message ?? '');
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(msg);
}

/** A short description for logs: the SQLSTATE or errno and the message, never parameters. */
export function describeDbError(err: unknown): string {
  const code = codeOf(err) ?? 'no code';
  const msg = String((err as Error)?.message ?? err).split('\n')[0].slice(0, 200);
  return `${code}: ${msg}`;
}
