// Memory under overload (issue 11): 1000 WebSocket clients on the reference firmware's unpaced
// broadcast, half of them never reading (their kernel buffers fill, then the twin's send windows,
// then the core's queues), half reading. The device process's RSS and its heap (the twin's
// accounting of every firmware and core allocation) must stay within the design bound (per
// client: two pending stages within the 5760 B send window, a bounded queue of shared frames)
// and stop growing once the windows are full. Before the bounded pending buffers, RSS grew by
// about 200 MB/s in this situation until the machine ran out.
import { readFileSync } from 'node:fs';
import net from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { ProcessDevice } from '../src/process-device.js';

const CLIENTS = 1000;
const SAMPLE_MS = 200;
const RUN_MS = 6000;

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** A raw WebSocket client: sends the upgrade, resolves once the 101 arrived; `read` false stops
 *  reading after that (a client whose receive buffer fills). */
function rawClient(port: number, read: boolean, sockets: net.Socket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    let head = '';
    const timer = setTimeout(() => reject(new Error('upgrade timed out')), 20_000);
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('connect', () => {
      s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      if (!head.startsWith('HTTP/1.1 101')) {
        reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return;
      }
      if (!read) {
        s.off('data', onData);
        s.pause();
      } else {
        s.off('data', onData);
        s.on('data', () => {});
      }
      resolve();
    };
    s.on('data', onData);
  });
}

describe('memory under overload', () => {
  let device: ProcessDevice | undefined;
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await device?.stop();
    device = undefined;
  });

  it(`${CLIENTS} clients, unpaced broadcast, half not reading: RSS and heap stay within the design bound`, async () => {
    device = await ProcessDevice.start({
      sanitizer: 'plain', firmware: 'reference', maxSeconds: 120,
      profile: { maxConnections: CLIENTS + 20 }, config: { maxClients: CLIENTS + 10 },
    });
    const pid = device.pid!;
    const baseKiB = rssKiB(pid);
    for (let i = 0; i < CLIENTS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, (_, k) => rawClient(device!.port, (i + k) % 2 === 0, sockets)));
    }
    const control = new WebSocket(device.url);
    await new Promise<void>((resolve, reject) => {
      control.once('open', () => resolve());
      control.once('error', reject);
    });
    const started = new Promise<string>((resolve) => control.on('message', (m: Buffer) => {
      const t = m.toString();
      if (t.includes('"started"')) resolve(t);
    }));
    control.send(JSON.stringify({ cmd: 'start', unpaced: true, size: 64 }));
    expect(await started).toContain('"unpaced":true');

    const samples: number[] = [];
    const heaps: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < RUN_MS) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      samples.push(rssKiB(pid));
      heaps.push((await device.readCounters()).heapUsed);
    }
    control.send(JSON.stringify({ cmd: 'stop' }));
    control.close();

    const perClient = (kib: number) => ((kib - baseKiB) * 1024) / CLIENTS;
    const cut = Math.floor((samples.length * 2) / 3);
    const early = Math.max(...samples.slice(0, cut));
    const late = Math.max(...samples.slice(cut));
    const heapPeak = Math.max(...heaps);
    console.log(`overload: RSS base ${baseKiB} KiB, peak ${Math.max(early, late)} KiB (${Math.round(perClient(Math.max(early, late)))} B/client), ` +
      `early ${early} KiB, late ${late} KiB; device heap peak ${heapPeak} B (${Math.round(heapPeak / CLIENTS)} B/client)`);
    // The design bound per client: two stages within the 5760 B window (11.5 KiB) plus the core's
    // client state and queue of shared frames (a few KiB); 32 KiB leaves room for allocator slack.
    expect(perClient(Math.max(early, late))).toBeLessThan(32 * 1024);
    expect(heapPeak / CLIENTS).toBeLessThan(16 * 1024);
    // Flat once the windows are full: no new peak more than 10% above the first two thirds'.
    expect(late).toBeLessThanOrEqual(early * 1.1);
    const c = await device.readCounters();
    expect(c.clientsAlive).toBeGreaterThanOrEqual(CLIENTS);
  }, 90_000);
});
