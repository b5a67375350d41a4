import { WatchHistory1764000000000 } from './1764000000000-WatchHistory.js';
import { Catalog1764000001000 } from './1764000001000-Catalog.js';
import { StatsIndexes1764000003000 } from './1764000003000-StatsIndexes.js';
import { Reporting1764000004000 } from './1764000004000-Reporting.js';
import { DeleteBookkeeping1765000400000 } from './1765000400000-DeleteBookkeeping.js';
import { SessionHours1765000401000 } from './1765000401000-SessionHours.js';

/** Every migration, in order. Listed explicitly so the build, the CLI and tests load the same set. */
export const migrations = [
  WatchHistory1764000000000, Catalog1764000001000, StatsIndexes1764000003000, Reporting1764000004000, DeleteBookkeeping1765000400000,
  SessionHours1765000401000,
];
