// Upstream ESPAsyncWebServer (3.x, unmodified, never part of this repository) and its WebSocket
// examples, built as sketches against the twin with the board's defines, and run under the
// generic stress. Runs when TWINCORE_ESPASYNCWEBSERVER_DIR points at a checkout of
// github.com/ESP32Async/ESPAsyncWebServer; skipped (and says so) otherwise.
//
// What is asserted: every example compiles unchanged, boots, and answers a WebSocket handshake.
// The stress verdicts are printed, not asserted: they are upstream's findings (see README,
// "Upstream ESPAsyncWebServer on the twin").
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { buildFirmware } from '../src/firmware/build.js';
import { runFirmwareStress } from '../src/harness/firmware-stress.js';

const upstream = process.env.TWINCORE_ESPASYNCWEBSERVER_DIR;
const EXAMPLES = ['WebSocket', 'WebSocketEasy', 'WebSocketTest'];
const work = mkdtempSync(path.join(os.tmpdir(), 'twincore-upstream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

if (!upstream) {
  console.log('test/upstream.test.ts skipped: set TWINCORE_ESPASYNCWEBSERVER_DIR to a checkout of ESPAsyncWebServer 3.x to run it');
}

describe.skipIf(!upstream)('upstream ESPAsyncWebServer on the twin', () => {
  for (const example of EXAMPLES) {
    it(`examples/arduino/${example} compiles unchanged and runs (ASan build, stress verdict printed)`, async () => {
      const src = path.join(upstream!, 'examples', 'arduino', example);
      expect(existsSync(path.join(src, `${example}.ino`))).toBe(true);
      const sketch = path.join(work, example);
      cpSync(src, sketch, { recursive: true });
      process.env.TWINCORE_CACHE_DIR = path.join(work, '.cache');
      const build = await buildFirmware({ project: sketch, variant: 'asan', lib: [upstream!] });
      expect(build.library).toBe('upstream');
      const r = await runFirmwareStress({ executable: build.executable, variant: 'asan', durationMs: 5000, seed: 1 }).result;
      const failed = r.invariants.filter((i) => !i.ok);
      console.log(`${example}: ${r.ok ? 'OK' : `FAILED ${failed.map((i) => `${i.name}: ${i.detail}`).join('; ')}`}`);
      // The stress reached its WebSocket stage, or upstream's own use-after-free (the AsyncClient
      // deleted in its onDisconnect, src/AsyncWebSocket.cpp) ended the device at the first close
      // before a session was counted.
      const upstreamUaf = r.sanitizerReports.some((t) => t.includes('heap-use-after-free') && t.includes('src/AsyncWebSocket.cpp'));
      expect(r.stats.wsOpened + r.stats.wsRefused > 0 || upstreamUaf).toBe(true);
    }, 300_000);
  }
});
