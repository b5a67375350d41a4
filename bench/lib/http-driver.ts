import net from 'node:net';

/**
 * A small HTTP/1.1 keep-alive load driver over raw sockets (one request in flight per
 * connection), with two ways of offering load:
 *
 * - paced (open loop): request k is due at t0 + k/rate whatever the server does; when every
 *   connection is busy it waits in a queue, and its latency counts from when it was due, so a
 *   server that falls behind shows it (no coordinated omission);
 * - closed loop: each connection sends its next request as soon as the previous one is answered
 *   (saturation).
 *
 * Why not autocannon's `overallRate` for the paced runs: it refills each connection's quota once
 * a second, so the whole second's requests leave in a burst at the start of the second, and its
 * latency correction assumes 1 ms between requests. Reads (closed loop only) use autocannon.
 */

export interface Outgoing {
  /** The whole request (head and body), ASCII. */
  data: string;
  /**
   * Called exactly once: the status, or 0 when the outcome is unknown (connection lost, timed
   * out), or -1 when it was never sent (still queued at the end of a paced run).
   */
  done(status: number, latencyMs: number): void;
}

export interface Source {
  /** The next request to send now, or null when nothing may be sent yet. */
  next(): Outgoing | null;
}

export interface DriverResult {
  durationMs: number;
  /** Requests handed to a connection. */
  sent: number;
  /** Responses by status ("0" unknown outcome, "-1" never sent). */
  statuses: Record<string, number>;
  /** 2xx responses that arrived inside the window. */
  okInWindow: number;
  /** Latency (ms) of every 2xx response, window and drain. */
  latencies: Float64Array;
  /** Paced: slots for which the source had nothing to send. */
  skipped: number;
  /** Paced: the largest number of requests waiting for a free connection. */
  maxQueue: number;
}

interface InFlight {
  req: Outgoing;
  dueAt: number;
}

class Connection {
  socket: net.Socket | null = null;
  current: InFlight | null = null;
  startedAt = 0;
  private buf: Buffer | null = null;
  private state = 0; // 0 head, 1 body, 2 chunk size, 3 chunk data (+CRLF)
  private status = 0;
  private need = 0;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onResponse: (c: Connection, status: number) => void,
    private readonly onLost: (c: Connection) => void,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port, noDelay: true });
      this.socket = s;
      this.buf = null;
      this.state = 0;
      s.once('connect', () => resolve());
      s.on('error', (err) => reject(err));
      s.once('close', () => this.lost());
      s.on('data', (chunk: Buffer) => this.onData(chunk));
    });
  }

  send(req: InFlight): void {
    this.current = req;
    this.startedAt = performance.now();
    this.socket!.write(req.req.data, 'latin1');
  }

  destroy(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  /** Drop the connection (timeout): the request in flight has an unknown outcome. */
  abort(): void {
    this.socket?.destroy();
  }

  private lost(): void {
    if (!this.socket) return;
    this.socket = null;
    if (!this.closed) this.onLost(this);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf && this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const buf: Buffer = this.buf!;
      if (this.state === 0) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        this.status = Number(head.slice(9, 12));
        const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        this.buf = buf.subarray(end + 4);
        if (len) {
          this.need = Number(len[1]);
          this.state = 1;
        } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
          this.state = 2;
        } else {
          this.need = 0;
          this.state = 1;
        }
      } else if (this.state === 1) {
        if (buf.length < this.need) return;
        this.buf = buf.subarray(this.need);
        this.state = 0;
        this.complete();
      } else if (this.state === 2) {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const size = parseInt(buf.toString('latin1', 0, eol), 16);
        this.buf = buf.subarray(eol + 2);
        if (size === 0) {
          // Last chunk: skip (empty) trailers up to the final CRLF.
          this.need = 2;
          this.state = 4;
        } else {
          this.need = size + 2;
          this.state = 3;
        }
      } else if (this.state === 3) {
        if (buf.length < this.need) return;
        this.buf = buf.subarray(this.need);
        this.state = 2;
      } else {
        if (buf.length < this.need) return;
        this.buf = buf.subarray(this.need);
        this.state = 0;
        this.complete();
      }
    }
  }

  private complete(): void {
    this.onResponse(this, this.status);
  }
}

export interface DriveOptions {
  host: string;
  port: number;
  connections: number;
  durationMs: number;
  /** Requests per second (paced); 0 or absent: closed loop. */
  rate?: number;
  /** A request without an answer after this long is dropped as "unknown outcome". */
  timeoutMs?: number;
  /** After the window, how long to wait for requests in flight. */
  drainMs?: number;
}

