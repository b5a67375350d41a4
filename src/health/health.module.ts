import { Module } from '@nestjs/common';
import { PlaytimeModule } from '../playtime/playtime.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [PlaytimeModule], controllers: [HealthController] })
export class HealthModule {}
