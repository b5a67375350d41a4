import './utils/ts-resolve-hook.cjs';
import type { EmbeddedPostgres } from '../src/database/embedded-postgres.js';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __embeddedPg?: EmbeddedPostgres }).__embeddedPg?.stop({ owner: true });
}
