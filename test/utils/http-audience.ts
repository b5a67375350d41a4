import { signToken } from '../../src/auth/sign-token.js';
import { STEADY, Simulation, type Viewer } from './audience.js';

/**
 * The simulated audience (test/utils/audience.ts) in its steady form, sent over HTTP with `fetch`
 * to a service that may be failing: each viewer plays one film in one session, a heartbeat every
 * 10 s of simulated time (sent as `occurredAt`, starting about an hour ago), cumulative
 * `playedSeconds`, and now and then the same heartbeat twice (a retry). The truth is folded from
 * what the service accepted (202), which is what must be stored.
 */
export class HttpAudience {
  private readonly tokens = new Map<Viewer, string>();
  refused = 0;

  private constructor(private readonly sim: Simulation) {}

  static async create(secret: string, users: number, prefix = 'viewer', seed = 20251202): Promise<HttpAudience> {
    const ids = Array.from({ length: users }, (_, i) => `${prefix}-${i}`);
    const a = new HttpAudience(new Simulation(seed, ids, Date.now() - 3600_000, { behaviour: STEADY }));
    for (const v of a.sim.viewers) a.tokens.set(v, await signToken(secret, v.userId));
    return a;
  }

  /** Every viewer sends its next request to `base()`; resolves when all answered. */
  async tick(base: () => string): Promise<void> {
    await Promise.all(
      this.sim.viewers.map(async (v) => {
        const hb = this.sim.heartbeatFor(v);
        if (!hb) return;
        const status = await fetch(`${base()}/v1/playtime`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.tokens.get(v)}`, 'content-type': 'application/json' },
          body: hb.body,
        }).then((r) => r.status, () => 0);
        this.sim.onResult(hb, status, Date.now());
        if (status !== 202) this.refused++;
      }),
    );
  }

  /** Keeps ticking while `keepGoing()` says so, for at most `maxMs`. */
  async runWhile(base: () => string, keepGoing: () => boolean, maxMs: number, pauseMs = 50): Promise<void> {
    const end = Date.now() + maxMs;
    while (keepGoing() && Date.now() < end) {
      await this.tick(base);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  get acceptedCount(): number {
    return this.sim.stats.accepted;
  }

  /** What the service must hold per `user/mediaId` (one film each): total played and position. */
  expected(): Map<string, { total: number; position: number }> {
    return new Map([...this.sim.expected().values()].map((e) => [`${e.userId}/${e.mediaId}`, { total: e.total, position: e.currentTime }]));
  }
}
