import { WatchHistory1764000000000 } from './1764000000000-WatchHistory.js';

/** Every migration, in order. Listed explicitly so the build, the CLI and tests load the same set. */
export const migrations = [WatchHistory1764000000000];
