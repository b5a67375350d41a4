/**
 * Where the end credits of a movie or an episode begin, from the catalogue (SPEC §7: the finished
 * point is the credits' start when that comes before the finished percentage). Shows themselves
 * have none: their episodes do.
 */

/** The catalogue's `credits_start_seconds` for an item key (NULL when unknown), two index probes at most. */
export function creditsStartSql(mediaType: string, mediaId: string, seasonNumber: string, episodeNumber: string): string {
  return `(CASE WHEN ${mediaType} = 'movie'
            THEN (SELECT ci.credits_start_seconds FROM catalog_items ci WHERE ci.media_type = 'movie' AND ci.media_id = ${mediaId})
            ELSE (SELECT ce.credits_start_seconds FROM catalog_episodes ce
                  WHERE ce.media_id = ${mediaId} AND ce.season_number = ${seasonNumber} AND ce.episode_number = ${episodeNumber})
          END)::float8`;
}
