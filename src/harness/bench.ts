// runBroadcastBench(): one broadcast workload (N clients, M messages of S bytes at R messages/s)
// against (a) the twin running the reference firmware in this process (its loop task calls
// textAll) and (b) a `ws` WebSocketServer in this process running the same loop (the firmware's
// schedule: message k due at (k-1)*1000/R ms, at most 32 per 1 ms tick, each sent to every open
// client). Then memory: the core's heap per connected idle client (the firmware's /stats heapHeld,
// twincore::heap accounting, delta over K idle clients / K) against ws's per-connection growth
// (process.memoryUsage().heapUsed delta / K after a GC; the clients' own share, measured while they
// were connected to the twin, is reported and subtracted).
//
// Not a test: figures vary with the machine. Everything is bounded (timeoutMs per phase); all on
// 127.0.0.1; the devices and servers are stopped before it returns.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import WebSocket, { WebSocketServer } from 'ws';

import { LOOPBACK_HOST, PROFILES, loopbackUrls } from '../defaults.js';
import { Device } from '../device.js';
import { checkInt } from '../options.js';
import { sleep, within } from '../time.js';
import { fetchStats } from './stats-client.js';

export interface BroadcastBenchOptions {
  /** Connected clients during the broadcast (default 8). */
  clients?: number;
  /** Broadcast messages (default 3000). */
  messages?: number;
  /** Bytes per message (default 256; the firmware's range 52..65536). */
  size?: number;
  /** Messages per second (default 1000: the reference firmware's maximum). */
  rate?: number;
  /** Idle clients for the memory figure (default 64). */
  idleClients?: number;
  /** Bound of each phase (default 20 s). */
  timeoutMs?: number;
}

export interface BroadcastSide {
  /** From the first send to the last message received by any client. */
  elapsedMs: number;
  /** Telemetry messages received, all clients together / expected (clients x messages). */
  delivered: number;
  expected: number;
  /** Broadcast messages per second: delivered / clients / elapsed. */
  msgsPerSec: number;
  /** Messages received per second, all clients together. */
  deliveriesPerSec: number;
  /** Process CPU (all threads: server, device threads, the clients) per delivered message. */
  cpuUsPerDelivery: number;
}

export interface BroadcastBenchResult {
  workload: { clients: number; messages: number; size: number; rate: number; idleClients: number };
  twin: BroadcastSide & {
    /** Messages the server dropped on full queues (/stats dropped). */
    dropped: number;
    /** twincore::heap bytes per connected idle WebSocket client. */
    heapPerIdleClient: number;
  };
  ws: BroadcastSide & {
    /** V8 heap growth per connection, server and client objects together. */
    heapPerConnectionRaw: number;
    /** The same minus the client objects' share (measured against the twin): the server's. */
    heapPerConnection: number;
  };
  /** twin / ws. msgsPerSec near 1 means both kept the requested rate. */
  ratio: { msgsPerSec: number; cpuPerDelivery: number; heapPerClient: number };
  /** The clients' own V8 heap per connection (the share subtracted from ws's). */
  clientHeapPerConnection: number;
}

const TM_HEAD = '{"t":"tm","seq":';

function telemetry(seq: number, ts: number, size: number): string {
  const head = `${TM_HEAD}${seq},"ts":${ts},"pad":"`;
  return head + 'x'.repeat(Math.max(0, size - head.length - 2)) + '"}';
}

let gcFn: (() => void) | undefined;
function gc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

async function heapUsed(): Promise<number> {
  await sleep(20);
  gc();
  return process.memoryUsage().heapUsed;
}

/** N counting clients; `finished` resolves when each got `expect` telemetry messages. */
class Counters {
  readonly sockets: WebSocket[] = [];
  received = 0;
  lastAt = 0;
  #perClient: number[] = [];
  #expect = Infinity;
  #done: (() => void) | undefined;

