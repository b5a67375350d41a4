import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** A strong ETag: the hash of the exact bytes sent. */
export function etagOf(json: string): string {
  return `"${createHash('sha256').update(json).digest('base64url')}"`;
}

/** `If-None-Match` compares weakly (RFC 9110 §13.1.2): `W/"x"` matches `"x"`; `*` matches anything. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/**
 * Sends a public, cacheable JSON body with `Cache-Control` and `ETag`, or an empty 304 when the
 * client already holds it. The catalogue is the same for every user, so shared caches may keep
 * it despite the Authorization header (that is what `public` allows).
 */
export function sendCacheable(reply: FastifyReply, body: unknown, ifNoneMatch: string | undefined, maxAgeSeconds: number): FastifyReply {
  const json = JSON.stringify(body);
  const etag = etagOf(json);
  reply.header('Cache-Control', `public, max-age=${maxAgeSeconds}`).header('ETag', etag);
  if (ifNoneMatchHits(ifNoneMatch, etag)) return reply.status(304).send();
  return reply.status(200).header('Content-Type', 'application/json; charset=utf-8').send(json);
}
