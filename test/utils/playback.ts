import { randomUUID } from 'node:crypto';
import type { TestApp } from './create-app.js';

/** Sends heartbeats of one user through the real HTTP route, asserting each is accepted. */
export async function send(t: TestApp, token: string, body: Record<string, unknown>): Promise<void> {
  const res = await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(body);
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(res.body)}`);
}

export async function getItem(t: TestApp, token: string, path = '/v1/history/movie/550') {
  const res = await t.http().get(path).set('Authorization', `Bearer ${token}`);
  return res;
}

export function newSession(): string {
  return randomUUID();
}
