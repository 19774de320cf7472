// The in-process Device over real loopback sockets, against the `echo` firmware.
// Every test stops its devices and destroys its sockets (afterEach checks both).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { PROFILES } from '../src/defaults.js';
import { Device } from '../src/device.js';
import { DeviceStoppedError, FirmwareConfigError, FirmwareUnknownError, TwincoreRangeError, TwincoreTypeError } from '../src/errors.js';
import { loadNative } from '../src/native.js';
import { COUNTER_NAMES } from '../src/types.js';
import { connectLines, destroyAllSockets, sleep, waitFor } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const devices: Device[] = [];

async function boot(options?: Parameters<typeof Device.start>[0]): Promise<Device> {
  const d = await Device.start(options);
  devices.push(d);
  return d;
}

afterEach(async () => {
  destroyAllSockets();
  await Promise.all(devices.splice(0).map((d) => d.stop()));
});

function expectCleanEnd(d: Device): void {
  const c = d.counters();
  expect(d.running).toBe(false);
  expect(c.threadsAlive).toBe(0);
  expect(c.connectionsOpen).toBe(0);
  expect(c.clientsAlive).toBe(0);
  expect(c.serversListening).toBe(0);
}

describe('defaults', () => {
  it('the esp32 profile equals twin::Profile{}', () => {
    expect(loadNative().defaultProfile()).toEqual(PROFILES.esp32);
    expect(PROFILES.esp32c3).toMatchObject({ name: 'esp32c3', dualCore: false });
  });

  it('the addon knows the echo firmware', () => {
    expect(loadNative().firmwareNames()).toContain('echo');
  });
});

