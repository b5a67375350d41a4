// Small DOM and formatting helpers shared by the demo page's modules. Every string from the API
// goes into the DOM as text, never as HTML.

export const $ = (id) => document.getElementById(id);

export function notice(text) {
  const box = $('notice');
  box.textContent = text ?? '';
  box.hidden = !text;
}

export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

export function duration(seconds) {
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round((seconds / 3600) * 10) / 10} h`;
}

export function el(tag, props = {}, ...children) {
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

export function itemLabel(item) {
  const title = item.title ?? `${item.mediaType} ${item.mediaId}`;
  return item.mediaType === 'tv' && item.seasonNumber != null ? `${title} · S${item.seasonNumber}E${item.episodeNumber}` : title;
}

export function itemHash(item) {
  return item.mediaType === 'tv' ? `tv/${item.mediaId}/${item.seasonNumber}/${item.episodeNumber}` : `movie/${item.mediaId}`;
}

/** `data-*` that name an item in the DOM (tests and styles find entries by them). */
export function itemData(item) {
  const data = { mediaType: item.mediaType, mediaId: String(item.mediaId) };
  if (item.mediaType === 'tv' && item.seasonNumber != null) Object.assign(data, { season: String(item.seasonNumber), episode: String(item.episodeNumber) });
  return data;
}

export function progressBar(progress) {
  const fill = el('span', { class: 'fill' });
  fill.style.width = `${progress}%`;
  return el('span', { class: 'bar', role: 'progressbar', 'aria-valuenow': String(progress), 'aria-valuemin': '0', 'aria-valuemax': '100' }, fill);
}

/** The messages of an error answer: `field: message` for each named field, else its `message`. */
export function errorMessages(body, status) {
  if (body && Array.isArray(body.errors) && body.errors.length) return body.errors.map((e) => `${e.field}: ${e.message}`);
  if (body && body.message) return [].concat(body.message).map(String);
  return [`HTTP ${status}`];
}
