import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';
import type { AppConfig } from '../config/app-config.js';

/** Never logged, whatever carries them. */
export const REDACT_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.body.accessToken', '*.accessToken', '*.token'];

const roots = new Map<string, Pino>();

/**
 * The one pino logger of the process: JSON lines on stdout, pretty-printed only when run by hand
 * in a terminal outside production. Lines logged before the Nest application exists (embedded
 * database, migrations) and the application's own lines go through it, so stdout has one format.
 */
export function rootLogger(config: Pick<AppConfig, 'LOG_LEVEL' | 'NODE_ENV'>, interactive: boolean): Pino {
  const level = config.LOG_LEVEL === 'verbose' ? 'trace' : config.LOG_LEVEL;
  const pretty = interactive && config.NODE_ENV !== 'production';
  const key = `${level}|${pretty}`;
  let root = roots.get(key);
  if (!root) {
    const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
    root = pretty
      ? pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } })
      : // Synchronous writes: pino's default stdout stream buffers and registers an exit hook that
        // flushes synchronously, which spins while the reader of a full pipe has stopped reading
        // (a Jest worker then "failed to exit gracefully"). A line written is a line out, also
        // right before process.exit().
        pino(options, pino.destination({ dest: 1, sync: true }));
    roots.set(key, root);
  }
  return root;
}

/**
 * Nest's logger interface over pino (`context` carries the Nest context), for `Logger` instances
 * used before the application exists: `Logger.overrideLogger(new PinoNestLogger(root))`.
 */
export class PinoNestLogger implements LoggerService {
  private readonly target: () => Pino;

  constructor(pino: Pino | (() => Pino)) {
    this.target = typeof pino === 'function' ? pino : () => pino;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.call('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.call('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.call('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.call('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.call('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.call('fatal', message, rest);
  }

  private call(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    const pino = this.target();
    // Nest passes the context last; its exception handlers pass (message, stack, context).
    const context = rest.length ? rest[rest.length - 1] : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    const stack = rest.length === 2 && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0]) ? rest[0] : undefined;
    if (message instanceof Error) pino[level]({ ...fields, err: message });
    else if (typeof message === 'object' && message !== null) pino[level]({ ...fields, ...message });
    else if (stack) pino[level]({ ...fields, err: Object.assign(new Error(String(message)), { stack }) });
    else pino[level](fields, String(message));
  }
}
