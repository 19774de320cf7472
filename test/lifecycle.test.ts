// Lifecycle under load, from TypeScript (issue "Lifecycle under load"): Device.stop() with
// connections open, a broadcast running and log events on their way to JS; native threads counted
// from /proc; stop twice; many start/stop cycles; Ctrl-C on `twincore serve`. The native side
// (end()/restart/fault paths of the core) is native/test/ws_lifecycle_test.cpp.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { Device } from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The device's OS threads in this process (Linux), found by the names the twin gives them: the
 * board's FreeRTOS task names "async_tcp" and "loopTask". Counting by name, not the whole of
 * /proc/self/task, keeps Node's own lazily started threads out of the count.
 */
function deviceThreads(): number {
  let n = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue; // the thread ended while we listed
    }
    if (comm === 'async_tcp' || comm === 'loopTask') n++;
  }
  return n;
}

/**
 * After stop() has joined its threads: pthread_join returns when the kernel clears the thread's
 * tid, a moment before the task leaves /proc, so wait (bounded) for the count to reach zero.
 */
async function expectNoDeviceThreads(): Promise<void> {
  const end = Date.now() + 1000;
  while (deviceThreads() !== 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(deviceThreads()).toBe(0);
}


async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens n clients that count telemetry; resolves once all are open. */
async function openClients(url: string, n: number): Promise<{ sockets: WebSocket[]; received: number[] }> {
  const sockets: WebSocket[] = [];
  const received = new Array<number>(n).fill(0);
  await Promise.all(
    Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url);
      sockets.push(ws);
      ws.on('message', () => { received[i]++; });
      ws.on('error', () => {}); // the device closing under us is the point
      ws.once('open', () => resolve());
      ws.once('unexpected-response', () => reject(new Error('upgrade refused')));
    })),
  );
  return { sockets, received };
}

describe('Device.stop() under load', () => {
  it('resolves with connections open, a broadcast running and log lines in flight; joins its threads; no callback afterwards', async () => {
    expect(deviceThreads()).toBe(0);
    const device = await Device.start({
      firmware: 'reference',
      config: { logEvents: 'true', maxClients: '16', rate: '500', size: '256' },
    });
    let logsAfterStop = 0;
    let stopped = false;
    let logLines = 0;
    device.on('log', () => {
      logLines++;
      if (stopped) logsAfterStop++;
    });
    expect(deviceThreads()).toBe(2); // async_tcp + loopTask
    expect(device.counters().threadsAlive).toBe(2);

    const { sockets, received } = await openClients(device.url, 12);
    // Clients keep connecting and leaving (each a log line) while telemetry flows at 500 Hz.
    let churn = true;
    const churner = (async () => {
      for (let i = 0; i < 200 && churn; i++) {
        const ws = new WebSocket(device.url);
        ws.on('error', () => {});
        await new Promise<void>((r) => { ws.once('open', () => { ws.close(); r(); }); ws.once('error', () => r()); ws.once('close', () => r()); });
      }
    })();
    await waitFor(() => received.every((n) => n >= 20), 5000, 'telemetry on every client');
    await waitFor(() => logLines >= 10, 5000, 'log lines from the firmware');

    const closedByDevice = sockets.map((ws) => new Promise<void>((r) => (ws.readyState === WebSocket.CLOSED ? r() : ws.once('close', () => r()))));
    const t0 = Date.now();
    await device.stop();
    const stopMs = Date.now() - t0;
    stopped = true;
    churn = false;
    await churner;

    const c = device.counters();
    expect(c.threadsAlive).toBe(0);
    expect(c.connectionsOpen).toBe(0);
    expect(c.clientsAlive).toBe(0);
    expect(c.heapUsed).toBe(0); // every byte the core took from the twin heap is back
    expect(c.serversListening).toBe(0);
    await expectNoDeviceThreads();
    await Promise.all(closedByDevice);
    await device.stop(); // twice is fine
    await new Promise((r) => setTimeout(r, 200));
    expect(logsAfterStop).toBe(0);
    console.log(`[lifecycle] stop under load: ${stopMs} ms, ${logLines} log lines, device threads 2 -> ${deviceThreads()}`);
  }, 30_000);

  it('survives 20 start/stop cycles with clients connected, leaving no device thread behind each time', async () => {
    let port = 0;
    for (let i = 0; i < 20; i++) {
      // The same host port every cycle once the first picked one: stop() leaves nothing bound.
      const device = await Device.start({ firmware: 'reference', profile: { hostPort: port }, config: { rate: '200', size: '128' } });
      port = device.port;
      const { sockets } = await openClients(device.url, 4);
      await device.stop();
      const c = device.counters();
      expect(c.threadsAlive + c.connectionsOpen + c.clientsAlive + c.heapUsed).toBe(0);
      await expectNoDeviceThreads();
      for (const ws of sockets) ws.terminate();
    }
  }, 60_000);
});

describe('twincore serve', () => {
  it('shuts down cleanly within two seconds of Ctrl-C, with clients connected, and exits 0', async () => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'serve', '--port', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      child.on('exit', (code, signal) => r({ code, signal })));
    try {
      await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\//.test(out), 10_000, 'the serve URL');
      const port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)![1]);
      expect((await fetch(`http://127.0.0.1:${port}/stats`)).status).toBe(200);
      const { sockets } = await openClients(`ws://127.0.0.1:${port}/ws`, 3);
      sockets[0].send(JSON.stringify({ cmd: 'start', rate: 200, size: 128 }));
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      child.kill('SIGINT');
      const { code, signal } = await exited;
      const ms = Date.now() - t0;
      expect(signal, out).toBeNull();
      expect(code, out).toBe(0);
      expect(ms).toBeLessThan(2000);
      console.log(`[lifecycle] serve: Ctrl-C to exit in ${ms} ms`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
