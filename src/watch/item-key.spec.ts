import { compareKeys, itemKeyHash, itemKeyString, sessionKeyString, showKeyString, type ItemKey } from './item-key.js';

const movie: ItemKey = { userId: 'u1', mediaType: 'movie', mediaId: 550, seasonNumber: null, episodeNumber: null };
const episode: ItemKey = { userId: 'u1', mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 2 };

describe('item keys', () => {
  it('encode every field, NUL-separated, with null as empty', () => {
    expect(itemKeyString(movie)).toBe('u1\u0000movie\u0000550\u0000\u0000');
    expect(itemKeyString(episode)).toBe('u1\u0000tv\u00001399\u00001\u00002');
  });

  it('tell apart keys whose fields would run together without a separator', () => {
    const a = itemKeyString({ ...episode, seasonNumber: 1, episodeNumber: 12 });
    const b = itemKeyString({ ...episode, seasonNumber: 11, episodeNumber: 2 });
    expect(a).not.toBe(b);
    expect(itemKeyString({ ...movie, userId: 'u12' })).not.toBe(itemKeyString({ ...movie, mediaId: 2550 }));
    expect(itemKeyString({ ...episode, seasonNumber: 0 })).not.toBe(itemKeyString({ ...episode, seasonNumber: null }));
  });

  it('group the episodes of one show under one show key', () => {
    const later: ItemKey = { ...episode, seasonNumber: 3, episodeNumber: 9 };
    expect(showKeyString(episode)).toBe(showKeyString(later));
    expect(showKeyString(episode)).not.toBe(showKeyString({ mediaType: 'movie', mediaId: episode.mediaId }));
  });

  it('extend to sessions', () => {
    expect(sessionKeyString(movie, 's1')).toBe(`${itemKeyString(movie)}\u0000s1`);
    expect(sessionKeyString(movie, 's1')).not.toBe(sessionKeyString(episode, 's1'));
  });

  it('sort as plain strings, the order the flush sends items in', () => {
    const keys = [itemKeyString(episode), itemKeyString(movie), itemKeyString({ ...movie, userId: 'u0' })];
    expect([...keys].sort(compareKeys)).toEqual([...keys].sort());
    expect(compareKeys('a', 'a')).toBe(0);
    expect(compareKeys('a', 'b')).toBe(-1);
    expect(compareKeys('b', 'a')).toBe(1);
  });

  it('hash to 16 hex characters that do not contain the user id', () => {
    const hash = itemKeyHash(itemKeyString(movie));
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(hash).toBe(itemKeyHash(itemKeyString(movie)));
    expect(hash).not.toBe(itemKeyHash(itemKeyString(episode)));
  });
});
