import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply } from 'fastify';

type OnSendDone = (err: Error | null, payload: unknown) => void;

interface Finished {
  reply: FastifyReply;
  payload: unknown;
  done: OnSendDone;
}

const logger = new Logger('HTTP');

/**
 * Answers finished in one turn of the event loop are written together at its end (`setImmediate`),
 * not each as soon as its handler returns.
 *
 * Why: under load one turn finishes many requests (one per readable socket). Written one by one,
 * each answer's `writev` comes between stretches of request handling, so each tends to find the
 * client's process asleep and pays for waking it; in the benchmark's heartbeat profile that
 * `writev` was a fifth of the service's CPU. Written back to back, mostly the first one of a
 * turn does. An answer waits at most for the rest of the turn it was finished in: nothing when
 * the turn had one request, well under a millisecond at saturation.
 *
 * Every answer Fastify sends goes through here (success, error, stream): its `onSend` hooks run
 * before any byte is written, and calling `done` later only moves the write.
 */
export function coalesceWrites(fastify: FastifyInstance): void {
  let queue: Finished[] = [];
  const writeAll = (): void => {
    const due = queue;
    queue = [];
    for (const { reply, payload, done } of due) {
      try {
        done(null, payload);
      } catch (err) {
        // Written at once, the error would have reached the request's handler and become its
        // answer; here it must not stop the rest of the turn's answers. Fastify turns it into a
        // 500 for this request alone.
        logger.error(`an answer could not be written: ${(err as Error).message}`);
        if (!reply.sent) reply.send(err);
      }
    }
  };
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    if (queue.length === 0) setImmediate(writeAll);
    queue.push({ reply, payload, done });
  });
}