describe('Device over loopback', () => {
  it('boots, echoes a line and moves its counters', async () => {
    const d = await boot();
    expect(d.port).toBeGreaterThan(0);
    expect(d.ports).toEqual([d.port]);
    expect(d.url).toBeUndefined(); // the echo firmware is plain TCP: no WebSocket endpoint
    expect(d.httpUrl).toBe(`http://127.0.0.1:${d.port}/`);
    expect(d.running).toBe(true);
    expect(d.firmware).toBe('echo');
    expect(d.profile.name).toBe('esp32');

    const c0 = d.counters();
    for (const name of COUNTER_NAMES) expect(typeof c0[name]).toBe('number');
    expect(c0.threadsAlive).toBe(2);
    expect(c0.serversListening).toBe(1);

    const client = await connectLines(d.port);
    client.send('hello twin');
    expect(await client.next()).toBe('hello twin');
    const c1 = d.counters();
    expect(c1.connectionsOpen).toBe(1);
    expect(c1.connectionsTotal).toBe(1);
    expect(c1.clientsAlive).toBe(1);
    expect(c1.threadsAlive).toBe(2);
    expect(c1.bytesIn).toBeGreaterThanOrEqual('hello twin\n'.length);
    // bytesOut counts when the kernel took the write, which can be just after the peer read it.
    expect(await waitFor(() => d.counters().bytesOut >= 'hello twin\n'.length, 2000)).toBe(true);

    // onPoll every 500 ms per connection.
    await sleep(1200);
    const c2 = d.counters();
    expect(c2.polls - c1.polls).toBeGreaterThanOrEqual(2);
    expect(c2.loopIterations).toBeGreaterThan(c1.loopIterations);

    client.send('stats');
    expect(JSON.parse(await client.next())).toMatchObject({ sessions: 1 });
    client.send('quit');
    expect(await client.next()).toBe('bye');
    await client.closed;
    expect(await waitFor(() => d.counters().clientsAlive === 0)).toBe(true);

    await d.stop();
    expectCleanEnd(d);
  });

  it('stop() is idempotent and resolves after every thread is joined', async () => {
    const d = await boot();
    const p1 = d.stop();
    const p2 = d.stop();
    expect(p2).toBe(p1);
    expect(d.running).toBe(false);
    await p1;
    expectCleanEnd(d);
    await d.stop();
    expect(() => d.injectFault('accept', 1)).toThrow(DeviceStoppedError);
  });

  it('stops with 10 connections open', async () => {
    const d = await boot({ config: { tickMs: 10 } });
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectLines(d.port)));
    await Promise.all(clients.map(async (c, i) => {
      c.send(`c${i}`);
      expect(await c.next()).toBe(`c${i}`);
    }));
    expect(d.counters().connectionsOpen).toBe(10);
    expect(d.counters().clientsAlive).toBe(10);
    await d.stop();
    expectCleanEnd(d);
    // The device closed them: every client sees its connection end.
    await Promise.all(clients.map((c) => c.closed));
  });

  it('runs two devices in one process independently', async () => {
    const a = await boot();
    const b = await boot({ profile: 'esp32c3' });
    expect(a.port).not.toBe(b.port);
    expect(b.profile.dualCore).toBe(false);
    const ca = await connectLines(a.port);
    const cb = await connectLines(b.port);
    ca.send('to a');
    cb.send('to b');
    expect(await ca.next()).toBe('to a');
    expect(await cb.next()).toBe('to b');
    expect(a.counters().connectionsTotal).toBe(1);
    expect(b.counters().connectionsTotal).toBe(1);

    await a.stop();
    expectCleanEnd(a);
    expect(b.running).toBe(true);
    expect(b.counters().threadsAlive).toBe(2);
    cb.send('still here');
    expect(await cb.next()).toBe('still here');
    await b.stop();
    expectCleanEnd(b);
  });

  it('delivers log lines to JavaScript', async () => {
    const d = await boot();
    const seen: [string, string][] = [];
    d.on('log', (level, line) => seen.push([level, line]));
    expect(await waitFor(() => seen.length > 0)).toBe(true);
    expect(seen).toContainEqual(['info', 'echo firmware ready']);
    expect(d.logs.map((l) => l.line)).toContain('echo firmware ready');
    expect(d.counters().logLines).toBeGreaterThanOrEqual(1);
  });

  it('emits no log event after stop() resolved', async () => {
    // Stop each device at once, while its setup line is still queued in the log bridge.
    for (let i = 0; i < 5; i++) {
      const d = await boot();
      let stopped = false;
      const late: string[] = [];
      d.on('log', (_level, line) => { if (stopped) late.push(line); });
      await d.stop();
      stopped = true;
      await sleep(50);
      expect(late).toEqual([]);
      const c = d.counters();
      // The line was either delivered before stop() resolved or dropped, never lost silently.
      expect(c.logLines + c.logDropped).toBeGreaterThanOrEqual(1);
    }
  });

  it('rejects bad options with typed errors and codes', async () => {
    const cases: [unknown, new (...a: never[]) => Error][] = [
      [{ firmware: 42 }, TwincoreTypeError],
      [{ firmware: '' }, TwincoreRangeError],
      [{ profile: 'esp8266' }, TwincoreRangeError],
      [{ profile: { maxConnections: 0 } }, TwincoreRangeError],
      [{ profile: { maxConnections: 1.5 } }, TwincoreRangeError],
      [{ profile: { mss: 'big' } }, TwincoreTypeError],
      [{ profile: { dualCore: 'yes' } }, TwincoreTypeError],
      [{ profile: { sendWindows: 1 } }, TwincoreTypeError],
      [{ config: { tickMs: {} } }, TwincoreTypeError],
      [{ logCapacity: -1 }, TwincoreRangeError],
      [{ firmwares: 'echo' }, TwincoreTypeError],
      ['echo', TwincoreTypeError],
    ];
    for (const [options, type] of cases) {
      const err = await Device.start(options as never).then(() => null, (e: unknown) => e);
      expect(err, JSON.stringify(options)).toBeInstanceOf(type);
      expect((err as { code: string }).code).toBe('TC_INVALID_OPTION');
      expect(err).toBeInstanceOf(type === TwincoreTypeError ? TypeError : RangeError);
    }
    const unknown = await Device.start({ firmware: 'nope' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(FirmwareUnknownError);
    expect(unknown).toMatchObject({ code: 'TC_FIRMWARE_UNKNOWN' });
    const badConfig = await Device.start({ config: { tickMs: 'often' } }).catch((e: unknown) => e);
    expect(badConfig).toBeInstanceOf(FirmwareConfigError);
    expect(badConfig).toMatchObject({ code: 'TC_FIRMWARE_CONFIG' });

    const d = await boot();
    expect(() => d.injectFault('boom' as never, 1)).toThrow(TwincoreRangeError);
    expect(() => d.injectFault('accept', -1)).toThrow(TwincoreRangeError);
  });

  it('the addon validates every field itself', () => {
    const { NativeDevice, defaultProfile } = loadNative();
    const profile = defaultProfile();
    const make = (options: unknown, onLog: unknown = () => {}) => () =>
      new NativeDevice(options as never, onLog as never);
    const expectCode = (fn: () => unknown, type: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, field: string) => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(type);
      expect((err as Error).message).toContain(field);
      expect((err as { code: string }).code).toBe('TC_INVALID_OPTION');
    };
    expectCode(make(null), TypeError, 'options');
    expectCode(make({ firmware: 'echo', config: {}, profile }, 'not a function'), TypeError, 'onLog');
    expectCode(make({ firmware: 1, config: {}, profile }), TypeError, 'options.firmware');
    expectCode(make({ firmware: 'echo', config: { tickMs: 5 }, profile }), TypeError, 'options.config.tickMs');
    expectCode(make({ firmware: 'echo', config: {}, profile: 'esp32' }), TypeError, 'options.profile');
    for (const field of Object.keys(profile)) {
      const wrongType = field === 'name' ? 7 : field === 'dualCore' ? 1 : 'x';
      expectCode(make({ firmware: 'echo', config: {}, profile: { ...profile, [field]: wrongType } }), TypeError, `options.profile.${field}`);
      expectCode(make({ firmware: 'echo', config: {}, profile: { ...profile, [field]: undefined } }), TypeError, `options.profile.${field}`);
    }
    for (const [field, bad] of [['maxConnections', 0], ['sendWindow', 0], ['mss', 10], ['pollIntervalMs', 0],
      ['hostPort', 70000], ['heapBytes', -1], ['ackTimeoutMs', 0.5], ['recvWindow', Number.NaN], ['name', '']] as const) {
      expectCode(make({ firmware: 'echo', config: {}, profile: { ...profile, [field]: bad } }), RangeError, `options.profile.${field}`);
    }
    let err: unknown;
    try {
      new NativeDevice({ firmware: 'nope', config: {}, profile }, () => {});
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'TC_FIRMWARE_UNKNOWN' });
  });

  it('a failed construction leaves no hook or log bridge behind', async () => {
    // Regression: a constructor that threw after registering its cleanup hook left the hook on
    // freed memory; the next device at the same address aborted Node.
    const { NativeDevice, defaultProfile } = loadNative();
    for (let i = 0; i < 20; i++) {
      expect(() => new NativeDevice({ firmware: 'echo', config: { tickMs: 'x' }, profile: defaultProfile() }, () => {}))
        .toThrow(expect.objectContaining({ code: 'TC_FIRMWARE_CONFIG' }));
      const d = new NativeDevice({ firmware: 'echo', config: {}, profile: defaultProfile() }, () => {});
      await d.stop();
    }
  });

  it('a process that exits with a running device and open connections exits cleanly', async () => {
    const fixture = path.join(here, 'fixtures', 'exit-running.mjs');
    for (const mode of ['natural', 'exit', 'stop-exit', 'gc', 'worker']) {
      const started = Date.now();
      const r = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--expose-gc', fixture, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
        child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, out });
        });
      });
      expect({ mode, code: r.code, signal: r.signal }, r.out).toEqual({ mode, code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5000);
      if (mode === 'gc' || mode === 'worker') expect(JSON.parse(r.out)).toMatchObject({ closed: true });
    }
  });
});
