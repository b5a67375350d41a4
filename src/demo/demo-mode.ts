import type { AppConfig } from '../config/app-config.js';

/**
 * When the demo is on, and who may get a demo token.
 *
 * - Development-token mode: neither `JWT_SECRET` nor `JWT_JWKS_URL` is set, so the service signs
 *   its own tokens with a secret under the data directory (as `npm run token` does).
 * - Pages (`/demo`): `DEMO_ENABLED` when set, else on in development-token mode only.
 * - Tokens (`POST /demo/token`): **only ever in development-token mode** (a real `JWT_SECRET` or
 *   JWKS means real identities, which the demo must never mint), and not when `DEMO_ENABLED=false`.
 *   Unless `DEMO_ENABLED=true` says the demo is meant to be reached from other machines, only
 *   clients on this machine (loopback) get one: the service listens on 0.0.0.0 by default, and
 *   anyone on the network could otherwise act as any user.
 */
export interface DemoMode {
  devTokens: boolean;
  pages: boolean;
  tokens: 'off' | 'loopback' | 'any';
}

export function demoMode(config: Pick<AppConfig, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'DEMO_ENABLED'>): DemoMode {
  const devTokens = !config.JWT_SECRET && !config.JWT_JWKS_URL;
  const pages = config.DEMO_ENABLED ?? devTokens;
  const tokens = !devTokens || config.DEMO_ENABLED === false ? 'off' : config.DEMO_ENABLED === true ? 'any' : 'loopback';
  return { devTokens, pages, tokens };
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
