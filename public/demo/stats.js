// The statistics panel of the demo page.
import { browserTimeZone } from './client/index.js';
import uPlot from './vendor/uplot/uPlot.esm.js';
import { $, duration, el } from './ui.js';

let chart = null;

function isoDay(offsetDays) {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The last 14 days in the browser's time zone: totals, a bar per day (uPlot), the top titles. */
export async function renderStats(api) {
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
  drawBars($('stats-hours'), stats.byHourOfDay, (i) => String(i));
  drawBars($('stats-weekdays'), stats.byWeekday, (i) => WEEKDAYS[i]);
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** One plain CSS bar per value (hour of the day, weekday), its height relative to the largest. */
function drawBars(box, values, label) {
  const max = Math.max(1, ...values);
  box.replaceChildren(
    ...values.map((seconds, i) => {
      const fill = el('span', { class: 'fill' });
      fill.style.height = `${Math.round((100 * seconds) / max)}%`;
      return el('span', { class: 'bar-col', title: `${label(i)}: ${duration(seconds)}`, dataset: { seconds: String(seconds) } }, fill, el('span', { class: 'bar-label' }, label(i)));
    }),
  );
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
