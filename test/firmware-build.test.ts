// `twincore build`: firmware projects written here in the layouts users have (a PlatformIO project
// with lib/ and .pio/libdeps/, an Arduino sketch folder) become device executables that run on the
// twin; mistakes come back as the compiler's messages at the user's own lines.
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { FirmwareBuildError, FirmwareProjectError } from '../src/errors.js';
import { buildFirmware } from '../src/firmware/build.js';
import { parseIniText } from '../src/firmware/platformio.js';
import { resolveProject } from '../src/firmware/project.js';
import { findFunctionDefinitions, joinSketch } from '../src/firmware/sketch.js';
import { ProcessDevice } from '../src/process-device.js';
import { connectLines, destroyAllSockets, waitForAsync as waitFor } from './helpers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'firmware');
// Builds go to a temporary cache, not into the fixtures.
const cache = mkdtempSync(path.join(os.tmpdir(), 'twincore-build-test-'));
process.env.TWINCORE_CACHE_DIR = cache;
const devices: ProcessDevice[] = [];
afterEach(async () => {
  destroyAllSockets();
  await Promise.all(devices.splice(0).map((d) => d.stop()));
});
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('sketch preprocessing', () => {
  it('finds file-scope function definitions and skips members, templates, defaults and braces', () => {
    const src = [
      '#include <Arduino.h>',
      'struct P { int f() { return 1; } };',
      'int A::g(int x) { return x; }',
      'template <class T> T twice(T x) { return x + x; }',
      'static void lateHelper(const char* s, int n) {',
      '  if (n) { lateHelper(s, n - 1); }',
      '}',
      'void withDefault(int x = 3) {}',
      'const char* page = R"(<html>{ void fake() { } }</html>)";',
      'String label(int v)',
      '{',
      '  return String(v);',
      '}',
      'AsyncMiddlewareFunction logger([](AsyncWebServerRequest* r, ArMiddlewareNext next) {',
      '  next();',
      '});',
    ];
    const defs = findFunctionDefinitions(src);
    expect(defs.map((d) => d.prototype)).toEqual(['static void lateHelper(const char* s, int n);', 'String label(int v);']);
    expect(defs[0]!.lineIndex).toBe(4);
    expect(defs[1]!.lineIndex).toBe(9);
  });

  it('joins .ino files with Arduino.h first, prototypes before the first definition and #line back to each file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'twincore-sketch-'));
    try {
      writeFileSync(path.join(dir, 'a.ino'), 'int x = helper();\nvoid setup() {}\nvoid loop() {}\n');
      writeFileSync(path.join(dir, 'b.ino'), 'int helper() { return 2; }\n');
      const out = joinSketch([path.join(dir, 'a.ino'), path.join(dir, 'b.ino')]).split('\n');
      expect(out[0]).toBe('#include <Arduino.h>');
      expect(out[1]).toBe(`#line 1 ${JSON.stringify(path.join(dir, 'a.ino'))}`);
      expect(out[2]).toBe('int x = helper();');
      expect(out.slice(3, 6)).toEqual(['void setup();', 'void loop();', 'int helper();']);
      expect(out[6]).toBe(`#line 2 ${JSON.stringify(path.join(dir, 'a.ino'))}`);
      expect(out).toContain(`#line 1 ${JSON.stringify(path.join(dir, 'b.ino'))}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('project resolution', () => {
  it('reads platformio.ini with [env], extends, multi-line values and interpolation', () => {
    const s = parseIniText('[env]\nbuild_flags =\n  -DA=1\n  -DB\n; comment\n[env:x]\nextends = env\nboard = b ; inline\n');
    expect(s.get('env')!.get('build_flags')).toBe('-DA=1\n-DB');
    expect(s.get('env:x')!.get('board')).toBe('b');
    expect(() => parseIniText('[env]\nnot a line\n')).toThrow(/platformio.ini:2/);
  });

  it('resolves a PlatformIO project: default env, lib/, libdeps, library.json flags, AsyncTCP replaced', () => {
    const p = resolveProject(path.join(fixtures, 'pio_project'));
    expect(p.kind).toBe('platformio');
    expect(p.env).toBe('esp32dev');
    expect(p.defines).toEqual(expect.arrayContaining(['GREETING="hello from pio"', 'ENV_NAME="esp32dev"', 'TINY_COUNTER_START=100']));
    expect(p.ignoredFlags).toContain('-Wall');
    const byName = Object.fromEntries(p.libraries.map((l) => [l.name, l]));
    expect(byName.AsyncTCP!.skipped).toMatch(/replaced by the twin/);
    expect(byName.Greeter!.skipped).toBeUndefined();
    expect(byName.TinyCounter!.skipped).toBeUndefined();
    expect(p.sources.some((s) => s.includes(`${path.sep}AsyncTCP${path.sep}`))).toBe(false);
    // [env:other] has no .pio/libdeps/other: the same project, not installed for that env
    expect(() => resolveProject(path.join(fixtures, 'pio_project'), { env: 'other' })).toThrow(/pio pkg install -e other/);
    expect(() => resolveProject(path.join(fixtures, 'pio_project'), { env: 'nope' })).toThrow(/no environment 'nope' \(it has: esp32dev, other\)/);
  });

  it('says to run pio pkg install when the libraries are not installed', () => {
    expect(() => resolveProject(path.join(fixtures, 'pio_missing_deps'))).toThrow(FirmwareProjectError);
    expect(() => resolveProject(path.join(fixtures, 'pio_missing_deps'))).toThrow(/pio pkg install -e esp32dev/);
  });

  it('refuses a folder that is no project, naming what it looked for', () => {
    expect(() => resolveProject(path.join(fixtures, 'pio_project', 'include'))).toThrow(/no platformio.ini, and no include.ino/);
  });
});

describe('buildFirmware', () => {
  it('builds a PlatformIO project that runs on the twin; a second build is cached, a touched file rebuilds alone', async () => {
    const first = await buildFirmware({ project: path.join(fixtures, 'pio_project') });
    const again = await buildFirmware({ project: path.join(fixtures, 'pio_project') });
    expect(again.compiled).toBe(false);
    expect(again.ms).toBeLessThan(3000);
    const greeter = path.join(fixtures, 'pio_project', 'lib', 'Greeter', 'src', 'Greeter.cpp');
    const now = new Date();
    utimesSync(greeter, now, now);
    const touched = await buildFirmware({ project: path.join(fixtures, 'pio_project'), onOutput: () => undefined });
    expect(touched.compiled).toBe(true);
    expect(first.executable).toBe(touched.executable);

    const d = await ProcessDevice.start({ firmwareExecutable: first.executable, sanitizer: 'plain' });
    devices.push(d);
    const c = await connectLines(d.port);
    c.send('one');
    expect(await c.next()).toBe('echo: 100 one');
    c.send('two');
    expect(await c.next()).toBe('echo: 101 two');
    expect(d.logs.map((l) => l.line)).toContain('hello from pio (esp32dev)');
    const counters = await d.readCounters();
    expect(counters.connectionsOpen).toBe(1);
    c.socket.destroy();
    // Back to baseline while the device runs: the firmware deletes the client on its loop task.
    await waitFor(async () => (await d.readCounters()).clientsAlive === 0, 5000);
    const report = await d.stop();
    expect(report.exitCode).toBe(0);
    expect(report.counters).toMatchObject({ connectionsOpen: 0, clientsAlive: 0, threadsAlive: 0 });
  }, 120_000);

  it('points a compile error at the sketch line, unchanged', async () => {
    const err = await buildFirmware({ project: path.join(fixtures, 'bad_sketch') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirmwareBuildError);
    const out = (err as FirmwareBuildError).output;
    expect(out).toContain(`${path.join(fixtures, 'bad_sketch', 'bad_sketch.ino')}:7:`);
    expect(out).toMatch(/undeclared_thing/);
    expect(out).not.toMatch(/^make/m);
  }, 60_000);

  it('names a board-only API the twin does not simulate', async () => {
    const err = await buildFirmware({ project: path.join(fixtures, 'board_only') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirmwareBuildError);
    expect((err as FirmwareBuildError).output).toMatch(/BLEDevice/);
    expect((err as FirmwareBuildError).output).toMatch(/board_only\.ino:2/);
  }, 60_000);

  it('a sketch calls functions above their definitions, as in the Arduino IDE', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'twincore-proto-'));
    const sketch = path.join(dir, 'Proto');
    try {
      cpSync(path.join(fixtures, 'bad_sketch'), sketch, { recursive: true });
      rmSync(path.join(sketch, 'bad_sketch.ino'));
      writeFileSync(path.join(sketch, 'Proto.ino'), 'void setup() { Serial.println(answer()); }\nvoid loop() { delay(5); }\nint answer() { return 42; }\n');
      const b = await buildFirmware({ project: sketch });
      const d = await ProcessDevice.start({ firmwareExecutable: b.executable, sanitizer: 'plain' });
      devices.push(d);
      expect(d.logs.map((l) => l.line)).toContain('42');
      expect(readFileSync(path.join(b.buildDir, 'Proto.ino.cpp'), 'utf8')).toContain('int answer();');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
