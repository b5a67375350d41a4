// "Your plays" on the demo page (SPEC §8): each play with the device it ran on, when it ended,
// how long it played and the positions it went from and to.
import { $, clock, duration, el, errorMessages, itemData, itemLabel } from './ui.js';

function deviceLabel(device) {
  if (!device) return 'unknown device';
  return [device.name ?? device.id, device.platform].filter(Boolean).join(' · ');
}

function when(iso) {
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
}

/** The latest 10 plays, newest first (`getToken()` gives the bearer token). */
export async function renderPlays(getToken) {
  const res = await fetch('/v1/history/plays?limit=10', { headers: { Authorization: `Bearer ${getToken()}` } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(errorMessages(body, res.status).join('; '));
  const list = $('plays-list');
  if (!body.items.length) {
    list.replaceChildren(el('li', { class: 'muted' }, 'No plays yet: a session counts once it has played past the play threshold.'));
    return;
  }
  list.replaceChildren(
    ...body.items.map((p) =>
      el(
        'li',
        { class: 'play', dataset: { ...itemData(p), sessionId: p.sessionId, platform: p.device?.platform ?? '' } },
        el('span', { class: 'card-title' }, itemLabel(p)),
        el('span', { class: 'device' }, deviceLabel(p.device)),
        el('span', { class: 'muted small' }, [
          when(p.endedAt),
          `played ${duration(p.playedSeconds)}`,
          p.fromPosition === null ? null : `${clock(p.fromPosition)} → ${clock(p.toPosition)}`,
          p.finished ? 'finished' : null,
        ].filter(Boolean).join(' · ')),
      ),
    ),
  );
}
