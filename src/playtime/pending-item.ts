/*
 * Folding heartbeats into the pending item of their key (per-session maxima and spans, per-hour
 * maxima, receipt checkpoints for delete-wins, the device), and merging two pending items of one
 * key. Pure functions only: no I/O, no timers. The shapes are the watch model's
 * (src/watch/pending.ts); what a read makes of them is the overlay (src/watch/overlay.ts).
 */
import type { Heartbeat } from './heartbeat.js';
import { itemKeyString, userItemKeyString } from '../watch/item-key.js';
import type { Device, PendingItem, PendingSession, ReceiptCheckpoint, SessionPosition, SessionState } from '../watch/pending.js';
import { progressOf } from '../watch/progress.js';
import { hourOf } from '../watch/time.js';

export type { PendingItem } from '../watch/pending.js';

/**
 * Checkpoints kept per pending session (one is added per request that carries the session, so
 * normally one or two per flush; more only while flushes fail). Beyond it the two oldest merge
 * into one that keeps the earlier receipt time and the later state: a delete that falls between
 * them then erases a little post-delete time too, but pre-delete time can never come back.
 */
export const MAX_RECEIPT_CHECKPOINTS = 8;

export function newPendingItem(userId: string, hb: Heartbeat, receivedAt: number): PendingItem {
  const item: PendingItem = {
    key: '',
    userId,
    mediaType: hb.mediaType,
    mediaId: hb.mediaId,
    seasonNumber: hb.seasonNumber,
    episodeNumber: hb.episodeNumber,
    title: null,
    titleAt: -Infinity,
    currentTime: 0,
    totalDuration: 1,
    positionAt: -Infinity,
    firstAt: Infinity,
    receivedAt,
    firstReceivedAt: receivedAt,
    sessions: new Map(),
  };
  item.key = itemKeyString(item);
  addHeartbeat(item, hb, receivedAt);
  return item;
}

/**
 * Folds one heartbeat into the pending item of its key, creating the item on its first heartbeat:
 * so a batch never holds a key twice. Returns the item when it is new.
 */
export function foldHeartbeat(items: Map<string, PendingItem>, userId: string, hb: Heartbeat, receivedAt: number): PendingItem | null {
  const key = userItemKeyString(userId, hb);
  const item = items.get(key);
  if (item) {
    addHeartbeat(item, hb, receivedAt);
    return null;
  }
  const created = newPendingItem(userId, hb, receivedAt);
  items.set(key, created);
  return created;
}

/** Folds one heartbeat into the item: order of arrival never matters, only event times and maxima. */
export function addHeartbeat(item: PendingItem, hb: Heartbeat, receivedAt: number): void {
  const at = hb.occurredAt ? hb.occurredAt.getTime() : receivedAt;
  const currentTime = Math.min(hb.currentTime, hb.totalDuration);
  // Ties go to the later arrival: the same instant from two devices, last write wins.
  if (at >= item.positionAt) {
    item.positionAt = at;
    item.currentTime = currentTime;
    item.totalDuration = hb.totalDuration;
  }
  if (hb.title && at >= item.titleAt) {
    item.title = hb.title;
    item.titleAt = at;
  }
  item.firstAt = Math.min(item.firstAt, at);
  item.receivedAt = Math.max(item.receivedAt, receivedAt);
  item.firstReceivedAt = Math.min(item.firstReceivedAt, receivedAt);
  const peakProgress = progressOf(currentTime, hb.totalDuration);
  let s = item.sessions.get(hb.sessionId);
  if (s) {
    const state: SessionState = { maxPlayed: hb.playedSeconds, firstAt: at, lastAt: at, peakProgress, peakTime: currentTime };
    foldPosition(s, s, { currentTime, totalDuration: hb.totalDuration, fromTime: currentTime, lastEvent: hb.event }, state);
    foldState(s, state);
    foldReceipt(s.receipts, receivedAt, state, state);
  } else {
    // Written out rather than spread: a session is made for nearly every heartbeat after a flush,
    // and object spreads are the slow path of V8's object literals.
    const receipt: ReceiptCheckpoint = {
      maxPlayed: hb.playedSeconds, firstAt: at, lastAt: at, peakProgress, peakTime: currentTime,
      at: receivedAt, ownPeakProgress: peakProgress, ownPeakTime: currentTime,
    };
    s = {
      maxPlayed: hb.playedSeconds, firstAt: at, lastAt: at, peakProgress, peakTime: currentTime,
      currentTime, totalDuration: hb.totalDuration, fromTime: currentTime, lastEvent: hb.event,
      receipts: [receipt], hours: new Map(), device: null, deviceAt: Infinity,
    };
    item.sessions.set(hb.sessionId, s);
  }
  foldHour(s.hours, hourOf(at), hb.playedSeconds);
  foldDevice(s, hb.device ?? null, receivedAt);
}

