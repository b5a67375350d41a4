import { createTestApp, type TestApp } from './create-app.js';
import { createTestDatabase } from './test-database.js';
import { TcpProxy } from './tcp-proxy.js';

export interface ProxiedTestApp {
  t: TestApp;
  /** Between the app and its own database: `refuse()` is an outage, `accept()` ends it. */
  proxy: TcpProxy;
  close: () => Promise<void>;
}

/** The real application on a fresh database that it reaches only through a TCP proxy. */
export async function createProxiedTestApp(env: Record<string, string>): Promise<ProxiedTestApp> {
  const database = await createTestDatabase();
  const proxy = TcpProxy.forUrl(database.url);
  await proxy.accept();
  const t = await createTestApp(env, { databaseUrl: proxy.rewrite(database.url) });
  return {
    t,
    proxy,
    close: async () => {
      await t.close();
      await proxy.refuse();
      await database.drop();
    },
  };
}
