// The Playtime admin dashboard: watch hours per day, top titles, platforms, the concurrency curve
// and who is playing now, from the /v1/admin routes. Plain ES modules, no build step; every string
// from the API goes into the DOM as text. Each chart and table exposes what it drew as data-*
// attributes (points, sums, rows), for the browser tests and for anyone inspecting the page.
import uPlot from './vendor/uplot/uPlot.esm.js';

const TOKEN_KEY = 'playtime.admin.token';
const NOW_PLAYING_EVERY_MS = 5000;
const $ = (id) => document.getElementById(id);
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

let token = sessionStorage.getItem(TOKEN_KEY);
let nowTimer = null;
const charts = {};

// --- talking to the API ---

class ApiError extends Error {
  constructor(status, body, retryAfter, sentToken) {
    super(explain(status, body, retryAfter));
    this.status = status;
    this.token = sentToken;
  }
}

/** What went wrong, in words an operator can act on. */
function explain(status, body, retryAfter) {
  const detail = body?.errors?.length ? body.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : [].concat(body?.message ?? []).join('; ');
  switch (status) {
    case 0: return 'Could not reach the service: is it running?';
    case 401: return 'The token was refused (missing, expired or wrongly signed): paste a new admin token.';
    case 403: return 'This token is not an admin\'s: the dashboard needs "admin" in the token\'s roles.';
    case 503: return `The service is unavailable right now${retryAfter ? ` (retry in ${retryAfter} s)` : ''}${detail ? `: ${detail}` : '.'}`;
    case 400: return `The service refused the request: ${detail || 'bad request'}`;
    case 404: return 'This service does not have that report (an older version?).';
    default: return `HTTP ${status}${detail ? `: ${detail}` : ''}`;
  }
}

async function get(path, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
  const sent = token;
  let res;
  try {
    res = await fetch(`/v1/admin/${path}?${q}`, { headers: sent ? { Authorization: `Bearer ${sent}` } : {} });
  } catch {
    throw new ApiError(0, { message: 'could not reach the service' }, null, sent);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body, res.headers.get('Retry-After'), sent);
  return body;
}

