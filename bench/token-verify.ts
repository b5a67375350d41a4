/**
 * Micro-benchmark of token verification: µs of CPU per `TokenVerifier.verify()` for HS256,
 * RS256 and ES256 tokens, uncached (a cache of 0 entries: every call verifies from scratch, as
 * before the cache) and cached (the same token again, as a client sends it every 10–30 s).
 *
 *   npm run build && node dist/bench/token-verify.js [--iterations=20000]
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { TokenVerifier } from '../src/auth/token-verifier.js';
import { Clock } from '../src/common/clock.js';
import { loadConfig } from '../src/config/app-config.js';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const AUDIENCE = 'playtime-api';
const iterations = Number(process.argv.find((a) => a.startsWith('--iterations='))?.split('=')[1] ?? 20_000);

async function main(): Promise<void> {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const jwks = JSON.stringify({
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
    ],
  });
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = loadConfig(
    { NODE_ENV: 'test', JWT_SECRET: SECRET, JWT_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, JWT_AUDIENCE: AUDIENCE },
    null,
  );
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const sign = (alg: string, key: Parameters<SignJWT['sign']>[0], kid?: string) =>
    new SignJWT({ sub: 'bench-user', aud: AUDIENCE, exp, roles: [] }).setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) }).sign(key);
  const tokens = {
    HS256: await sign('HS256', new TextEncoder().encode(SECRET)),
    RS256: await sign('RS256', rsa.privateKey, 'rsa'),
    ES256: await sign('ES256', ec.privateKey, 'ec'),
  };

  const rows: string[] = [];
  for (const [alg, token] of Object.entries(tokens)) {
    const perCall: Record<string, number> = {};
    for (const [mode, entries] of [['uncached', 0], ['cached', 1000]] as const) {
      const verifier = new TokenVerifier(config, new Clock(), { cacheEntries: entries });
      for (let i = 0; i < Math.min(1000, iterations); i++) await verifier.verify(token); // warm-up, key fetch
      const cpu = process.cpuUsage();
      for (let i = 0; i < iterations; i++) await verifier.verify(token);
      const used = process.cpuUsage(cpu);
      perCall[mode] = (used.user + used.system) / iterations;
    }
    rows.push(`| ${alg} | ${perCall.uncached.toFixed(1)} | ${perCall.cached.toFixed(2)} | ${(perCall.uncached / perCall.cached).toFixed(0)}× |`);
  }
  server.close();
  console.log(`CPU µs per verify() (${iterations} calls each, Node ${process.version})\n`);
  console.log('| token | uncached µs | cached µs | ratio |\n|---|---|---|---|');
  console.log(rows.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
