// The Playtime demo page: sign in, browse the catalogue, play the test pattern with the browser
// client (client/, served at ./client/), and watch continue-watching, the history and the
// statistics follow; hide items, change the settings, and see that a short session is not a play.
// Plain ES modules, no build step; every string from the API goes into the DOM as text.
import { createPlaytimeClient, createPlaytimeTracker, PlaytimeApiError } from './client/index.js';
import { createCuration } from './curation.js';
import { createShortSession } from './short-session.js';
import { renderStats } from './stats.js';
import { $, clock, el, itemHash, itemLabel, notice } from './ui.js';

const TOKEN_KEY = 'playtime.demo.token';
const video = /** @type {HTMLVideoElement} */ ($('player'));

let token = null;
let catalog = [];
/** The service's thresholds (GET /demo/rules), once loaded. */
let rules = null;

// --- token: from #token=… (tests, links from `npm run token`), else from this browser's storage ---

function readHash() {
  return new URLSearchParams(location.hash.slice(1));
}

function writeHash(params) {
  const s = params.toString();
  history.replaceState(null, '', s ? `#${s}` : location.pathname + location.search);
}

function takeTokenFromUrl() {
  const params = readHash();
  const fromUrl = params.get('token');
  if (!fromUrl) return;
  localStorage.setItem(TOKEN_KEY, fromUrl);
  params.delete('token'); // not left in the address bar or history
  writeHash(params);
}

function subjectOf(jwt) {
  try {
    const b64 = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)).sub ?? '?';
  } catch {
    return '?';
  }
}

const api = createPlaytimeClient({ baseUrl: '', getToken: () => token });
const tracker = createPlaytimeTracker({
  baseUrl: '',
  getToken: () => token,
  media: video,
  onSend: (report) => {
    logActivity(report);
    scheduleRefresh();
  },
  onError: (err) => {
    if (err instanceof PlaytimeApiError && err.status === 401) notice('Your token was refused (expired?): sign in again.');
  },
});
const curation = createCuration({ getToken: () => token, openItem: (item) => openItem(item), changed: () => scheduleRefresh(), release: releaseItem });
createShortSession({ tracker, video, api, rules: () => rules, reopen: (item) => openItem(item), changed: () => scheduleRefresh() });
// For the browser tests and for poking around in the console.
window.playtimeDemo = { tracker, api };

// --- sign-in ---

async function signIn(userId) {
  const res = await fetch('/demo/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (res.status === 404) {
    notice('Signing in with a user name only works in development-token mode, from the machine running the service. Paste a token instead.');
    return;
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    notice(`Sign-in refused: ${[].concat(body.message ?? res.statusText).join(', ')}`);
    return;
  }
  useToken((await res.json()).token);
}

function useToken(value) {
  token = value;
  localStorage.setItem(TOKEN_KEY, value);
  notice(null);
  void start();
}

function signOut() {
  closePlayer();
  token = null;
  localStorage.removeItem(TOKEN_KEY);
  render();
}

// --- the page ---

function render() {
  const signedIn = Boolean(token);
  $('signin').hidden = signedIn;
  $('signed-in').hidden = !signedIn;
  $('app').hidden = !signedIn;
  $('user-name').textContent = signedIn ? subjectOf(token) : '';
}

async function start() {
  render();
  try {
    catalog = (await api.catalog({ limit: 100 })).items;
  } catch (err) {
    if (err instanceof PlaytimeApiError && err.status === 401) {
      notice('That token was refused: sign in again.');
      signOut();
      return;
    }
    notice(`Could not load the catalogue: ${err.message}`);
    return;
  }
  renderCatalog();
  await Promise.all([refresh(), loadRules(), curation.loadSettings()]);
  const watch = readHash().get('watch');
  if (watch) await openFromHash(watch);
}

/** The thresholds, so the page can say when a session becomes a play. */
async function loadRules() {
  const res = await fetch('/demo/rules').catch(() => null);
  if (!res?.ok) return;
  rules = await res.json();
  $('rule-min-play').textContent = `${rules.minPlaySeconds} s`;
  $('rule-min-play').dataset.seconds = String(rules.minPlaySeconds);
  $('rule-min-resume').textContent = `${rules.minResumeDurationSeconds} s`;
  $('rule-defaults').textContent =
    `finished at ${rules.finishedPercent} %, resume from ${rules.minResumePercent} %, continue watching for ${rules.continueWatchingDays} days`;
  updateStatus();
}

function renderCatalog() {
  const grid = $('catalog-grid');
  grid.replaceChildren(
    ...catalog.map((entry) =>
      el(
        'button',
        { type: 'button', class: 'card', dataset: { mediaType: entry.mediaType, mediaId: String(entry.mediaId) }, onclick: () => openEntry(entry) },
        el('span', { class: 'poster', 'aria-hidden': 'true' }, entry.title.replace(/^the\s+/i, '').slice(0, 1)),
        el('span', { class: 'card-title' }, entry.title),
        el(
          'span',
          { class: 'muted small' },
          [entry.releaseYear, entry.mediaType === 'tv' ? 'Series' : entry.runtimeSeconds ? clock(entry.runtimeSeconds) : null, entry.genres.slice(0, 2).join(', ')]
            .filter(Boolean)
            .join(' · '),
        ),
      ),
    ),
  );
}

