import { catalogTitleSql, itemTitleSql, overlayTitle } from './title.js';

describe('the title rule', () => {
  it('prefers the catalogue, then unflushed heartbeats, then stored heartbeats', () => {
    expect(overlayTitle({ catalog: 'C', unflushed: 'U', stored: 'S', fallback: 'F' })).toBe('C');
    expect(overlayTitle({ catalog: null, unflushed: 'U', stored: 'S', fallback: 'F' })).toBe('U');
    expect(overlayTitle({ catalog: null, unflushed: null, stored: 'S', fallback: 'F' })).toBe('S');
    expect(overlayTitle({ catalog: null, unflushed: null, stored: null, fallback: 'F' })).toBe('F');
    expect(overlayTitle({ catalog: null, unflushed: null, stored: null, fallback: null })).toBeNull();
  });

  it('is one SQL fragment: the catalogue first, then the newest titled history row of the item', () => {
    const sql = itemTitleSql('x.media_type', 'x.media_id');
    expect(sql.startsWith(`COALESCE(\n    ${catalogTitleSql('x.media_type', 'x.media_id')}`)).toBe(true);
    expect(sql).toContain('ORDER BY title_h.last_watched_at DESC, title_h.id DESC');
    expect(sql).toContain('title_h.title IS NOT NULL');
  });
});
