#!/usr/bin/env node
/**
 * Regenerates public/demo/media/test-pattern.webm, the video the demo page plays.
 *
 *   node client/scripts/make-demo-video.mjs      (needs /usr/bin/chromium, as the browser tests do)
 *
 * Why this way: there is no ffmpeg on a fresh machine and no VP8 encoder on npm without native
 * code, but Chromium ships one behind WebCodecs. The page draws a test pattern frame by frame on a
 * canvas and encodes it with `VideoEncoder` (VP8, a keyframe every ten seconds); this script then muxes
 * the chunks into a WebM file itself, with a `Duration` and `Cues`, so the browser knows the
 * length at once and seeks exactly (MediaRecorder output has neither). The output is
 * deterministic in content (not byte-for-byte across Chromium versions) and is committed, so
 * nothing of this runs at run time.
 */
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/demo/media/test-pattern.webm');
const WIDTH = 320;
const HEIGHT = 180;
/**
 * Ten minutes: longer than MIN_RESUME_DURATION_SECONDS (300 by default), so the service offers it
 * in continue watching, and long enough to play past MIN_PLAY_SECONDS (60) and stay below the
 * finished point. Few frames and a low bitrate keep the file small: only the clock and the marker
 * change from frame to frame.
 */
const FPS = 5;
const SECONDS = 600;
const BITRATE = 8_000;
/** Seconds between keyframes: where a seek can start decoding. */
const KEY_EVERY = 10;

/** Runs in the page: draws and encodes every frame, returns the chunks (base64) in order. */
async function encodeInPage({ width, height, fps, seconds, bitrate, keyEvery }) {
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d');
  const bars = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];
  const fmt = (t) => `${String(Math.floor(t / 60)).padStart(2, '0')}:${(t % 60).toFixed(1).padStart(4, '0')}`;
  const draw = (i) => {
    const t = i / fps;
    const barW = width / bars.length;
    bars.forEach((c, k) => {
      g.fillStyle = c;
      g.fillRect(Math.round(k * barW), 0, Math.ceil(barW), height * 0.6);
    });
    g.fillStyle = '#101018';
    g.fillRect(0, height * 0.6, width, height * 0.4);
    g.fillStyle = '#ffffff';
    g.font = 'bold 26px monospace';
    g.textBaseline = 'middle';
    g.fillText(`${fmt(t)} / ${fmt(seconds)}`, 12, height * 0.74);
    g.font = '12px sans-serif';
    g.fillStyle = '#9aa0b4';
    g.fillText('Playtime test pattern', 12, height * 0.88);
    // A marker sweeping across the bottom: where in the video this frame is.
    g.fillStyle = '#2d2d3a';
    g.fillRect(0, height - 6, width, 6);
    g.fillStyle = '#ffcc00';
    g.fillRect(0, height - 6, Math.round((width * t) / seconds), 6);
  };

  const chunks = [];
  let failure = null;
  const encoder = new VideoEncoder({
    output: (chunk) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      let bin = '';
      for (let k = 0; k < data.length; k += 0x8000) bin += String.fromCharCode(...data.subarray(k, k + 0x8000));
      chunks.push({ timestampUs: chunk.timestamp, key: chunk.type === 'key', data: btoa(bin) });
    },
    error: (e) => {
      failure = e;
    },
  });
  encoder.configure({ codec: 'vp8', width, height, bitrate, framerate: fps, latencyMode: 'quality' });
  for (let i = 0; i < fps * seconds; i++) {
    draw(i);
    const frame = new VideoFrame(canvas, { timestamp: Math.round((i * 1e6) / fps), duration: Math.round(1e6 / fps) });
    encoder.encode(frame, { keyFrame: i % (fps * keyEvery) === 0 });
    frame.close();
  }
  await encoder.flush();
  encoder.close();
  if (failure) throw failure;
  return chunks;
}

// --- A minimal WebM (Matroska) writer: EBML header, Info with Duration, one video track,
// one cluster per keyframe, Cues, and a SeekHead pointing at them. ---

function vintSize(n) {
  for (let len = 1; len <= 8; len++) {
    if (n < 2 ** (7 * len) - 1) {
      const out = Buffer.alloc(len);
      let v = n;
      for (let k = len - 1; k >= 0; k--) {
        out[k] = v & 0xff;
        v = Math.floor(v / 256);
      }
      out[0] |= 1 << (8 - len);
      return out;
    }
  }
  throw new Error(`size too large: ${n}`);
}

function idBytes(id) {
  const hex = id.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

const el = (id, ...parts) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([idBytes(id), vintSize(body.length), body]);
};
const uint = (id, v, width = 0) => {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let buf = Buffer.from(hex, 'hex');
  if (width > buf.length) buf = Buffer.concat([Buffer.alloc(width - buf.length), buf]);
  return el(id, buf);
};
const float = (id, v) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return el(id, b);
};
const str = (id, s) => el(id, Buffer.from(s, 'utf8'));

