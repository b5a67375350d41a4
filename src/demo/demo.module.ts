import { Module } from '@nestjs/common';
import { DemoController } from './demo.controller.js';
import { DemoStatic } from './demo-static.js';
import { DemoTokenGuard } from './demo-token.guard.js';

/**
 * The demo: a page at `/demo/` that signs in as a demo user, shows the catalogue, plays a test
 * pattern with the browser client (client/), and shows continue-watching and statistics. On in
 * development-token mode or with `DEMO_ENABLED=true`; see `demoMode` for who may get a token.
 */
@Module({
  controllers: [DemoController],
  providers: [DemoStatic, DemoTokenGuard],
})
export class DemoModule {}
