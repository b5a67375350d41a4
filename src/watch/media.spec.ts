import { MAX_INT4, mediaPathSchema, mediaTypeSchema } from './media.js';

describe('media paths', () => {
  it('take a movie or a show and a positive id', () => {
    expect(mediaPathSchema.parse({ mediaType: 'tv', mediaId: '1399' })).toEqual({ mediaType: 'tv', mediaId: 1399 });
    expect(mediaPathSchema.parse({ mediaType: 'movie', mediaId: '1' })).toEqual({ mediaType: 'movie', mediaId: 1 });
    expect(mediaPathSchema.parse({ mediaType: 'movie', mediaId: String(MAX_INT4) }).mediaId).toBe(2_147_483_647);
  });

  it('refuse other media types, 0, signs, fractions and ids past integer', () => {
    expect(mediaTypeSchema.safeParse('episode').success).toBe(false);
    for (const mediaId of ['0', '-1', '+1', '1.5', '1e3', '', String(MAX_INT4 + 1)]) {
      expect(mediaPathSchema.safeParse({ mediaType: 'movie', mediaId }).success).toBe(false);
    }
  });

  it('name the parameter in the message', () => {
    const r = mediaPathSchema.safeParse({ mediaType: 'movie', mediaId: 'abc' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['mediaId'], message: 'mediaId must be a whole number' });
  });
});
