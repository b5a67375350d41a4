// "Open and close": shows that a short session (below MIN_PLAY_SECONDS) does not move the resume
// point (SPEC §7). It does what a flaky player does: opens the item in a new session at 0:00, plays
// a few seconds, stops; then it reads the item back and says whether its resume point moved.
import { $, clock, errorMessages } from './ui.js';

/** Seconds the short session plays: a few, and always below the play threshold. */
export function shortSessionSeconds(minPlaySeconds) {
  return Math.min(3, minPlaySeconds / 2);
}

function waitFor(video, test, timeoutMs) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (test()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('the video did not play'));
      setTimeout(tick, 50);
    };
    tick();
  });
}

function seekTo(video, seconds) {
  return new Promise((resolve) => {
    if (Math.abs(video.currentTime - seconds) < 0.01) return resolve();
    video.addEventListener('seeked', () => resolve(), { once: true });
    video.currentTime = seconds;
  });
}

/**
 * `rules()` gives the service's thresholds (GET /demo/rules); `reopen(item)` opens the player on
 * the item again afterwards, as the page does (at its resume point).
 */
export function createShortSession({ tracker, video, api, rules, reopen, changed }) {
  const result = $('open-close-result');

  function say(text, data = {}) {
    result.textContent = text;
    for (const key of ['before', 'after', 'played']) delete result.dataset[key];
    Object.assign(result.dataset, data);
  }

  async function run() {
    const item = tracker.item;
    const minPlay = rules()?.minPlaySeconds;
    if (!item || minPlay === undefined) return;
    const seconds = shortSessionSeconds(minPlay);
    if (seconds < 0.5) {
      say(`MIN_PLAY_SECONDS is ${minPlay} s here: every session is a play, so there is nothing to show.`);
      return;
    }
    const button = $('open-close');
    button.disabled = true;
    try {
      say('Opening a new session at 0:00…');
      const before = (await api.historyItem(item))?.resumeAt ?? 0;
      // End the session under way, then start a new one from the beginning.
      video.pause();
      tracker.setItem(null);
      if (video.readyState < 1) await new Promise((r) => video.addEventListener('loadedmetadata', r, { once: true }));
      await seekTo(video, 0);
      tracker.setItem(item);
      await video.play();
      await waitFor(video, () => video.currentTime >= seconds, 20_000);
      video.pause();
      const played = tracker.playedSeconds;
      tracker.setItem(null); // the `stop`: the short session is over
      await tracker.flush();
      const after = (await api.historyItem(item))?.resumeAt ?? 0;
      const moved = Math.abs(after - before) >= 0.5;
      say(
        `Short session: played ${played.toFixed(1)} s from 0:00, below the ${minPlay} s play threshold. ` +
          `Resume point before: ${clock(before)}, after: ${clock(after)}: ${moved ? 'it moved' : 'unchanged'}.`,
        { before: String(before), after: String(after), played: String(played) },
      );
      changed();
      await reopen(item);
    } catch (err) {
      say(`The short session failed: ${err instanceof Error && 'body' in err ? errorMessages(err.body, err.status).join('; ') : err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  $('open-close').addEventListener('click', () => void run());
}
