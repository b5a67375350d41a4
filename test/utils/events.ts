import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with the `count`-th line the child writes (stdout or stderr) from now on that matches
 * `pattern`: a test waits for what the service says it did, not for a delay it hopes is enough.
 * Rejects if the child exits first.
 */
export function nextLine(child: ChildProcess, pattern: RegExp, count = 1): Promise<string> {
  return new Promise((resolve, reject) => {
    const partial = new Map<unknown, string>();
    let seen = 0;
    const streams = [child.stdout, child.stderr].filter((s) => s !== null);
    const stop = () => {
      for (const s of streams) s.off('data', onData);
      child.off('exit', onExit);
    };
    function onData(this: unknown, chunk: Buffer | string) {
      const lines = ((partial.get(this) ?? '') + String(chunk)).split('\n');
      partial.set(this, lines.pop()!);
      for (const line of lines) {
        if (!pattern.test(line) || ++seen < count) continue;
        stop();
        resolve(line);
        return;
      }
    }
    const onExit = (code: number | null) => {
      stop();
      reject(new Error(`the process exited (${code}) before writing a line matching ${pattern}`));
    };
    for (const s of streams) s.on('data', onData);
    child.once('exit', onExit);
  });
}

/** A count that tests can wait on: `reached(n)` resolves once `bump()` has been called n times in all. */
export class Counter {
  private n = 0;
  private readonly waiters: { at: number; resolve: () => void }[] = [];

  get value(): number {
    return this.n;
  }

  bump(): void {
    this.n += 1;
    for (const w of this.waiters.filter((w) => w.at <= this.n)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  reached(at: number): Promise<void> {
    if (this.n >= at) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ at, resolve }));
  }

  /** Resolves after `more` further bumps. */
  after(more: number): Promise<void> {
    return this.reached(this.n + more);
  }
}

/**
 * Resolves once `done` holds for everything the child has written so far, checked again on each
 * chunk it writes (the server's own listener, registered first, has appended the chunk by then).
 * Rejects if the child exits first.
 */
export function outputWhere(server: { child: ChildProcess; output: () => string }, done: (output: string) => boolean): Promise<void> {
  if (done(server.output())) return Promise.resolve();
  const { child } = server;
  return new Promise((resolve, reject) => {
    const streams = [child.stdout, child.stderr].filter((s) => s !== null);
    const stop = () => {
      for (const s of streams) s.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = () => {
      if (!done(server.output())) return;
      stop();
      resolve();
    };
    const onExit = (code: number | null) => {
      stop();
      reject(new Error(`the process exited (${code}) before its output was as expected`));
    };
    for (const s of streams) s.on('data', onData);
    child.once('exit', onExit);
  });
}
