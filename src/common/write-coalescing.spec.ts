import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { coalesceWrites } from './write-coalescing.js';

/**
 * A plain Fastify server with the coalescing hook, the way `createApp` installs it. A later
 * `onSend` hook sees each answer just before it is written, and notes how many handlers had run
 * by then.
 */
async function server(coalesce: boolean): Promise<{ app: FastifyInstance; handledAtWrite: number[] }> {
  const app = Fastify();
  const handledAtWrite: number[] = [];
  let handled = 0;
  if (coalesce) coalesceWrites(app);
  app.addHook('onSend', (_req, _reply, payload, done) => {
    handledAtWrite.push(handled);
    done(null, payload);
  });
  app.get<{ Params: { n: string } }>('/n/:n', (req, reply) => {
    handled++;
    const n = Number(req.params.n);
    void reply.code(n % 2 ? 404 : 200).header('x-n', String(n));
    return { n };
  });
  app.get('/empty', (_req, reply) => reply.code(204).send());
  app.get('/stream', (_req, reply) => reply.type('application/x-ndjson').send(Readable.from(['{"a":1}\n', '{"a":2}\n'])));
  app.get('/bad-header', (_req, reply) => {
    void reply.header('x-bad', 'a\u0001b');
    return { never: 'sent' };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, handledAtWrite };
}

function url(app: FastifyInstance, path: string): string {
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  return `http://127.0.0.1:${address.port}${path}`;
}

describe('coalesceWrites', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  it("writes a turn's answers only after every request of that turn was handled", async () => {
    const K = 20;
    const turn = async (coalesce: boolean): Promise<number[]> => {
      const { app, handledAtWrite } = await server(coalesce);
      apps.push(app);
      // inject() dispatches in the same turn, so all K handlers run before the turn ends.
      const answers = await Promise.all(Array.from({ length: K }, (_, i) => app.inject(`/n/${2 * i}`)));
      expect(answers.map((a) => a.statusCode)).toEqual(Array(K).fill(200));
      return handledAtWrite;
    };
    // Control: written at once, the first answer leaves after its own handler only.
    expect((await turn(false))[0]).toBeLessThan(K);
    expect(await turn(true)).toEqual(Array(K).fill(K));
  });

  it('gives every answer its own status, headers and body, streams and empty answers too', async () => {
    const { app } = await server(true);
    apps.push(app);
    const numbered = Array.from({ length: 60 }, (_, n) => n);
    const [answers, empty, stream] = await Promise.all([
      Promise.all(
        numbered.map(async (n) => {
          const res = await fetch(url(app, `/n/${n}`));
          return { status: res.status, header: res.headers.get('x-n'), body: await res.json() };
        }),
      ),
      fetch(url(app, '/empty')),
      fetch(url(app, '/stream')).then((r) => r.text()),
    ]);
    expect(answers).toEqual(numbered.map((n) => ({ status: n % 2 ? 404 : 200, header: String(n), body: { n } })));
    expect(empty.status).toBe(204);
    expect(stream).toBe('{"a":1}\n{"a":2}\n');
  });

  it('answers 500 to a request whose answer cannot be written, and the rest of its turn as usual', async () => {
    const { app } = await server(true);
    apps.push(app);
    const [bad, ...good] = await Promise.all([
      fetch(url(app, '/bad-header')),
      ...[0, 2, 4].map((n) => fetch(url(app, `/n/${n}`))),
    ]);
    expect(bad.status).toBe(500);
    expect(bad.headers.get('x-bad')).toBeNull();
    expect(good.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await Promise.all(good.map((r) => r.json()))).toEqual([{ n: 0 }, { n: 2 }, { n: 4 }]);
  });
});