async function openEntry(entry) {
  if (entry.mediaType === 'movie') return openItem({ mediaType: 'movie', mediaId: entry.mediaId, title: entry.title });
  const full = await api.catalogEntry('tv', entry.mediaId);
  const season = full?.seasons?.find((s) => s.episodes.length) ?? null;
  const episode = season?.episodes[0];
  return openItem({
    mediaType: 'tv',
    mediaId: entry.mediaId,
    seasonNumber: season?.seasonNumber ?? 1,
    episodeNumber: episode?.episodeNumber ?? 1,
    title: entry.title,
  });
}

async function openFromHash(watch) {
  const [mediaType, id, season, episode] = watch.split('/');
  const mediaId = Number(id);
  const entry = catalog.find((e) => e.mediaType === mediaType && e.mediaId === mediaId);
  if (!entry) return;
  if (mediaType === 'tv') {
    await openItem({ mediaType, mediaId, seasonNumber: Number(season), episodeNumber: Number(episode), title: entry.title });
  } else {
    await openItem({ mediaType, mediaId, title: entry.title });
  }
}

/** Opens the player on an item: ends the previous session, rewinds, then seeks to resumeAt. */
async function openItem(item) {
  delete video.dataset.resumedAt;
  video.pause();
  tracker.setItem(item);
  $('player-section').hidden = false;
  $('now-playing').textContent = itemLabel(item);
  $('resume-note').textContent = 'Looking up where you stopped…';
  const params = readHash();
  params.set('watch', itemHash(item));
  writeHash(params);
  await renderEpisodePicker(item);
  if (video.readyState >= 1 && video.currentTime !== 0) video.currentTime = 0;
  try {
    const at = await tracker.resume();
    $('resume-note').textContent = at > 0 ? `Resumed at ${clock(at)}.` : 'Starting from the beginning.';
    video.dataset.resumedAt = String(at);
  } catch (err) {
    $('resume-note').textContent = `Could not look up the position (${err.message}); starting from the beginning.`;
    video.dataset.resumedAt = '0';
  }
  updateStatus();
}

async function renderEpisodePicker(item) {
  const picker = $('episode-picker');
  const select = $('episode-select');
  if (item.mediaType !== 'tv') {
    picker.hidden = true;
    return;
  }
  const full = await api.catalogEntry('tv', item.mediaId).catch(() => null);
  const options = (full?.seasons ?? []).flatMap((s) =>
    s.episodes.map((e) => {
      const option = el('option', { value: `${s.seasonNumber}/${e.episodeNumber}` }, `S${s.seasonNumber}E${e.episodeNumber}${e.title ? ` · ${e.title}` : ''}`);
      option.selected = s.seasonNumber === item.seasonNumber && e.episodeNumber === item.episodeNumber;
      return option;
    }),
  );
  select.replaceChildren(...options);
  picker.hidden = options.length === 0;
  select.onchange = () => {
    const [seasonNumber, episodeNumber] = select.value.split('/').map(Number);
    void openItem({ ...item, seasonNumber, episodeNumber });
  };
}

/** Closes the player if it is on `item` (scope 'show': on any episode of that show) and delivers the `stop`. */
async function releaseItem(item, scope) {
  const playing = tracker.item;
  if (!playing || playing.mediaType !== item.mediaType || playing.mediaId !== item.mediaId) return;
  if (scope !== 'show' && item.mediaType === 'tv' && (playing.seasonNumber !== item.seasonNumber || playing.episodeNumber !== item.episodeNumber)) return;
  closePlayer();
  await tracker.flush();
}

function closePlayer() {
  video.pause();
  tracker.setItem(null);
  $('player-section').hidden = true;
  const params = readHash();
  params.delete('watch');
  writeHash(params);
}

// --- live status ---

function updateStatus() {
  $('status-session').textContent = tracker.sessionId ? tracker.sessionId.slice(0, 8) : '–';
  $('status-played').textContent = `${tracker.playedSeconds.toFixed(1)} s`;
  const play = $('status-play');
  if (!rules || !tracker.sessionId) {
    play.textContent = '–';
    delete play.dataset.play;
  } else {
    const isPlay = tracker.playedSeconds >= rules.minPlaySeconds;
    play.textContent = isPlay ? 'yes: it moves the resume point' : `not yet (${rules.minPlaySeconds} s needed)`;
    play.dataset.play = String(isPlay);
  }
  $('status-queued').textContent = String(tracker.queued);
  $('status-online').textContent = navigator.onLine ? 'online' : 'offline (heartbeats are kept)';
}

function logActivity(report) {
  const list = $('activity');
  for (const hb of report.heartbeats) {
    const text = `${new Date().toLocaleTimeString()} ${report.route} ${hb.event ?? 'progress'} at ${clock(hb.currentTime)}, played ${hb.playedSeconds.toFixed(1)} s`;
    list.prepend(el('li', { dataset: { route: report.route } }, text));
  }
  while (list.children.length > 12) list.lastElementChild.remove();
  updateStatus();
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), 400);
}

async function refresh() {
  if (!token) return;
  await Promise.all([curation.renderContinueWatching(), curation.renderHistory(), renderStats(api)]).catch((err) =>
    notice(`Could not refresh: ${err.message}`),
  );
}

// --- wiring ---

$('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  void signIn($('signin-user').value.trim());
});
$('signin-token-use').addEventListener('click', () => {
  const value = $('signin-token').value.trim();
  if (value) useToken(value);
});
$('signout').addEventListener('click', signOut);
$('close-player').addEventListener('click', closePlayer);
for (const type of ['timeupdate', 'pause', 'play', 'seeked', 'ended']) video.addEventListener(type, updateStatus);
window.addEventListener('online', updateStatus);
window.addEventListener('offline', updateStatus);

takeTokenFromUrl();
token = localStorage.getItem(TOKEN_KEY);
render();
if (token) void start();
