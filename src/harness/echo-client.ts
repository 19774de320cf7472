// One client session against the `echo` firmware (firmware/EchoFirmware.h): connect, send lines
// and check each comes back once, in order, then end the session one of four ways:
//   graceful         the client sends FIN (socket.end()); the device must close too
//   reset            the client aborts with RST (socket.resetAndDestroy())
//   quit             "quit" -> "bye", then the device closes the connection
//   close-from-loop  the device's loop task closes the connection
// Ticks ("tick N", written by the loop task) may arrive between replies: they must be
// increasing on each connection. Every wait is bounded by opTimeoutMs.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

import { LOOPBACK_HOST } from '../defaults.js';
import { within } from '../time.js';

export type Ending = 'graceful' | 'reset' | 'quit' | 'close-from-loop';
export const ENDINGS: readonly Ending[] = ['graceful', 'reset', 'quit', 'close-from-loop'];

export interface EchoSessionSpec {
  port: number;
  id: string;
  /** The lines to send, without '\n'. */
  lines: string[];
  ending: Ending;
  opTimeoutMs: number;
  /** Live sockets, so the run can destroy stragglers. */
  sockets: Set<net.Socket>;
  /** Asked when nothing at all came back within opTimeoutMs of the first line: true while the
   *  device is at its connection limit, so the connection is still waiting in the listen backlog
   *  for a free slot (as on a board: lwIP has no pcb for it), which is not a lost echo. */
  slotBusy?: () => Promise<boolean>;
  /** Date.now() until which a session may wait for a slot (default: opTimeoutMs, no more). */
  waitUntil?: number;
  /** Stops a slot wait early (the run was interrupted). */
  halted?: () => boolean;
  /** Echo round trips (ms), measured per line. */
  onEcho?: (ms: number) => void;
  /** Pause between a line's echo and the next line (default 0): holds the session open longer. */
  lineIntervalMs?: number;
}

export interface EchoSessionResult {
  connected: boolean;
  /** Why the connection failed (connected false): refused, reset, timeout, or another error code. */
  connectError?: string;
  /** TCP connect time (ms). */
  connectMs?: number;
  /** Connect to the device's first byte (ms): the wait for an accepted slot, if any. */
  firstByteMs?: number;
  /** The device was full and the session waited for a slot longer than opTimeoutMs. */
  waitedForSlot: boolean;
  /** It waited until waitUntil and was never served: not a fault of the firmware. */
  gaveUpWaiting: boolean;
  linesSent: number;
  linesEchoed: number;
  ticks: number;
  bytesSent: number;
  bytesReceived: number;
  /** Invariant violations (the oracle's input). */
  violations: string[];
}

const TICK = /^tick (\d+)$/;

class LineSocket {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #buf = '';
  #lines: string[] = [];
  #waiter: (() => void) | undefined;
  #isClosed = false;
  lastTick = 0;
  ticks = 0;
  bytesReceived = 0;
  error: Error | undefined;
  tickViolation: string | undefined;
  /** performance.now() of the first byte from the device. */
  firstByteAt: number | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.firstByteAt ??= performance.now();
      this.bytesReceived += Buffer.byteLength(chunk);
      this.#buf += chunk;
      let nl: number;
      while ((nl = this.#buf.indexOf('\n')) >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        const tick = TICK.exec(line);
        if (tick) {
          const n = Number(tick[1]);
          if (n <= this.lastTick && !this.tickViolation) {
            this.tickViolation = `tick ${n} after tick ${this.lastTick}`;
          }
          this.lastTick = n;
          this.ticks++;
        } else {
          this.#lines.push(line);
        }
      }
      this.#wake();
    });
    socket.on('error', (e) => {
      this.error ??= e;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#isClosed = true;
        this.#wake();
        resolve();
      });
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** The next non-tick line; null if the connection closed first or the time ran out. */
  async next(timeoutMs: number): Promise<{ line: string } | { closed: true } | { timeout: true }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return { line };
      if (this.#isClosed) return { closed: true };
      const left = deadline - Date.now();
      if (left <= 0) return { timeout: true };
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** True if the peer closed the connection within timeoutMs. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    return (await within(timeoutMs, this.closed)) !== 'timeout';
  }

  /** Lines received but never consumed. */
  get unread(): string[] {
    return this.#lines;
  }
}