const ID = {
  EBML: 0x1a45dfa3, EBMLVersion: 0x4286, EBMLReadVersion: 0x42f7, EBMLMaxIDLength: 0x42f2, EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282, DocTypeVersion: 0x4287, DocTypeReadVersion: 0x4285,
  Segment: 0x18538067, SeekHead: 0x114d9b74, Seek: 0x4dbb, SeekID: 0x53ab, SeekPosition: 0x53ac,
  Info: 0x1549a966, TimecodeScale: 0x2ad7b1, Duration: 0x4489, MuxingApp: 0x4d80, WritingApp: 0x5741,
  Tracks: 0x1654ae6b, TrackEntry: 0xae, TrackNumber: 0xd7, TrackUID: 0x73c5, TrackType: 0x83, CodecID: 0x86,
  FlagLacing: 0x9c, DefaultDuration: 0x23e383, Video: 0xe0, PixelWidth: 0xb0, PixelHeight: 0xba,
  Cluster: 0x1f43b675, Timecode: 0xe7, SimpleBlock: 0xa3,
  Cues: 0x1c53bb6b, CuePoint: 0xbb, CueTime: 0xb3, CueTrackPositions: 0xb7, CueTrack: 0xf7, CueClusterPosition: 0xf1,
};

function muxWebm(chunks, { width, height, fps, seconds }) {
  const header = el(
    ID.EBML,
    uint(ID.EBMLVersion, 1), uint(ID.EBMLReadVersion, 1), uint(ID.EBMLMaxIDLength, 4), uint(ID.EBMLMaxSizeLength, 8),
    str(ID.DocType, 'webm'), uint(ID.DocTypeVersion, 2), uint(ID.DocTypeReadVersion, 2),
  );
  const info = el(
    ID.Info,
    uint(ID.TimecodeScale, 1_000_000), // timecodes in milliseconds
    float(ID.Duration, seconds * 1000),
    str(ID.MuxingApp, 'playtime make-demo-video'),
    str(ID.WritingApp, 'playtime make-demo-video'),
  );
  const tracks = el(
    ID.Tracks,
    el(
      ID.TrackEntry,
      uint(ID.TrackNumber, 1), uint(ID.TrackUID, 1), uint(ID.TrackType, 1), str(ID.CodecID, 'V_VP8'), uint(ID.FlagLacing, 0),
      uint(ID.DefaultDuration, Math.round(1e9 / fps)),
      el(ID.Video, uint(ID.PixelWidth, width), uint(ID.PixelHeight, height)),
    ),
  );
  // One cluster per keyframe: each starts where a seek can land.
  const groups = [];
  for (const c of chunks) {
    if (c.key || groups.length === 0) groups.push([]);
    groups[groups.length - 1].push(c);
  }
  const clusters = groups.map((group) => {
    const clusterMs = Math.round(group[0].timestampUs / 1000);
    const blocks = group.map((c) => {
      const rel = Math.round(c.timestampUs / 1000) - clusterMs;
      const head = Buffer.alloc(4);
      head[0] = 0x81; // track 1
      head.writeInt16BE(rel, 1);
      head[3] = c.key ? 0x80 : 0x00;
      return el(ID.SimpleBlock, head, Buffer.from(c.data, 'base64'));
    });
    return { ms: clusterMs, bytes: el(ID.Cluster, uint(ID.Timecode, clusterMs), ...blocks) };
  });

  // SeekHead with fixed-width positions, so its own size is known before the positions are.
  const seekHead = (positions) =>
    el(ID.SeekHead, ...positions.map(([id, pos]) => el(ID.Seek, el(ID.SeekID, idBytes(id)), uint(ID.SeekPosition, pos, 8))));
  const seekSize = seekHead([[ID.Info, 0], [ID.Tracks, 0], [ID.Cues, 0]]).length;
  const infoPos = seekSize;
  const tracksPos = infoPos + info.length;
  let pos = tracksPos + tracks.length;
  const cuePoints = [];
  for (const c of clusters) {
    cuePoints.push(el(ID.CuePoint, uint(ID.CueTime, c.ms), el(ID.CueTrackPositions, uint(ID.CueTrack, 1), uint(ID.CueClusterPosition, pos))));
    pos += c.bytes.length;
  }
  const cues = el(ID.Cues, ...cuePoints);
  const segmentBody = Buffer.concat([
    seekHead([[ID.Info, infoPos], [ID.Tracks, tracksPos], [ID.Cues, pos]]),
    info,
    tracks,
    ...clusters.map((c) => c.bytes),
    cues,
  ]);
  return Buffer.concat([header, el(ID.Segment, segmentBody)]);
}

async function main() {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>encoder</title>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const profile = mkdtempSync(join(tmpdir(), 'playtime-video-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await context.newPage();
    // http://127.0.0.1 is a secure context, which WebCodecs needs (about:blank is not).
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const params = { width: WIDTH, height: HEIGHT, fps: FPS, seconds: SECONDS, bitrate: BITRATE, keyEvery: KEY_EVERY };
    const chunks = await page.evaluate(encodeInPage, params);
    const webm = muxWebm(chunks, params);
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, webm);
    console.log(`${OUT}: ${chunks.length} frames, ${SECONDS} s, ${(webm.length / 1024).toFixed(1)} KiB`);
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
