// The Playtime demo page: sign in, browse the catalogue, play the test pattern with the browser
// client (client/, served at ./client/), and watch continue-watching and the statistics follow.
// Plain ES modules, no build step; every string from the API goes into the DOM as text.
import { createPlaytimeClient, createPlaytimeTracker, browserTimeZone, PlaytimeApiError } from './client/index.js';
import uPlot from './vendor/uplot/uPlot.esm.js';

const TOKEN_KEY = 'playtime.demo.token';
const $ = (id) => document.getElementById(id);
const video = /** @type {HTMLVideoElement} */ ($('player'));

let token = null;
let catalog = [];
let chart = null;

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
// For the browser tests and for poking around in the console.
window.playtimeDemo = { tracker, api };

// --- notices and formatting ---

function notice(text) {
  const el = $('notice');
  el.textContent = text ?? '';
  el.hidden = !text;
}

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

function duration(seconds) {
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round((seconds / 3600) * 10) / 10} h`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function itemLabel(item) {
  const title = item.title ?? `${item.mediaType} ${item.mediaId}`;
  return item.mediaType === 'tv' && item.seasonNumber != null ? `${title} · S${item.seasonNumber}E${item.episodeNumber}` : title;
}

function itemHash(item) {
  return item.mediaType === 'tv' ? `tv/${item.mediaId}/${item.seasonNumber}/${item.episodeNumber}` : `movie/${item.mediaId}`;
}

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
  await refresh();
  const watch = readHash().get('watch');
  if (watch) await openFromHash(watch);
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
  await Promise.all([renderContinueWatching(), renderStats()]).catch((err) => notice(`Could not refresh: ${err.message}`));
}

async function renderContinueWatching() {
  const { items } = await api.continueWatching({ limit: 10 });
  const row = $('continue-row');
  if (!items.length) {
    row.replaceChildren(el('p', { class: 'muted' }, 'Nothing to continue yet: play something below.'));
    return;
  }
  row.replaceChildren(
    ...items.map((item) =>
      el(
        'button',
        {
          type: 'button',
          class: 'card continue',
          dataset: { mediaType: item.mediaType, mediaId: String(item.mediaId), progress: String(item.progress) },
          onclick: () =>
            openItem({ mediaType: item.mediaType, mediaId: item.mediaId, seasonNumber: item.seasonNumber, episodeNumber: item.episodeNumber, title: item.title }),
        },
        el('span', { class: 'card-title' }, itemLabel(item)),
        progressBar(item.progress),
        el('span', { class: 'muted small' }, item.reason === 'next-episode' ? 'Next episode' : `Resume at ${clock(item.resumeAt)} · ${item.progress} %`),
      ),
    ),
  );
}

function progressBar(progress) {
  const fill = el('span', { class: 'fill' });
  fill.style.width = `${progress}%`;
  return el('span', { class: 'bar', role: 'progressbar', 'aria-valuenow': String(progress), 'aria-valuemin': '0', 'aria-valuemax': '100' }, fill);
}

function isoDay(offsetDays) {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

async function renderStats() {
  const tz = browserTimeZone() ?? 'UTC';
  $('stats-tz').textContent = tz;
  const stats = await api.stats({ from: isoDay(-13), to: isoDay(0), tz });
  $('stats-totals').replaceChildren(
    el('dt', {}, 'Watched'),
    el('dd', { id: 'stats-total', dataset: { seconds: String(stats.totalSeconds) } }, duration(stats.totalSeconds)),
    el('dt', {}, 'Movies / TV'),
    el('dd', {}, `${duration(stats.byMediaType.movie)} / ${duration(stats.byMediaType.tv)}`),
    el('dt', {}, 'Started'),
    el('dd', {}, String(stats.itemsStarted)),
    el('dt', {}, 'Finished'),
    el('dd', {}, String(stats.itemsFinished)),
  );
  $('stats-top').replaceChildren(...stats.topTitles.slice(0, 5).map((t) => el('li', {}, `${t.title ?? `${t.mediaType} ${t.mediaId}`} — ${duration(t.seconds)}`)));
  drawChart(stats.daily);
}

function drawChart(daily) {
  const box = $('stats-chart');
  const xs = daily.map((d) => Date.parse(`${d.date}T12:00:00Z`) / 1000);
  const ys = daily.map((d) => d.seconds);
  const data = [xs, ys];
  const width = Math.max(280, box.clientWidth || 480);
  if (chart) {
    chart.setData(data);
    return;
  }
  chart = new uPlot(
    {
      width,
      height: 200,
      legend: { show: false },
      scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.15)] } },
      axes: [{}, { values: (_u, ticks) => ticks.map((s) => duration(s)), size: 60 }],
      series: [{}, { label: 'Watched', stroke: '#3b6fd8', fill: 'rgba(59,111,216,0.35)', paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } }],
    },
    data,
    box,
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
