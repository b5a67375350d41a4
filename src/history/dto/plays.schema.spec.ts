import { playsQuerySchema } from './plays.schema.js';

const parse = (q: Record<string, string>) => playsQuerySchema.safeParse(q);
const fields = (q: Record<string, string>) => {
  const r = parse(q);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('playsQuerySchema', () => {
  it('turns a day into its bounds: from its start, to the next day’s start (exclusive)', () => {
    expect(parse({ from: '2025-12-15', to: '2025-12-15' }).data).toMatchObject({
      from: Date.parse('2025-12-15T00:00:00Z'), to: Date.parse('2025-12-16T00:00:00Z'), limit: 20,
    });
  });

  it('keeps a date-time exact, `to` inclusive to the millisecond, offsets applied', () => {
    expect(parse({ from: '2025-12-15T10:00:00+01:00', to: '2025-12-15T10:00:00.250Z' }).data).toMatchObject({
      from: Date.parse('2025-12-15T09:00:00Z'), to: Date.parse('2025-12-15T10:00:00.251Z'),
    });
    // from = to is one instant, not an empty window
    expect(fields({ from: '2025-12-15T10:00:00Z', to: '2025-12-15T10:00:00Z' })).toEqual([]);
  });

  it.each([
    [{ from: '2025-12-16', to: '2025-12-15' }, ['from']],
    [{ from: '2025-12-15T10:00:00.001Z', to: '2025-12-15T10:00:00Z' }, ['from']],
    [{ from: '2025-12-15T10:00:00' }, ['from']],
    [{ to: '2021-02-29' }, ['to']],
    [{ to: '2021-02-29T00:00:00Z' }, ['to']],
    [{ from: '1969-12-31' }, ['from']],
    [{ to: '10000-01-01' }, ['to']],
    [{ mediaId: '5' }, ['mediaId']],
    [{ mediaType: 'movie', mediaId: '5', episodeNumber: '1' }, ['episodeNumber']],
    [{ mediaType: 'tv', mediaId: '5', episodeNumber: '1' }, ['episodeNumber']],
    [{ mediaType: 'tv', seasonNumber: '0' }, ['seasonNumber']],
    [{ limit: '101' }, ['limit']],
  ])('refuses %j naming %j', (q, expected) => {
    expect(fields(q)).toEqual(expected);
  });

  it('accepts a season of a show, an episode of it, and season 0', () => {
    expect(fields({ mediaType: 'tv', mediaId: '1399', seasonNumber: '0' })).toEqual([]);
    expect(parse({ mediaType: 'tv', mediaId: '1399', seasonNumber: '1', episodeNumber: '2' }).data).toMatchObject({ mediaId: 1399, seasonNumber: 1, episodeNumber: 2 });
  });
});
