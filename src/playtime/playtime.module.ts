import { Module } from '@nestjs/common';
import { IngestController } from './ingest.controller.js';
import { IngestRejectsRepository } from './ingest-rejects.repository.js';
import { PlaytimeBatcher } from './playtime.batcher.js';
import { PlaytimeController } from './playtime.controller.js';
import { PlaytimeRepository } from './playtime.repository.js';
import { PlaytimeThrottlerGuard } from './playtime-throttler.guard.js';
import { IngestRegistry } from '../watch/ingest-registry.js';
import { WatchRepository } from '../watch/watch.repository.js';
import { INGEST_STATE, UNFLUSHED_ITEMS } from '../watch/unflushed-items.js';

@Module({
  controllers: [PlaytimeController, IngestController],
  providers: [
    PlaytimeBatcher,
    { provide: UNFLUSHED_ITEMS, useExisting: PlaytimeBatcher },
    { provide: INGEST_STATE, useExisting: PlaytimeBatcher },
    PlaytimeRepository,
    IngestRejectsRepository,
    PlaytimeThrottlerGuard,
    WatchRepository,
    IngestRegistry,
  ],
  exports: [UNFLUSHED_ITEMS, INGEST_STATE, IngestRegistry],
})
export class PlaytimeModule {}
