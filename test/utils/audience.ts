import { randomUUID } from 'node:crypto';
import { signToken } from '../../src/auth/sign-token.js';

interface Sent {
  mediaId: number;
  sessionId: string;
  played: number;
  position: number;
  at: number;
}

/**
 * Simulated honest viewers: each plays one movie in one session, a heartbeat every 10 s of
 * simulated time (sent as `occurredAt`, starting an hour ago), cumulative `playedSeconds`, and now
 * and then the same heartbeat twice (a retry). Records what the service accepted (202), which is
 * what must be stored.
 */
export class Audience {
  private readonly accepted: Sent[] = [];
  private readonly viewers: { user: string; token: string; sessionId: string; mediaId: number; step: number }[] = [];
  private readonly start = Date.now() - 3600_000;
  refused = 0;

  private constructor() {}

  static async create(secret: string, users: number, prefix = 'viewer'): Promise<Audience> {
    const a = new Audience();
    for (let i = 0; i < users; i++) {
      const user = `${prefix}-${i}`;
      a.viewers.push({ user, token: await signToken(secret, user), sessionId: randomUUID(), mediaId: 100 + (i % 7), step: 0 });
    }
    return a;
  }

  /** Every viewer sends one heartbeat (maybe twice) to `base()`; resolves when all answered. */
  async tick(base: () => string): Promise<void> {
    await Promise.all(
      this.viewers.map(async (v) => {
        v.step++;
        const sent: Sent = { mediaId: v.mediaId, sessionId: v.sessionId, played: 10 * (v.step - 1), position: 10 * v.step, at: this.start + 10_000 * v.step };
        const body = JSON.stringify({
          sessionId: v.sessionId, mediaType: 'movie', mediaId: v.mediaId, currentTime: sent.position, totalDuration: 100_000,
          playedSeconds: sent.played, occurredAt: new Date(sent.at).toISOString(),
        });
        for (let copy = 0; copy < (v.step % 5 === 0 ? 2 : 1); copy++) {
          const status = await fetch(`${base()}/v1/playtime`, {
            method: 'POST',
            headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json' },
            body,
          }).then((r) => r.status, () => 0);
          if (status === 202) this.accepted.push(sent);
          else this.refused++;
        }
      }),
    );
  }

  /** Keeps ticking until `stop()` resolves true or `maxMs` passes. */
  async runWhile(base: () => string, keepGoing: () => boolean, maxMs: number, pauseMs = 50): Promise<void> {
    const end = Date.now() + maxMs;
    while (keepGoing() && Date.now() < end) {
      await this.tick(base);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  get acceptedCount(): number {
    return this.accepted.length;
  }

  /** What the service must hold per (user, mediaId): total of session maxima and latest position. */
  expected(): Map<string, { total: number; position: number }> {
    const out = new Map<string, { total: number; position: number; at: number }>();
    const bySession = new Map<string, Sent[]>();
    for (const s of this.accepted) bySession.set(s.sessionId, [...(bySession.get(s.sessionId) ?? []), s]);
    for (const v of this.viewers) {
      const sent = bySession.get(v.sessionId);
      if (!sent) continue;
      const key = `${v.user}/${v.mediaId}`;
      const latest = sent.reduce((a, b) => (b.at > a.at ? b : a));
      out.set(key, { total: Math.max(...sent.map((s) => s.played)), position: latest.position, at: latest.at });
    }
    return new Map([...out].map(([k, v]) => [k, { total: v.total, position: v.position }]));
  }
}
