import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { ItemKey } from '../playtime/heartbeat.js';
import { applyPending, type StoredItem } from '../playtime/pending-item.js';
import { PlaytimeBatcher } from '../playtime/playtime.batcher.js';
import type { HistoryItemResponse } from './dto/history-item.schema.js';
import { HistoryRepository } from './history.repository.js';

@Injectable()
export class HistoryService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: HistoryRepository,
    private readonly batcher: PlaytimeBatcher,
  ) {}

  /**
   * One item, including what this instance accepted but has not flushed yet. The unflushed part
   * is read before the database: a flush that commits in between is then seen twice, which is
   * harmless because applying it again changes nothing.
   */
  async getItem(key: ItemKey): Promise<HistoryItemResponse> {
    const unflushed = this.batcher.unflushed(key);
    const { item, sessions } = await this.repository.findItem(key, unflushed ? [...unflushed.sessions.keys()] : []);
    const merged = unflushed ? applyPending(item, sessions, unflushed, this.config.FINISHED_PERCENT) : item;
    if (!merged) throw new NotFoundException('Never watched');
    return this.toResponse(merged);
  }

  toResponse(item: StoredItem): HistoryItemResponse {
    const resumable = !item.finished && item.progress >= this.config.MIN_RESUME_PERCENT;
    return {
      mediaType: item.mediaType,
      mediaId: item.mediaId,
      seasonNumber: item.seasonNumber,
      episodeNumber: item.episodeNumber,
      title: item.title,
      currentTime: round3(item.currentTime),
      totalDuration: round3(item.totalDuration),
      progress: item.progress,
      resumeAt: resumable ? round3(item.currentTime) : 0,
      totalPlayedSeconds: round3(item.totalPlayedSeconds),
      finished: item.finished,
      completedCount: item.completedCount,
      lastWatchedAt: new Date(item.lastWatchedAt).toISOString(),
    };
  }
}

/** Seconds are stored as doubles; millisecond precision is all a player needs. */
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