  async connect(url: string, n: number, timeoutMs: number): Promise<void> {
    const opened: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const k = this.sockets.push(ws) - 1;
      this.#perClient[k] = 0;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary || data.length < TM_HEAD.length || data.toString('latin1', 0, TM_HEAD.length) !== TM_HEAD) return;
        this.received++;
        this.lastAt = performance.now();
        if (++this.#perClient[k]! >= this.#expect && this.#perClient.every((c) => c >= this.#expect)) this.#done?.();
      });
      ws.on('error', () => {});
      opened.push(once(ws, 'open'));
    }
    await Promise.all(opened);
  }

  /** Resolves when every client received `expect` messages, or after timeoutMs / quietMs of silence. */
  async finished(expect: number, timeoutMs: number, quietMs: number, sendingDone: () => boolean): Promise<void> {
    this.#expect = expect;
    const all = new Promise<void>((r) => { this.#done = r; });
    if (this.#perClient.every((c) => c >= expect)) return;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if ((await within(50, all)) !== 'timeout') return;
      const now = performance.now();
      if (now > deadline) return;
      if (sendingDone() && this.lastAt && now - this.lastAt > quietMs) return;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map(async (ws) => {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = once(ws, 'close');
      ws.close(1000);
      await within(2000, closed);
      ws.terminate();
    }));
  }
}

function side(elapsedMs: number, delivered: number, clients: number, messages: number, cpuUs: number): BroadcastSide {
  const s = elapsedMs / 1000;
  return {
    elapsedMs: Math.round(elapsedMs),
    delivered,
    expected: clients * messages,
    msgsPerSec: s > 0 ? delivered / clients / s : 0,
    deliveriesPerSec: s > 0 ? delivered / s : 0,
    cpuUsPerDelivery: delivered > 0 ? cpuUs / delivered : 0,
  };
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * The device's heap in use once it has stopped changing: two /stats readings a poll interval
 * apart (600 ms > the 500 ms onPoll) that agree. NaN when /stats does not answer in time.
 */
async function settledHeap(statsUrl: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = (await fetchStats(statsUrl, 3000))?.heapHeld ?? NaN;
  while (Date.now() < deadline) {
    await sleep(600);
    const now = (await fetchStats(statsUrl, 3000))?.heapHeld ?? NaN;
    if (now === last) return now;
    last = now;
  }
  return NaN;
}

export async function runBroadcastBench(options: BroadcastBenchOptions = {}): Promise<BroadcastBenchResult> {
  const clients = checkInt(options.clients ?? 8, 'clients', 1, 200);
  const messages = checkInt(options.messages ?? 3000, 'messages', 1, 10_000_000);
  const size = checkInt(options.size ?? 256, 'size', 52, 64 * 1024);
  const rate = checkInt(options.rate ?? 1000, 'rate', 1, 1000);
  const idleClients = checkInt(options.idleClients ?? 64, 'idleClients', 1, 1000);
  const timeoutMs = checkInt(options.timeoutMs ?? 20_000, 'timeoutMs', 100, 600_000);
  const quietMs = 500;
  const most = Math.max(clients, idleClients);

  // (a) The twin.
  const device = await Device.start({
    firmware: 'reference',
    profile: { ...PROFILES.esp32!, maxConnections: most + 8 },
    config: { maxClients: most + 2 },
  });
  let twin: BroadcastBenchResult['twin'];
  let clientHeapPerConnection = 0;
  const { statsUrl, wsUrl } = loopbackUrls(device.port);
  try {
    // Memory: K idle clients, after a warm-up round (first use of the client code allocates
    // more than a connection's share). One anchor client stays connected throughout: its onPoll
    // (every 500 ms) is a network callback of the WebSocket server, which frees closed clients
    // waiting in the server's graveyard, so neither reading counts a client that is gone but not
    // yet freed.
    const anchor = new Counters();
    await anchor.connect(wsUrl, 1, timeoutMs);
    const warm = new Counters();
    await warm.connect(wsUrl, idleClients, timeoutMs);
    await warm.close();
    await waitFor(async () => (await fetchStats(statsUrl, 3000))?.clients === 1, timeoutMs);
    const base = await settledHeap(statsUrl, timeoutMs);
    const jsBefore = await heapUsed();
    const idle = new Counters();
    await idle.connect(wsUrl, idleClients, timeoutMs);
    await waitFor(async () => (await fetchStats(statsUrl, 3000))?.connected === idleClients + 1, timeoutMs);
    const withIdle = await settledHeap(statsUrl, timeoutMs);
    clientHeapPerConnection = Math.max(0, (await heapUsed()) - jsBefore) / idleClients;
    const heapPerIdleClient = (withIdle - base) / idleClients;
    await idle.close();
    await anchor.close();
    await waitFor(async () => (await fetchStats(statsUrl, 3000))?.clients === 0, timeoutMs);

    // Throughput.
    const c = new Counters();
    await c.connect(wsUrl, clients, timeoutMs);
    const control = c.sockets[0]!;
    let done = false;
    control.on('message', (data: Buffer) => { if (data.toString('latin1', 0, 12) === '{"t":"done",') done = true; });
    const cpu0 = cpuNow();
    const t0 = performance.now();
    control.send(JSON.stringify({ cmd: 'start', rate, size, count: messages }));
    await c.finished(messages, timeoutMs, quietMs, () => done);
    const cpuUs = cpuNow() - cpu0;
    const elapsed = (c.lastAt || performance.now()) - t0;
    const final = await fetchStats(statsUrl, 3000);
    await c.close();
    twin = { ...side(elapsed, c.received, clients, messages, cpuUs), dropped: final?.dropped ?? NaN, heapPerIdleClient };
  } finally {
    await device.stop();
  }

  // (b) ws in this process.
  const wss = new WebSocketServer({ host: LOOPBACK_HOST, port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const url = loopbackUrls((wss.address() as AddressInfo).port).wsUrl;
  let wsSide: BroadcastBenchResult['ws'];
  try {
    const warm = new Counters();
    await warm.connect(url, idleClients, timeoutMs);
    await waitFor(() => wss.clients.size === idleClients, timeoutMs);
    await warm.close();
    await waitFor(() => wss.clients.size === 0, timeoutMs);
    const before = await heapUsed();
    const idle = new Counters();
    await idle.connect(url, idleClients, timeoutMs);
    await waitFor(() => wss.clients.size === idleClients, timeoutMs);
    const heapPerConnectionRaw = Math.max(0, (await heapUsed()) - before) / idleClients;
    await idle.close();
    await waitFor(() => wss.clients.size === 0, timeoutMs);

    const c = new Counters();
    await c.connect(url, clients, timeoutMs);
    await waitFor(() => wss.clients.size === clients, timeoutMs);
    let seq = 0;
    const cpu0 = cpuNow();
    const t0 = performance.now();
    // The firmware's loop: message k due at (k-1)*1000/rate ms; at most 32 per tick; 1 ms ticks.
    const loop = (): void => {
      const elapsed = performance.now() - t0;
      const due = Math.min(messages, Math.floor((elapsed * rate) / 1000) + 1);
      for (let burst = 0; seq < due && burst < 32; burst++) {
        const msg = telemetry(++seq, Math.round(elapsed), size);
        for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(msg);
      }
      if (seq < messages && performance.now() - t0 < timeoutMs) setTimeout(loop, 1);
    };
    loop();
    await c.finished(messages, timeoutMs, quietMs, () => seq >= messages);
    const cpuUs = cpuNow() - cpu0;
    const elapsed = (c.lastAt || performance.now()) - t0;
    await c.close();
    wsSide = {
      ...side(elapsed, c.received, clients, messages, cpuUs),
      heapPerConnectionRaw,
      heapPerConnection: Math.max(0, heapPerConnectionRaw - clientHeapPerConnection),
    };
  } finally {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  }

  const ratio = (a: number, b: number): number => (b > 0 && Number.isFinite(a) ? a / b : NaN);
  return {
    workload: { clients, messages, size, rate, idleClients },
    twin,
    ws: wsSide,
    ratio: {
      msgsPerSec: ratio(twin.msgsPerSec, wsSide.msgsPerSec),
      cpuPerDelivery: ratio(twin.cpuUsPerDelivery, wsSide.cpuUsPerDelivery),
      heapPerClient: ratio(twin.heapPerIdleClient, wsSide.heapPerConnection),
    },
    clientHeapPerConnection,
  };
}
