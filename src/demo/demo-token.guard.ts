import { Inject, Injectable, NotFoundException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { demoMode, isLoopback } from './demo-mode.js';

/**
 * Hides the demo token route (404, before the body is even validated) unless the service is in
 * development-token mode and the demo allows this client (see `demoMode`). The address checked is
 * the TCP peer's, never `X-Forwarded-For`, which a client can write.
 */
@Injectable()
export class DemoTokenGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const { tokens } = demoMode(this.config);
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (tokens === 'any' || (tokens === 'loopback' && isLoopback(req.raw.socket.remoteAddress))) return true;
    throw new NotFoundException();
  }
}