function connect(port: number, timeoutMs: number): Promise<net.Socket | Error> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: LOOPBACK_HOST });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(new Error(`connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(e);
    });
  });
}

export async function runEchoSession(spec: EchoSessionSpec): Promise<EchoSessionResult> {
  const result: EchoSessionResult = {
    connected: false, waitedForSlot: false, gaveUpWaiting: false, linesSent: 0, linesEchoed: 0, ticks: 0, bytesSent: 0, bytesReceived: 0, violations: [],
  };
  const fail = (what: string): void => {
    result.violations.push(`${spec.id} (${spec.ending}): ${what}`);
  };
  const t0 = performance.now();
  const s = await connect(spec.port, spec.opTimeoutMs);
  if (s instanceof Error) {
    // A refused or timed-out connect is reported by the run as such, not as a lost echo.
    const code = (s as NodeJS.ErrnoException).code;
    result.connectError = code === 'ECONNREFUSED' ? 'refused' : code === 'ECONNRESET' ? 'reset' : /timed out/.test(s.message) ? 'timeout' : code ?? 'error';
    return result;
  }
  result.connected = true;
  const connectedAt = performance.now();
  result.connectMs = connectedAt - t0;
  spec.sockets.add(s);
  const ls = new LineSocket(s);
  const send = (text: string): void => {
    s.write(text);
    result.bytesSent += Buffer.byteLength(text);
  };
  try {
    for (const line of spec.lines) {
      send(`${line}\n`);
      result.linesSent++;
      const sentAt = performance.now();
      let got = await ls.next(spec.opTimeoutMs);
      // Nothing at all from the device yet: is the connection waiting for a free slot?
      while ('timeout' in got && ls.bytesReceived === 0 && spec.slotBusy) {
        if (!(await spec.slotBusy())) {
          // A slot is free now: one more op timeout to be accepted and answered.
          got = await ls.next(spec.opTimeoutMs);
          break;
        }
        result.waitedForSlot = true;
        if (spec.halted?.() || Date.now() >= (spec.waitUntil ?? 0)) {
          result.gaveUpWaiting = true;
          return result;
        }
        got = await ls.next(Math.max(1, Math.min((spec.waitUntil ?? 0) - Date.now(), spec.opTimeoutMs)));
      }
      if ('line' in got) {
        // The first line of a session that waited for a slot measured the wait, not the echo.
        if (!(result.waitedForSlot && result.linesSent === 1)) spec.onEcho?.(performance.now() - sentAt);
        if (got.line !== line) {
          fail(`echo mismatch: sent ${JSON.stringify(line)}, got ${JSON.stringify(got.line)}`);
          return result;
        }
        result.linesEchoed++;
        if (spec.lineIntervalMs && result.linesSent < spec.lines.length && !spec.halted?.()) {
          await new Promise((r) => setTimeout(r, spec.lineIntervalMs));
        }
      } else {
        fail('closed' in got ? `connection closed before the echo of line ${result.linesSent}`
          : `no echo within ${spec.opTimeoutMs} ms${ls.bytesReceived === 0 ? ' (nothing ever came back on this connection, and the device had a free slot)' : ''}`);
        return result;
      }
    }
    switch (spec.ending) {
      case 'reset':
        s.resetAndDestroy();
        break;
      case 'graceful':
        s.end();
        if (!(await ls.waitClosed(spec.opTimeoutMs))) fail(`device did not close within ${spec.opTimeoutMs} ms after FIN`);
        break;
      case 'quit': {
        send('quit\n');
        const got = await ls.next(spec.opTimeoutMs);
        if (!('line' in got) || got.line !== 'bye') {
          fail(`expected "bye", got ${'line' in got ? JSON.stringify(got.line) : 'closed' in got ? 'a close' : 'nothing'}`);
          break;
        }
        if (!(await ls.waitClosed(spec.opTimeoutMs))) fail(`device did not close within ${spec.opTimeoutMs} ms after quit`);
        break;
      }
      case 'close-from-loop':
        send('close-from-loop\n');
        if (!(await ls.waitClosed(spec.opTimeoutMs))) fail(`loop task did not close within ${spec.opTimeoutMs} ms`);
        else if (ls.unread.length) fail(`unexpected reply ${JSON.stringify(ls.unread[0])} to close-from-loop`);
        break;
    }
    if (ls.tickViolation) fail(ls.tickViolation);
    // A reset by the device is not part of any ending (the device closes gracefully).
    if (ls.error && spec.ending !== 'reset') fail(`socket error ${(ls.error as NodeJS.ErrnoException).code ?? ls.error.message}`);
    return result;
  } finally {
    if (ls.firstByteAt !== undefined) result.firstByteMs = ls.firstByteAt - connectedAt;
    result.ticks = ls.ticks;
    result.bytesReceived = ls.bytesReceived;
    if (!s.destroyed) s.destroy();
    spec.sockets.delete(s);
  }
}
