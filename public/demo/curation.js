// Curating what the page offers (SPEC §7): continue watching with Hide buttons, the history list
// where hidden items show and can be unhidden, and the per-user settings panel.
import { $, clock, el, errorMessages, itemData, itemLabel, notice, progressBar } from './ui.js';

const SETTINGS = ['finishedPercent', 'minResumePercent', 'continueWatchingDays', 'autoDeleteDays'];

/**
 * `getToken()` gives the bearer token, `openItem(item)` opens the player on an item, and
 * `changed()` is called after anything here changed what the lists show. `release(item, scope)`
 * ends the player's session when it is on that item (or show) and resolves once its `stop` is
 * delivered: a heartbeat received after the hide would unhide it at once (SPEC §7).
 */
export function createCuration({ getToken, openItem, changed, release }) {
  let settings = null;

  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${getToken()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    return { status: res.status, ok: res.ok, body: data };
  }

  /** `scope`: 'item' (a movie, or one episode) or 'show' (every episode of a tv show). */
  function hiddenPath(item, scope) {
    const base = `/v1/history/${item.mediaType}/${item.mediaId}/hidden`;
    if (item.mediaType !== 'tv' || scope === 'show') return base;
    return `${base}?seasonNumber=${item.seasonNumber}&episodeNumber=${item.episodeNumber}`;
  }

  async function setHidden(item, scope, hidden) {
    if (hidden) await release(item, scope);
    const res = await call(hidden ? 'PUT' : 'DELETE', hiddenPath(item, scope));
    if (res.status === 204) notice(null);
    else notice(`Could not ${hidden ? 'hide' : 'unhide'} ${itemLabel(item)}: ${errorMessages(res.body, res.status).join('; ')}`);
    changed();
  }

  function hideButtons(item) {
    const buttons = [];
    // A next-episode entry names an episode not watched yet (nothing to hide there): hide the show.
    if (item.reason !== 'next-episode') {
      buttons.push(el('button', { type: 'button', class: 'hide', dataset: { scope: 'item' }, onclick: () => setHidden(item, 'item', true) }, 'Hide'));
    }
    if (item.mediaType === 'tv') {
      buttons.push(el('button', { type: 'button', class: 'hide', dataset: { scope: 'show' }, onclick: () => setHidden(item, 'show', true) }, 'Hide show'));
    }
    return el('span', { class: 'entry-actions' }, ...buttons);
  }

  async function renderContinueWatching() {
    const res = await call('GET', '/v1/history/continue-watching?limit=10');
    if (!res.ok) throw new Error(errorMessages(res.body, res.status).join('; '));
    const row = $('continue-row');
    if (!res.body.items.length) {
      row.replaceChildren(el('p', { class: 'muted' }, 'Nothing to continue: play something below past the play threshold (hidden items stay listed under History).'));
      return;
    }
    row.replaceChildren(
      ...res.body.items.map((item) =>
        el(
          'div',
          { class: 'continue-entry', dataset: { ...itemData(item), reason: item.reason ?? 'resume' } },
          el(
            'button',
            {
              type: 'button',
              class: 'card continue',
              dataset: { mediaType: item.mediaType, mediaId: String(item.mediaId), progress: String(item.progress) },
              onclick: () => openItem({ mediaType: item.mediaType, mediaId: item.mediaId, seasonNumber: item.seasonNumber, episodeNumber: item.episodeNumber, title: item.title }),
            },
            el('span', { class: 'card-title' }, itemLabel(item)),
            progressBar(item.progress),
            el('span', { class: 'muted small resume' }, item.reason === 'next-episode' ? 'Next episode' : `Resume at ${clock(item.resumeAt)} · ${item.progress} %`),
          ),
          hideButtons(item),
        ),
      ),
    );
  }

  async function renderHistory() {
    const res = await call('GET', '/v1/history?limit=50');
    if (!res.ok) throw new Error(errorMessages(res.body, res.status).join('; '));
    const onlyHidden = $('history-only-hidden').checked;
    const items = res.body.items.filter((item) => !onlyHidden || item.hidden);
    const list = $('history-list');
    if (!items.length) {
      list.replaceChildren(el('li', { class: 'muted' }, onlyHidden ? 'Nothing hidden.' : 'Nothing watched yet.'));
      return;
    }
    list.replaceChildren(
      ...items.map((item) => {
        const hidden = item.hidden === true;
        const facts = [
          `${item.progress} %`,
          item.finished ? 'finished' : `resume at ${clock(item.resumeAt)}`,
          `played ${clock(item.totalPlayedSeconds)}`,
          item.completedCount ? `completed ${item.completedCount}×` : null,
        ].filter(Boolean);
        // Unhiding an episode of a hidden show must unhide the show: DELETE on the show does both.
        const toggle = hidden
          ? el('button', { type: 'button', class: 'unhide', onclick: () => setHidden(item, 'show', false) }, item.mediaType === 'tv' ? 'Unhide show' : 'Unhide')
          : el('button', { type: 'button', class: 'hide', dataset: { scope: 'item' }, onclick: () => setHidden(item, 'item', true) }, 'Hide');
        return el(
          'li',
          { class: 'history-item', dataset: { ...itemData(item), hidden: String(hidden) } },
          el('span', { class: 'card-title' }, itemLabel(item)),
          hidden ? el('span', { class: 'badge' }, 'hidden') : null,
          el('span', { class: 'muted small' }, facts.join(' · ')),
          toggle,
        );
      }),
    );
  }

  function showSettings(values) {
    settings = values;
    for (const name of SETTINGS) {
      const input = $('settings-form').elements.namedItem(name);
      input.value = values[name] === null || values[name] === undefined ? '' : String(values[name]);
      input.removeAttribute('aria-invalid');
    }
  }

  function settingsStatus(text, errors = []) {
    $('settings-status').textContent = text;
    $('settings-errors').replaceChildren(
      ...errors.map((e) => el('li', { dataset: e.field ? { field: e.field } : {} }, e.field ? `${e.field}: ${e.message}` : e.message)),
    );
    for (const name of SETTINGS) {
      const input = $('settings-form').elements.namedItem(name);
      if (errors.some((e) => e.field === name)) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }

  async function loadSettings() {
    const res = await call('GET', '/v1/me/settings');
    if (!res.ok) {
      settingsStatus(`Settings are not available here (${errorMessages(res.body, res.status).join('; ')}).`);
      return;
    }
    showSettings(res.body);
    settingsStatus('');
  }

  /** Sends only what changed; an emptied field is `null`: back to the service default. */
  async function saveSettings() {
    const form = $('settings-form');
    const patch = {};
    for (const name of SETTINGS) {
      const raw = form.elements.namedItem(name).value.trim();
      // Anything that is not a number goes as typed, so the service's 400 names it.
      const value = raw === '' ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw;
      if (!settings || value !== settings[name]) patch[name] = value;
    }
    if (!Object.keys(patch).length) {
      settingsStatus('Nothing changed.');
      return;
    }
    const res = await call('PATCH', '/v1/me/settings', patch);
    if (res.status === 400) {
      const errors = Array.isArray(res.body?.errors) ? res.body.errors : errorMessages(res.body, res.status).map((message) => ({ message }));
      settingsStatus('Not saved:', errors);
      return;
    }
    if (!res.ok) {
      settingsStatus(`Not saved: ${errorMessages(res.body, res.status).join('; ')}`);
      return;
    }
    showSettings(res.body);
    settingsStatus('Saved.');
    changed();
  }

  $('settings-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void saveSettings();
  });
  $('history-only-hidden').addEventListener('change', () => void renderHistory());

  return { renderContinueWatching, renderHistory, loadSettings };
}
