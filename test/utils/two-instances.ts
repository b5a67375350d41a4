import { createTestApp, type TestApp } from './create-app.js';

/** Two instances of the app on one fresh database (as two processes behind a load balancer). */
export async function twoInstances(env: Record<string, string> = {}): Promise<[TestApp, TestApp]> {
  const a = await createTestApp(env);
  const b = await createTestApp(env, { databaseUrl: a.databaseUrl });
  return [a, b];
}

/** Closes apps in the order given; any may be undefined when a `beforeAll` failed. */
export async function closeAll(...apps: (TestApp | undefined)[]): Promise<void> {
  for (const app of apps) await app?.close();
}
