/**
 * The reference ceiling for HTTP ingest on this machine: a bare Fastify 5 server (no Nest, no
 * auth, no validation, no logging) whose route parses the same JSON body and answers 202.
 * Started by bench/run.ts as its own process: `node dist/bench/bare-fastify.js <port>`.
 */
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });

app.post('/v1/playtime', async (req, reply) => {
  // Touch the parsed body as a handler would, so the parse cannot be skipped.
  if (typeof (req.body as { sessionId?: unknown })?.sessionId !== 'string') return reply.code(400).send({ error: 'bad body' });
  return reply.code(202).send({ accepted: 1 });
});
app.get('/health/ready', async () => ({ status: 'ok' }));

const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ host: '127.0.0.1', port });
