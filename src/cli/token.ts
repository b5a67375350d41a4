import 'reflect-metadata';
import { resolveHmacSecret } from '../auth/dev-secret.js';
import { signToken } from '../auth/sign-token.js';
import { ConfigError, loadConfig } from '../config/app-config.js';

/** `npm run token -- <userId> [--admin]`: prints a token signed with JWT_SECRET or the dev secret. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const admin = args.includes('--admin');
  const userId = args.find((a) => !a.startsWith('--'));
  if (!userId) {
    console.error('usage: npm run token -- <userId> [--admin]');
    process.exit(2);
  }
  const config = loadConfig();
  const hmac = resolveHmacSecret(config);
  if (!hmac) {
    console.error('Only JWT_JWKS_URL is configured: tokens come from your identity provider.');
    process.exit(2);
  }
  console.log(await signToken(hmac.secret, userId, { admin, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