// --- formatting and DOM ---

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const hours = (seconds) => (seconds / 3600).toLocaleString(undefined, { maximumFractionDigits: seconds < 36000 ? 2 : 1 });
const clock = (s) => {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = String(Math.floor((t % 3600) / 60)).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${m}:${String(t % 60).padStart(2, '0')}`;
};
const localDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const time = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
const itemLabel = (r) => `${r.title ?? `${r.mediaType} ${r.mediaId}`}${r.mediaType === 'tv' && r.seasonNumber != null ? ` · S${r.seasonNumber}E${r.episodeNumber}` : ''}`;

function notice(text) {
  $('notice').textContent = text ?? '';
  $('notice').hidden = !text;
}

function showError(id, err) {
  if (err && err.token !== token) return; // an answer to a token replaced since
  $(id).textContent = err ? err.message : '';
  if (err?.status === 401 || err?.status === 403) notice(err.message);
}

// --- token ---

function setToken(value) {
  token = value || null;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  $('forget-token').hidden = !token;
  $('whoami').textContent = token ? `Signed in as ${subjectOf(token)}` : 'No token yet.';
  notice(null);
  if (token) void loadAll();
  else stopNowPlaying();
}

function subjectOf(jwt) {
  try {
    const b64 = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='))).sub ?? '?';
  } catch {
    return '?';
  }
}

async function devToken() {
  const res = await fetch('/demo/admin-token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).catch(() => null);
  if (res?.ok) return setToken((await res.json()).token);
  notice(
    res?.status === 404
      ? 'Development tokens are only given in development-token mode, to the machine running the service: paste an admin token (npm run token -- <userId> --admin).'
      : `Could not get a development token${res ? ` (HTTP ${res.status})` : ''}.`,
  );
}

// --- charts and tables ---

/** One uPlot per container, created on first data and updated after. */
function plot(id, data, series, opts = {}) {
  const box = $(id);
  box.dataset.points = String(data[0].length);
  box.dataset.sums = series.map((_, i) => data[i + 1].reduce((a, b) => a + b, 0)).join(',');
  if (charts[id]) return charts[id].setData(data);
  charts[id] = new uPlot(
    {
      width: Math.max(300, box.clientWidth || 600),
      height: 220,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{}, { size: 50 }],
      series: [{}, ...series],
      ...opts,
    },
    data,
    box,
  );
}

/** Every day from..to, with zero for days without rows; x at local noon. */
function dailySeries(from, to, rows) {
  const byDay = new Map(rows.map((r) => [r.date, r.watchSeconds]));
  const xs = [];
  const ys = [];
  for (let d = new Date(`${from}T12:00:00`); localDay(d) <= to; d.setDate(d.getDate() + 1)) {
    xs.push(d.getTime() / 1000);
    ys.push((byDay.get(localDay(d)) ?? 0) / 3600);
  }
  return [xs, ys];
}

function barTable(id, rows, label) {
  const table = $(id);
  const max = Math.max(0, ...rows.map((r) => r.watchSeconds));
  table.dataset.rows = String(rows.length);
  table.dataset.totalSeconds = String(rows.reduce((a, r) => a + r.watchSeconds, 0));
  const body = rows.length
    ? rows.map((r) => {
        const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
        bar.style.width = `${max ? (100 * r.watchSeconds) / max : 0}%`;
        return el('tr', { dataset: { seconds: String(r.watchSeconds) } }, el('td', {}, bar, el('span', {}, label(r))), el('td', {}, hours(r.watchSeconds)), el('td', {}, String(r.viewers)), el('td', {}, String(r.completions)));
      })
    : [el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'Nothing watched in this window.'))];
  table.tBodies[0].replaceChildren(...body);
}

async function loadHours(from, to) {
  try {
    const { rows } = await get('reports/watch-hours', { from, to, groupBy: 'day' });
    const data = dailySeries(from, to, rows);
    const bars = { label: 'Hours', stroke: '#3b6fd8', fill: 'rgba(59,111,216,0.35)', paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } };
    plot('chart-hours', data, [bars], { legend: { show: false } });
    const total = `${hours(rows.reduce((a, r) => a + r.watchSeconds, 0))} h`;
    $('hours-total').textContent = `(${total} in all)`;
    $('chart-hours').setAttribute('aria-label', `Watch hours per day, ${from} to ${to}: ${total} in all`);
    showError('err-hours', null);
  } catch (err) {
    showError('err-hours', err);
  }
}

async function loadGrouped(from, to, groupBy, id, errId, label) {
  try {
    const { rows } = await get('reports/watch-hours', { from, to, groupBy });
    barTable(id, [...rows].sort((a, b) => b.watchSeconds - a.watchSeconds).slice(0, 10), label);
    showError(errId, null);
  } catch (err) {
    showError(errId, err);
  }
}

async function loadConcurrency(from, to, interval) {
  try {
    const { rows } = await get('reports/concurrency', { from, to, interval, tz });
    const data = [rows.map((r) => Date.parse(r.start) / 1000), rows.map((r) => r.peakViewers), rows.map((r) => r.peakSessions)];
    plot('chart-concurrency', data, [
      { label: 'Viewers', stroke: '#3b6fd8', width: 2, fill: 'rgba(59,111,216,0.15)' },
      { label: 'Sessions', stroke: '#d8803b', width: 1.5, dash: [4, 3] },
    ]);
    const peak = `peak ${Math.max(0, ...data[1])} viewers, ${Math.max(0, ...data[2])} sessions`;
    $('concurrency-peak').textContent = `(${peak})`;
    $('chart-concurrency').setAttribute('aria-label', `Peak concurrent viewers and sessions per ${interval}, ${from} to ${to}: ${peak}`);
    showError('err-concurrency', null);
  } catch (err) {
    showError('err-concurrency', err);
  }
}

async function loadNowPlaying() {
  try {
    const { count, sessions } = await get('now-playing');
    const table = $('now-playing');
    table.dataset.rows = String(sessions.length);
    $('now-count').textContent = String(count);
    $('now-updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    table.tBodies[0].replaceChildren(
      ...(sessions.length
        ? sessions.map((s) => {
            const device = [s.device?.name, s.device?.platform].filter(Boolean).join(' · ') || '–';
            // position and event are null for a session whose latest heartbeat is not stored yet
            const position =
              s.currentTime == null || s.totalDuration == null
                ? ['–']
                : [el('progress', { max: '100', value: String(s.progress ?? 0), 'aria-label': `${s.progress ?? 0} %` }), ` ${clock(s.currentTime)} / ${clock(s.totalDuration)}`];
            return el(
              'tr',
              { dataset: { sessionId: s.sessionId, userId: s.userId } },
              el('td', {}, s.userId),
              el('td', {}, itemLabel(s)),
              el('td', {}, ...position),
              el('td', {}, s.event ?? '–'),
              el('td', {}, device),
              el('td', {}, time(s.startedAt)),
              el('td', {}, `${Math.max(0, Math.round((Date.now() - Date.parse(s.lastSeenAt)) / 1000))} s ago`),
            );
          })
        : [el('tr', {}, el('td', { colspan: '7', class: 'muted' }, 'Nobody is playing right now.'))]),
    );
    showError('err-now', null);
  } catch (err) {
    showError('err-now', err);
    if ((err.status === 401 || err.status === 403) && err.token === token) stopNowPlaying();
  }
}

function startNowPlaying() {
  stopNowPlaying();
  void loadNowPlaying();
  nowTimer = setInterval(() => void loadNowPlaying(), NOW_PLAYING_EVERY_MS);
}

function stopNowPlaying() {
  clearInterval(nowTimer);
  nowTimer = null;
}

async function loadAll() {
  const from = $('from').value;
  const to = $('to').value;
  if (!token) return notice('Paste an admin token first (or get a development token).');
  if (from > to) return notice('"From" must not be after "To".');
  notice(null);
  startNowPlaying();
  await Promise.all([
    loadHours(from, to),
    loadConcurrency(from, to, $('interval').value),
    loadGrouped(from, to, 'media', 'top-titles', 'err-titles', itemLabel),
    loadGrouped(from, to, 'platform', 'platforms', 'err-platforms', (r) => r.platform),
  ]);
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
}

// --- wiring ---

const today = new Date();
$('to').value = localDay(today);
$('from').value = localDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 13));
$('tz').textContent = tz;
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('token-input').value.trim();
  $('token-input').value = '';
  if (value) setToken(value);
});
$('dev-token').addEventListener('click', () => void devToken());
$('forget-token').addEventListener('click', () => setToken(null));
$('range').addEventListener('submit', (e) => {
  e.preventDefault();
  void loadAll();
});
window.addEventListener('resize', () => {
  for (const [id, chart] of Object.entries(charts)) chart.setSize({ width: Math.max(300, $(id).clientWidth), height: 220 });
});
setToken(token);
