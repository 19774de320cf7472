// Sketches in the usual Arduino-ESP32 style, built for the twin as they are (globals, String, F(),
// Serial.printf, WiFi, LittleFS, Preferences, FreeRTOS tasks, esp_timer, pins, ESP.restart) and run
// as device processes: the host Arduino layer behaves as the board does where a sketch can tell.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { buildFirmware } from '../src/firmware/build.js';
import { ProcessDevice } from '../src/process-device.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'firmware');
const cache = mkdtempSync(path.join(os.tmpdir(), 'twincore-sketch-test-'));
process.env.TWINCORE_CACHE_DIR = cache;
const devices: ProcessDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.stop()));
});
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** Connects, optionally sends `line` once the greeting arrived, and returns what came back within ms. */
function talk(port: number, line: string | null, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let pending = line;
    s.setEncoding('utf8');
    s.on('data', (x: string) => {
      got += x;
      if (pending && got.includes('\n')) {
        s.write(pending);
        pending = null;
      }
    });
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('close', () => { clearTimeout(timer); resolve(got); });
    s.on('error', () => undefined);
  });
}

describe('Arduino-style sketches on the twin', () => {
  it('ESP.restart() reboots the device: globals built anew, same port, a new READY', async () => {
    const b = await buildFirmware({ project: path.join(fixtures, 'restart_counter') });
    const d = await ProcessDevice.start({ firmwareExecutable: b.executable, sanitizer: 'plain' });
    devices.push(d);
    const port = d.port;
    expect(await talk(port, 'one\n')).toBe('hello lines=0\n');
    expect(await talk(port, 'two\n')).toBe('hello lines=1\n');
    expect(await talk(port, 'restart\n')).toMatch(/^hello lines=2\nrestarting\n/);
    expect(await d.waitForBoot(1)).toBe(2);
    expect(d.port).toBe(port);
    expect(await talk(port, null)).toBe('hello lines=0\n'); // the globals were constructed again
    const lines = d.logs.map((l) => l.line);
    expect(lines.filter((l) => l.startsWith('restart_counter up, chip ESP32-D0WD-V3, 2 cores'))).toHaveLength(2);
    const report = await d.stop();
    expect(report.exitCode).toBe(0);
  }, 60_000);
});
