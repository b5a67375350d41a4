import { Module } from '@nestjs/common';
import { IngestController } from './ingest.controller.js';
import { IngestRejectsRepository } from './ingest-rejects.repository.js';
import { PlaytimeBatcher } from './playtime.batcher.js';
import { PlaytimeController } from './playtime.controller.js';
import { PlaytimeRepository } from './playtime.repository.js';
import { PlaytimeThrottlerGuard } from './playtime-throttler.guard.js';
import { IngestRegistry } from '../watch/ingest-registry.js';
import { WatchRepository } from '../watch/watch.repository.js';

@Module({
  controllers: [PlaytimeController, IngestController],
  providers: [PlaytimeBatcher, PlaytimeRepository, IngestRejectsRepository, PlaytimeThrottlerGuard, WatchRepository, IngestRegistry],
  exports: [PlaytimeBatcher, IngestRegistry],
})
export class PlaytimeModule {}
