import { WatchHistory1764000000000 } from './1764000000000-WatchHistory.js';
import { Catalog1764000001000 } from './1764000001000-Catalog.js';
import { StatsIndexes1764000003000 } from './1764000003000-StatsIndexes.js';
import { Reporting1764000004000 } from './1764000004000-Reporting.js';
import { IngestRejects1765000300000 } from './1765000300000-IngestRejects.js';
import { DeleteBookkeeping1765000400000 } from './1765000400000-DeleteBookkeeping.js';
import { SessionHours1765000401000 } from './1765000401000-SessionHours.js';
import { ItemTitleIndex1765000500000 } from './1765000500000-ItemTitleIndex.js';
import { SessionDevice1765000700000 } from './1765000700000-SessionDevice.js';
import { PlaysAndCuration1765000800000 } from './1765000800000-PlaysAndCuration.js';
import { PlayBase1765000810000 } from './1765000810000-PlayBase.js';
import { SessionSpans1765000900000 } from './1765000900000-SessionSpans.js';
import { MaintenanceRuns1765001000000 } from './1765001000000-MaintenanceRuns.js';

/** Every migration, in order. Listed explicitly so the build, the CLI and tests load the same set. */
export const migrations = [
  WatchHistory1764000000000,
  Catalog1764000001000,
  StatsIndexes1764000003000,
  Reporting1764000004000,
  IngestRejects1765000300000,
  DeleteBookkeeping1765000400000,
  SessionHours1765000401000,
  ItemTitleIndex1765000500000,
  SessionDevice1765000700000,
  PlaysAndCuration1765000800000,
  PlayBase1765000810000,
  SessionSpans1765000900000,
  MaintenanceRuns1765001000000,
];
