/**
 * The second reference: NestJS 12 on Fastify with the same route as bare-fastify.ts and nothing
 * else (no guards, pipes, filters, logging, metrics or helmet), so the report can tell what Nest
 * itself costs from what the service adds. Started by bench/run.ts: `node dist/bench/nest-fastify.js <port>`.
 */
import 'reflect-metadata';
import { BadRequestException, Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class ReferenceController {
  @Post('v1/playtime')
  @HttpCode(202)
  ingest(@Body() body: { sessionId?: unknown } | undefined): { accepted: number } {
    // Touch the parsed body as a handler would, so the parse cannot be skipped.
    if (typeof body?.sessionId !== 'string') throw new BadRequestException('bad body');
    return { accepted: 1 };
  }

  @Get('health/ready')
  ready(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [ReferenceController] })
class ReferenceModule {}

const port = Number(process.argv[2]);
const app = await NestFactory.create<NestFastifyApplication>(ReferenceModule, new FastifyAdapter({ bodyLimit: 256 * 1024 }), { logger: false });
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await app.listen({ host: '127.0.0.1', port });
