// Raw TCP churn against any firmware: connections opened in parallel on 127.0.0.1, each sends a few
// lines (from `lines`, in a seeded order), reads whatever comes back, and ends one of three ways:
// a graceful close, a reset (RST), or the firmware closing first. No protocol knowledge: this is the
// load that shakes out client-lifetime races in firmware written directly on AsyncTCP (and the
// bug-pattern fixtures of test/fixtures/firmware). Bounded by count and time; stops early when
// `until()` says so (a device that died).
import net from 'node:net';

import { LOOPBACK_HOST } from '../defaults.js';
import { createRng, randInt } from './rng.js';

export interface TcpChurnOptions {
  port: number;
  /** Connections open at once. */
  parallel?: number;
  durationMs?: number;
  maxConnections?: number;
  /** Lines a session may send (each ends with \n); a session sends 1..3 of them. */
  lines?: string[];
  seed?: number;
  /** Checked before each session: true ends the churn. */
  until?: () => boolean;
}

export interface TcpChurnResult {
  sessions: number;
  graceful: number;
  resets: number;
  closedByDevice: number;
  connectErrors: number;
  bytesIn: number;
  ms: number;
}

export async function runTcpChurn(opts: TcpChurnOptions): Promise<TcpChurnResult> {
  const parallel = opts.parallel ?? 8;
  const durationMs = opts.durationMs ?? 5000;
  const maxConnections = opts.maxConnections ?? 100_000;
  const lines = opts.lines?.length ? opts.lines : ['hello'];
  const rng = createRng(opts.seed ?? 1);
  const int = (n: number) => randInt(rng, 0, n - 1);
  const started = Date.now();
  const r: TcpChurnResult = { sessions: 0, graceful: 0, resets: 0, closedByDevice: 0, connectErrors: 0, bytesIn: 0, ms: 0 };
  const done = () => Date.now() - started >= durationMs || r.sessions >= maxConnections || (opts.until?.() ?? false);

  const session = () => new Promise<void>((resolve) => {
    r.sessions++;
    const n = 1 + int(3);
    const ending = int(3); // 0 graceful, 1 reset, 2 wait for the device (bounded)
    const sock = net.connect({ host: LOOPBACK_HOST, port: opts.port });
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve();
    };
    const timer = setTimeout(() => {
      r.resets++;
      sock.resetAndDestroy();
      finish();
    }, 2000);
    sock.setNoDelay(true);
    sock.on('data', (d) => { r.bytesIn += d.length; });
    sock.on('error', () => {
      if (!settled && sock.connecting) r.connectErrors++;
      finish();
    });
    sock.on('close', () => {
      if (!settled && ending === 2) r.closedByDevice++;
      finish();
    });
    sock.on('connect', () => {
      for (let i = 0; i < n; i++) sock.write(`${lines[int(lines.length)]}\n`);
      const after = 5 + int(40);
      setTimeout(() => {
        if (settled) return;
        if (ending === 0) {
          r.graceful++;
          sock.end();
        } else if (ending === 1) {
          r.resets++;
          sock.resetAndDestroy();
          finish();
        }
      }, after);
    });
  });

  const worker = async () => {
    while (!done()) await session();
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  r.ms = Date.now() - started;
  return r;
}