/** The earliest receipt wins; on a tie (one request) the one folded in first stays. */
function foldDevice(s: PendingSession, device: Device | null, at: number): void {
  if (device && at < s.deviceAt) {
    s.device = device;
    s.deviceAt = at;
  }
}

function foldHour(hours: Map<number, number>, hour: number, played: number): void {
  const had = hours.get(hour);
  if (had === undefined || played > had) hours.set(hour, played);
}

function foldState(into: SessionState, from: SessionState): void {
  into.maxPlayed = Math.max(into.maxPlayed, from.maxPlayed);
  into.firstAt = Math.min(into.firstAt, from.firstAt);
  into.lastAt = Math.max(into.lastAt, from.lastAt);
  into.peakProgress = Math.max(into.peakProgress, from.peakProgress);
  into.peakTime = Math.max(into.peakTime, from.peakTime);
}

/**
 * The session's position is its latest heartbeat's (by event time; a tie goes to what arrives
 * later), its `fromTime` its earliest heartbeat's. Call before `foldState` moves the span.
 */
function foldPosition(into: SessionPosition, span: SessionState, from: SessionPosition, fromSpan: SessionState): void {
  if (fromSpan.lastAt >= span.lastAt) {
    into.currentTime = from.currentTime;
    into.totalDuration = from.totalDuration;
    into.lastEvent = from.lastEvent;
  }
  if (fromSpan.firstAt < span.firstAt) into.fromTime = from.fromTime;
}

/**
 * Adds `state`, received at `at`, to the checkpoint at `at` (made if missing) and to every later
 * one; `own` (how far what was received at `at` got) goes into that checkpoint's own peaks only.
 */
function foldReceipt(receipts: ReceiptCheckpoint[], at: number, state: SessionState, own: { peakProgress: number; peakTime: number }): void {
  let i = receipts.findIndex((c) => c.at >= at);
  if (i === -1) i = receipts.length;
  if (receipts[i]?.at !== at) {
    const before = receipts[i - 1];
    receipts.splice(i, 0, { ...(before ?? state), at, ownPeakProgress: 0, ownPeakTime: 0 });
  }
  receipts[i].ownPeakProgress = Math.max(receipts[i].ownPeakProgress, own.peakProgress);
  receipts[i].ownPeakTime = Math.max(receipts[i].ownPeakTime, own.peakTime);
  for (let j = i; j < receipts.length; j++) foldState(receipts[j], state);
  while (receipts.length > MAX_RECEIPT_CHECKPOINTS) {
    const [a, b] = receipts;
    receipts.splice(0, 2, {
      ...b, at: a.at, ownPeakProgress: Math.max(a.ownPeakProgress, b.ownPeakProgress), ownPeakTime: Math.max(a.ownPeakTime, b.ownPeakTime),
    });
  }
}

/** Merges `from` into `into` (same key). Commutative, so a failed flush can be put back. */
export function mergeInto(into: PendingItem, from: PendingItem): void {
  if (from.positionAt >= into.positionAt) {
    into.positionAt = from.positionAt;
    into.currentTime = from.currentTime;
    into.totalDuration = from.totalDuration;
  }
  if (from.title && from.titleAt >= into.titleAt) {
    into.title = from.title;
    into.titleAt = from.titleAt;
  }
  into.firstAt = Math.min(into.firstAt, from.firstAt);
  into.receivedAt = Math.max(into.receivedAt, from.receivedAt);
  into.firstReceivedAt = Math.min(into.firstReceivedAt, from.firstReceivedAt);
  for (const [id, s] of from.sessions) {
    const t = into.sessions.get(id);
    if (!t) {
      into.sessions.set(id, cloneSession(s));
    } else {
      foldPosition(t, t, s, s);
      foldState(t, s);
      foldDevice(t, s.device, s.deviceAt);
      for (const [hour, played] of s.hours) foldHour(t.hours, hour, played);
      // A cumulative checkpoint holds only data received at or before its time: folding it in at
      // that time keeps every checkpoint of the result true to the same rule.
      for (const c of s.receipts) foldReceipt(t.receipts, c.at, c, { peakProgress: c.ownPeakProgress, peakTime: c.ownPeakTime });
    }
  }
}

function cloneSession(s: PendingSession): PendingSession {
  return { ...s, receipts: s.receipts.map((c) => ({ ...c })), hours: new Map(s.hours) };
}

export function clonePendingItem(item: PendingItem): PendingItem {
  const copy: PendingItem = { ...item, sessions: new Map() };
  for (const [id, s] of item.sessions) copy.sessions.set(id, cloneSession(s));
  return copy;
}
