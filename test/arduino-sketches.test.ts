// Sketches in the usual Arduino-ESP32 style, built for the twin as they are (globals, String, F(),
// Serial.printf, WiFi, LittleFS, Preferences, FreeRTOS tasks, esp_timer, pins, ESP.restart) and run
// as device processes: the host Arduino layer behaves as the board does where a sketch can tell.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync as mkTmp } from 'node:fs';

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { buildFirmware } from '../src/firmware/build.js';
import { runFirmwareStress } from '../src/harness/firmware-stress.js';
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

  it('an Arduino-style sketch runs: String, F(), WiFi, LittleFS, Preferences, a FreeRTOS task and queue, esp_timer, pins', async () => {
    const b = await buildFirmware({ project: path.join(fixtures, 'arduino_style') });
    const flash = mkTmp(path.join(os.tmpdir(), 'twincore-flash-test-'));
    try {
      const d = await ProcessDevice.start({ firmwareExecutable: b.executable, sanitizer: 'plain', dataDir: flash });
      devices.push(d);
      const log = () => d.logs.map((l) => l.line);
      expect(log()).toContain("WiFi: station joined 'bench-ssid', IP 127.0.0.1");
      expect(log()).toContain('file says: hello from LittleFS');
      expect(log().find((l) => l.startsWith('WiFi up: 127.0.0.1 rssi -'))).toMatch(/mac [0-9A-F]{2}(:[0-9A-F]{2}){5}$/);
      expect(log().find((l) => l.startsWith('twin-2a ready, boot 1, gotIp 1, free heap '))).toBeDefined();
      // HTTP: JSON built with String and F()
      const res = await fetch(`http://127.0.0.1:${d.port}/`);
      expect(JSON.parse(await res.text())).toMatchObject({ name: 'twin-2a', boots: 1, reading: -1, ip: '127.0.0.1' });
      // WebSocket: readings from the sensor task through the queue, broadcast by loop()
      const ws = new WebSocket(`ws://127.0.0.1:${d.port}/ws`);
      const got: Array<{ reading: number }> = [];
      ws.on('message', (m) => { if (String(m).startsWith('{')) got.push(JSON.parse(String(m)) as { reading: number }); });
      await new Promise((r) => ws.once('open', r));
      const named = new Promise<string>((r) => ws.on('message', (m) => { if (!String(m).startsWith('{')) r(String(m)); }));
      ws.send('  NAME \n');
      expect(await named).toBe('twin-2a');
      await new Promise((r) => setTimeout(r, 400));
      expect(got.length).toBeGreaterThan(3);
      expect(got.every((g) => Number.isInteger(g.reading) && g.reading >= 0 && g.reading < 100)).toBe(true);
      // pins: the esp_timer toggles GPIO 2; the harness reads it
      const pin = await d.request('pin 2');
      expect(pin).toMatchObject({ pin: 2, mode: 'OUTPUT' });
      expect(Number(pin.changes)).toBeGreaterThan(0);
      // the WiFi fault resets every connection
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      expect(await d.request('wifi drop')).toMatchObject({ dropped: true });
      expect(await closed).toBe(1006);
      await d.request('wifi restore');
      expect((await fetch(`http://127.0.0.1:${d.port}/`)).status).toBe(200);
      expect((await d.stop()).exitCode).toBe(0);
      // Preferences persist on the board's flash: the next boot counts 2
      const d2 = await ProcessDevice.start({ firmwareExecutable: b.executable, sanitizer: 'plain', dataDir: flash });
      devices.push(d2);
      expect(d2.logs.map((l) => l.line).find((l) => l.startsWith('twin-2a ready, boot 2,'))).toBeDefined();
    } finally {
      await Promise.all(devices.splice(0).map((x) => x.stop()));
      rmSync(flash, { recursive: true, force: true });
    }
  }, 90_000);

  it('the same sketch passes the generic stress under ThreadSanitizer (tasks, timers, events and the core in parallel)', async () => {
    const r = await runFirmwareStress({ project: path.join(fixtures, 'arduino_style'), variant: 'tsan', durationMs: 3000, seed: 5 }).result;
    expect(r.invariants.filter((i) => !i.ok)).toEqual([]);
  }, 180_000);
});