export async function drive(source: Source, opts: DriveOptions): Promise<DriverResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const drainMs = opts.drainMs ?? 30_000;
  const paced = !!opts.rate && opts.rate > 0;
  const statuses: Record<string, number> = {};
  const count = (s: number) => (statuses[s] = (statuses[s] ?? 0) + 1);
  let latencies = new Float64Array(1 << 16);
  let nLat = 0;
  let sent = 0;
  let okInWindow = 0;
  let skipped = 0;
  let maxQueue = 0;
  let windowOpen = true;
  let inFlight = 0;
  const idle: Connection[] = [];
  const queue: InFlight[] = [];
  let qHead = 0;
  let t0 = 0;
  let windowEnd = 0;
  let finish: (() => void) | null = null;
  let closedLoopWaiting = 0;

  const record = (lat: number) => {
    if (nLat === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[nLat++] = lat;
  };

  const maybeFinish = () => {
    if (!windowOpen && inFlight === 0 && closedLoopWaiting === 0 && finish) finish();
  };

  const dispatch = (c: Connection) => {
    if (!c.socket) return;
    if (paced) {
      if (windowOpen && qHead < queue.length) {
        const next = queue[qHead];
        queue[qHead++] = undefined as unknown as InFlight;
        if (qHead > 4096 && qHead * 2 > queue.length) {
          queue.splice(0, qHead);
          qHead = 0;
        }
        inFlight++;
        sent++;
        c.send(next);
      } else {
        idle.push(c);
      }
      return;
    }
    if (!windowOpen) {
      idle.push(c);
      return;
    }
    const req = source.next();
    if (!req) {
      // Nothing may be sent yet (every viewer sent too recently): look again shortly.
      closedLoopWaiting++;
      setTimeout(() => {
        closedLoopWaiting--;
        dispatch(c);
        maybeFinish();
      }, 5);
      return;
    }
    inFlight++;
    sent++;
    c.send({ req, dueAt: performance.now() });
  };

  const onResponse = (c: Connection, status: number) => {
    const cur = c.current!;
    c.current = null;
    inFlight--;
    const now = performance.now();
    const lat = now - cur.dueAt;
    count(status);
    if (status >= 200 && status < 300) {
      record(lat);
      if (now <= windowEnd) okInWindow++;
    }
    cur.req.done(status, lat);
    dispatch(c);
    maybeFinish();
  };

  const onLost = (c: Connection) => {
    const cur = c.current;
    c.current = null;
    if (cur) {
      inFlight--;
      count(0);
      cur.req.done(0, performance.now() - cur.dueAt);
    }
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
    if (windowOpen) {
      c.connect().then(
        () => dispatch(c),
        () => undefined,
      );
    }
    maybeFinish();
  };

  const conns: Connection[] = [];
  for (let i = 0; i < opts.connections; i++) conns.push(new Connection(opts.host, opts.port, onResponse, onLost));
  await Promise.all(conns.map((c) => c.connect()));

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const c of conns) if (c.current && now - c.startedAt > timeoutMs) c.abort();
  }, 500);

  t0 = performance.now();
  windowEnd = t0 + opts.durationMs;
  const done = new Promise<void>((r) => (finish = r));

  if (paced) {
    idle.push(...conns);
    const interval = 1000 / opts.rate!;
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (t0 + k * interval <= now && t0 + k * interval < windowEnd) {
        const dueAt = t0 + k * interval;
        k++;
        const req = source.next();
        if (!req) {
          skipped++;
          continue;
        }
        const c = idle.pop();
        if (c) {
          inFlight++;
          sent++;
          c.send({ req, dueAt });
        } else {
          queue.push({ req, dueAt });
          maxQueue = Math.max(maxQueue, queue.length - qHead);
        }
      }
      if (t0 + k * interval >= windowEnd) {
        closeWindow();
        return;
      }
      setTimeout(tick, Math.max(0, t0 + k * interval - performance.now()));
    };
    tick();
  } else {
    for (const c of conns) dispatch(c);
    setTimeout(() => closeWindow(), opts.durationMs);
  }

  function closeWindow() {
    if (!windowOpen) return;
    // Paced: wait until the window's end even when the last slot came earlier.
    const left = windowEnd - performance.now();
    if (left > 0) {
      setTimeout(closeWindow, left);
      return;
    }
    windowOpen = false;
    for (let i = qHead; i < queue.length; i++) {
      count(-1);
      queue[i].req.done(-1, 0);
    }
    queue.length = 0;
    qHead = 0;
    maybeFinish();
  }

  const hardStop = setTimeout(() => finish?.(), opts.durationMs + drainMs);
  await done;
  clearTimeout(hardStop);
  clearInterval(sweep);
  for (const c of conns) {
    c.destroy();
    if (c.current) {
      const cur = c.current;
      c.current = null;
      count(0);
      cur.req.done(0, performance.now() - cur.dueAt);
    }
  }
  finish = null;
  return {
    durationMs: opts.durationMs,
    sent,
    statuses,
    okInWindow,
    latencies: latencies.slice(0, nLat),
    skipped,
    maxQueue,
  };
}
