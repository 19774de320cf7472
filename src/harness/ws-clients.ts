// WebSocket clients of the reference firmware (firmware/ReferenceFirmware.h), built on `ws`.
//
// A WsSession is one connection: it records what arrived (telemetry seqs, echo replies, the seq
// the server reported when it joined) into a SessionTrace for the oracle, and its timings (TCP
// connect, upgrade, broadcast latency, echo round trips) into the run's metrics. runClient()
// plays one scenario client (a ClientPlan): a loop of sessions shaped by its behaviour, from its
// join time to its leave time (or the end). runArrival() plays one churn arrival. Every loop is
// bounded in count (maxSessionsPerClient) and time (the deadline); every wait by opTimeoutMs.
// URLs come from the target: 127.0.0.1 for local targets, the user's URL for a board.
//
// Telemetry of several broadcast runs (a scenario whose stages change the rate) is told apart by
// its device timestamp (ctx.epochOf(ts)); a message's key in the trace is epoch * EPOCH_SPAN + seq,
// so one run's trace is exactly the seqs (epoch 0) and the oracle splits the rest by epoch.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

import WebSocket from 'ws';

import { sleep, within } from '../time.js';
import type { Histogram, ClockSync, TimelineRecorder } from './metrics.js';
import type { SessionEnd, SessionTrace } from './oracle.js';
import { EPOCH_SPAN, SeqRecorder } from './oracle.js';
import { createRng, randInt, type Rng } from './rng.js';
import type { Behaviour, ClientPlan, Range } from './scenario.js';

/** Why a session could not open. */
export type ConnectFailure = 'refused' | 'rejected' | 'timeout' | 'reset' | 'error';

export interface RunMetrics {
  clock: ClockSync;
  latency: Histogram;
  echo: Histogram;
  connect: Histogram;
  handshake: Histogram;
  timeline: TimelineRecorder;
}

export interface ClientContext {
  wsUrl: string;
  opTimeoutMs: number;
  broadcastSize: number;
  maxRanges: number;
  reconnectDelayMs: number;
  maxSessionsPerClient: number;
  /** Date.now() after which no session starts and behaviours wind down. */
  deadline: number;
  /** Date.now() when the client phase began (plans' times are relative to it). */
  runStart: number;
  /** True once the run is over early (abort) or the device died. */
  halted(): boolean;
  /** Every session, once created (the run keeps them for faults, the drain and the oracle). */
  register(s: WsSession): void;
  /** The broadcast run a telemetry message belongs to, by its device timestamp. */
  epochOf(ts: number): number;
  /** The broadcast run a `stats` reply's `broadcast.runs` counter refers to. */
  epochOfRuns(runs: number): number;
  counters: {
    connectFailures: number; bytesReceived: number; telemetry: number; echoesSent: number;
    failures: Record<ConnectFailure, number>;
  };
  metrics: RunMetrics;
}

const TM_RE = /^\{"t":"tm","seq":(\d+),"ts":(\d+),"pad":"x*"\}$/;

function pick(rng: Rng, r: Range): number {
  return randInt(rng, r[0], r[1]);
}

function failureOf(e: Error | undefined): ConnectFailure {
  if (!e) return 'error';
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (/Unexpected server response/i.test(e.message)) return 'rejected';
  if (/handshake has timed out/i.test(e.message)) return 'timeout';
  return 'error';
}

export class WsSession {
  readonly trace: SessionTrace;
  readonly ws: WebSocket;
  /** Resolves true on open, false if the connection or upgrade failed (within opTimeoutMs). */
  readonly opened: Promise<boolean>;
  /** Resolves when the connection is closed, whoever closed it. */
  readonly closed: Promise<void>;
  /** Why it did not open (set once `opened` resolved false), and the error's message. */
  failure: ConnectFailure | undefined;
  failureMessage: string | undefined;
  readonly #ctx: ClientContext;
  readonly #telemetry: SeqRecorder;
  readonly #echoReplies: SeqRecorder;
  readonly #measured: boolean;
  #socket: net.Socket | undefined;
  #isOpen = false;
  #isClosed = false;
  #expectEnd: SessionEnd | undefined;
  #echoWaiter: { n: number; resolve: (ok: boolean) => void } | undefined;
  #echoPayload = new Map<number, string>();
  #echoSentAt = new Map<number, number>();
  #error: Error | undefined;
  /** Control client hooks (the `started`, `stopped` and `done` replies). */
  onControl: ((msg: Record<string, unknown>) => void) | undefined;
  /** Telemetry key waiters (the drain). */
  #seqWaiter: { key: number; resolve: () => void } | undefined;

  constructor(client: string, behaviour: Behaviour | 'control', wellBehaved: boolean, session: number, ctx: ClientContext) {
    this.#ctx = ctx;
    this.#telemetry = new SeqRecorder(ctx.maxRanges);
    this.#echoReplies = new SeqRecorder(ctx.maxRanges);
    this.#measured = wellBehaved;
    this.trace = {
      client, behaviour, wellBehaved, session, seqAtJoin: null, telemetry: this.#telemetry.ranges, malformed: 0,
      survived: false, end: 'harness', closeCode: null,
    };
    const isPlain = ctx.wsUrl.startsWith('ws:');
    const t0 = performance.now();
    let tcpAt: number | undefined;
    this.ws = new WebSocket(ctx.wsUrl, {
      handshakeTimeout: ctx.opTimeoutMs,
      perMessageDeflate: false,
      // Capture the TCP socket: a peer reset needs it (resetAndDestroy sends RST), and its
      // connect event splits the connect time from the upgrade's.
      ...(isPlain ? {
        createConnection: ((opts: net.NetConnectOpts) => {
          const s = net.createConnection(opts);
          this.#socket = s;
          s.once('connect', () => {
            tcpAt = performance.now();
            ctx.metrics.connect.record(tcpAt - t0);
          });
          return s;
        }) as typeof net.createConnection,
      } : {}),
    });
    this.ws.binaryType = 'nodebuffer';
    this.opened = new Promise<boolean>((resolve) => {
      this.ws.once('open', () => {
        this.#isOpen = true;
        const now = performance.now();
        ctx.metrics.handshake.record(now - (tcpAt ?? t0));
        ctx.metrics.timeline.connect();
        resolve(true);
      });
      this.ws.once('close', () => {
        if (!this.#isOpen) {
          this.failure = failureOf(this.#error);
          this.failureMessage = this.#error?.message;
        }
        resolve(false);
      });
    });
    this.closed = new Promise<void>((resolve) => {
      this.ws.once('close', (code) => {
        this.#isClosed = true;
        this.#isOpen = false;
        this.trace.closeCode = code;
        this.trace.end = this.#expectEnd ?? (this.#error ? 'error' : 'server-close');
        const f = this.trace.faultClose;
        if (f && !f.closed && !f.refused && !this.#harnessClosing) {
          f.closed = true;
          f.closeCode = code;
        }
        this.#echoWaiter?.resolve(false);
        this.#seqWaiter?.resolve();
        resolve();
      });
    });
    this.ws.on('error', (e) => { this.#error ??= e; });
    this.ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
  }

  #harnessClosing = false;

  get isOpen(): boolean {
    return this.#isOpen && !this.#isClosed;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Set while a fault or the harness is ending this session (its end is expected). */
  get ending(): boolean {
    return this.#expectEnd !== undefined;
  }

  /** The last telemetry key (epoch * EPOCH_SPAN + seq) received, 0 before any. */
  get lastSeq(): number {
    return this.#telemetry.last ?? 0;
  }

  get received(): number {
    return this.#telemetry.count;
  }

  /** Fills the trace's derived fields; call once the session is over. */
  finish(): SessionTrace {
    if (this.#telemetry.overflow) this.trace.telemetryOverflow = true;
    if (this.trace.echo) this.trace.echo.replies = this.#echoReplies.ranges;
    return this.trace;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const ctx = this.#ctx;
    const recv = performance.now();
    ctx.counters.bytesReceived += data.length;
    if (isBinary) {
      ctx.metrics.timeline.bytes(data.length);
      this.#echoReply(data.length >= 4 ? data.readUInt32BE(0) : -1, data.toString('latin1'), recv);
      return;
    }
    const text = data.toString('utf8');
    if (text.startsWith('{"t":"tm"')) {
      ctx.metrics.timeline.message(data.length);
      const m = TM_RE.exec(text);
      if (!m || data.length !== ctx.broadcastSize) {
        this.trace.malformed++;
        this.trace.malformedExample ??= `${data.length} bytes: ${text.slice(0, 80)}`;
        return;
      }
      const seq = Number(m[1]);
      const ts = Number(m[2]);
      const epoch = ctx.epochOf(ts);
      const key = epoch * EPOCH_SPAN + seq;
      this.#telemetry.push(key);
      ctx.counters.telemetry++;
      const mx = ctx.metrics;
      // Every message updates the clock bounds; a paused reader's latency is its pause, so only
      // well-behaved readers' latencies are recorded.
      mx.clock.observe(epoch, seq, ts, recv, this.#measured ? [mx.latency, mx.timeline.latencyWindow] : []);
      const w = this.#seqWaiter;
      if (w && key >= w.key) {
        this.#seqWaiter = undefined;
        w.resolve();
      }
      return;
    }
    ctx.metrics.timeline.bytes(data.length);
    if (text.startsWith('{')) {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(text) as Record<string, unknown>;
      } catch {
        this.trace.malformed++;
        this.trace.malformedExample ??= text.slice(0, 80);
        return;
      }
      if (msg.t === 'stats' && this.trace.seqAtJoin === null) {
        const b = msg.broadcast as { seq?: unknown; runs?: unknown } | undefined;
        if (typeof b?.seq === 'number') {
          this.trace.seqAtJoin = b.seq;
          const epoch = typeof b.runs === 'number' ? ctx.epochOfRuns(b.runs) : 0;
          if (epoch !== 0) this.trace.joinEpoch = epoch;
        }
        const w = this.#seqWaiter;
        if (w && this.#owes(w.key) === false) {
          this.#seqWaiter = undefined;
          w.resolve();
        }
      } else if (msg.t === 'echo' && typeof msg.data === 'string') {
        const n = Number(/^j:(\d+):/.exec(msg.data)?.[1] ?? -1);
        this.#echoReply(n, msg.data, recv);
      } else if (msg.t === 'error' && this.trace.faultClose && !this.trace.faultClose.closed) {
        this.trace.faultClose.refused = String(msg.error);
        this.#expectEnd = undefined;
      }
      this.onControl?.(msg);
      return;
    }
    this.#echoReply(Number(/^[ef]:(\d+):/.exec(text)?.[1] ?? -1), text, recv);
  }

  #echoReply(n: number, payload: string, recv: number): void {
    const e = this.trace.echo;
    if (!e) return;
    const sent = this.#echoPayload.get(n);
    if (sent === undefined || sent !== payload) e.mismatches++;
    this.#echoPayload.delete(n);
    const at = this.#echoSentAt.get(n);
    if (at !== undefined) {
      this.#echoSentAt.delete(n);
      this.#ctx.metrics.echo.record(recv - at);
      this.#ctx.metrics.timeline.echo(recv - at);
    }
    if (n >= 1) this.#echoReplies.push(n);
    const w = this.#echoWaiter;
    if (w && n >= w.n) {
      this.#echoWaiter = undefined;
      w.resolve(true);
    }
  }

  send(text: string | Buffer): void {
    if (this.isOpen) this.ws.send(text);
  }

  /** Asks the server for its stats: the reply's broadcast.seq is this session's join point. */
  requestJoinPoint(): void {
    this.send('{"cmd":"stats"}');
  }

  /** Sends echo request n (kind: JSON command, plain text or binary); payload of `size` bytes.
   *  Round trips are measured for the echo behaviour (not the flood, whose replies queue). */
  sendEcho(n: number, kind: 'json' | 'text' | 'binary' | 'flood', size: number): void {
    const e = (this.trace.echo ??= { sent: 0, replies: [], timeouts: 0, mismatches: 0 });
    e.sent = n;
    this.#ctx.counters.echoesSent++;
    if (kind !== 'flood') this.#echoSentAt.set(n, performance.now());
    if (kind === 'binary') {
      const b = Buffer.alloc(Math.max(4, size), 0x61 + (n % 26));
      b.writeUInt32BE(n, 0);
      this.#echoPayload.set(n, b.toString('latin1'));
      this.send(b);
      return;
    }
    const head = kind === 'json' ? `j:${n}:` : kind === 'text' ? `e:${n}:` : `f:${n}:`;
    const body = head + 'y'.repeat(Math.max(0, size - head.length));
    this.#echoPayload.set(n, body);
    this.send(kind === 'json' ? JSON.stringify({ cmd: 'echo', data: body }) : body);
  }

  /** True when the reply to request n (or a later one) arrived within timeoutMs. */
  waitEcho(n: number, timeoutMs: number): Promise<boolean> {
    const e = this.trace.echo;
    if (e && (this.#echoReplies.last ?? 0) >= n) return Promise.resolve(true);
    if (!this.isOpen) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { this.#echoWaiter = undefined; resolve(false); }, timeoutMs);
      this.#echoWaiter = { n, resolve: (ok) => { clearTimeout(timer); resolve(ok); } };
    });
  }

  /** Whether telemetry `key` is still due to this session: false once it (or a later one)
   *  arrived, or when the session joined after it was sent; undefined while the join point is
   *  unknown. */
  #owes(key: number): boolean | undefined {
    if (this.lastSeq >= key) return false;
    if (this.trace.seqAtJoin === null) return undefined;
    return (this.trace.joinEpoch ?? 0) * EPOCH_SPAN + this.trace.seqAtJoin < key;
  }

  /** Resolves when telemetry key >= key arrived (or is not due: the session joined after it was
   *  sent), the session closed, or timeoutMs passed. */
  waitSeq(key: number, timeoutMs: number): Promise<void> {
    if (this.#owes(key) === false || !this.isOpen) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.#seqWaiter = undefined; resolve(); }, timeoutMs);
      this.#seqWaiter = { key, resolve: () => { clearTimeout(timer); resolve(); } };
    });
  }

  /** A fault: asks the server to close this session with `code`, from the loop task or right in
   *  the message callback. */
  requestClose(from: 'loop' | 'callback', code: number): void {
    this.trace.faultClose = { from, code, closed: false, closeCode: null };
    this.#expectEnd = 'fault-close';
    this.send(JSON.stringify({ cmd: 'close', code, from }));
  }

  /** A fault or the rst behaviour: RST instead of FIN (no close handshake). */
  reset(): void {
    this.#expectEnd = 'reset';
    if (this.#socket && !this.#socket.destroyed) this.#socket.resetAndDestroy();
    else this.ws.terminate();
  }

  /** A clean close (1000), bounded: after timeoutMs the connection is destroyed. */
  async close(timeoutMs: number): Promise<void> {
    if (this.#isClosed) return;
    this.#harnessClosing = true;
    this.#expectEnd ??= 'harness';
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    await within(timeoutMs, this.closed);
    if (!this.#isClosed) {
      this.ws.terminate();
      await within(1000, this.closed);
    }
  }
}

/** Opens one session of a client, registers it and asks for its join point. Null if it failed. */
async function openSession(id: string, behaviour: Behaviour, wellBehaved: boolean, n: number, ctx: ClientContext): Promise<WsSession | null> {
  const s = new WsSession(id, behaviour, wellBehaved, n, ctx);
  ctx.register(s);
  if (!(await s.opened)) {
    ctx.counters.connectFailures++;
    ctx.counters.failures[s.failure ?? 'error']++;
    return null;
  }
  s.requestJoinPoint();
  return s;
}

/** Plays one scenario client from its join time until it leaves (a ramp down) or the deadline.
 *  Returns with at most one session still open, which then survives into the drain; a client
 *  that leaves before the deadline closes its session itself. */
export async function runClient(plan: ClientPlan, ctx: ClientContext): Promise<void> {
  const rng = createRng(plan.seed);
  await sleep(ctx.runStart + plan.joinAtMs - Date.now());
  const leaveAt = plan.leaveAtMs === null ? Infinity : ctx.runStart + plan.leaveAtMs;
  const end = (): number => Math.min(ctx.deadline, leaveAt);
  const over = (): boolean => ctx.halted() || Date.now() >= end();
  const untilEnd = (): number => end() - Date.now();
  let echoN = 0; // echo/flood requests are numbered per session
  for (let n = 1; n <= ctx.maxSessionsPerClient && !over(); n++) {
    const s = await openSession(plan.id, plan.behaviour, plan.wellBehaved, n, ctx);
    if (!s) {
      await sleep(Math.min(untilEnd(), ctx.reconnectDelayMs * 4));
      continue;
    }
    echoN = 0;
    switch (plan.behaviour) {
      case 'reader':
        await within(untilEnd(), s.closed);
        break;
      case 'silent':
        s.ws.pause();
        await within(untilEnd(), s.closed);
        break;
      case 'slow-reader':
        while (!over() && s.isOpen) {
          s.ws.pause();
          await within(Math.min(untilEnd(), pick(rng, plan.pauseMs)), s.closed);
          s.ws.resume();
          await within(Math.min(untilEnd(), pick(rng, plan.readMs)), s.closed);
        }
        break;
      case 'churn':
      case 'rst': {
        const hold = pick(rng, plan.sessionMs);
        if (hold >= untilEnd()) {
          await within(untilEnd(), s.closed); // the last session survives into the drain
          break;
        }
        await within(hold, s.closed);
        if (s.isOpen && !s.ending) {
          if (plan.behaviour === 'rst') s.reset();
          else await s.close(ctx.opTimeoutMs);
        }
        break;
      }
      case 'flood':
        while (!over() && s.isOpen) {
          for (let i = 0; i < plan.burst && s.isOpen; i++) s.sendEcho(++echoN, 'flood', plan.messageSize);
          await within(Math.min(untilEnd(), plan.intervalMs), s.closed);
        }
        break;
      case 'echo': {
        const kinds = ['json', 'text', 'binary'] as const;
        while (!over() && s.isOpen && !s.ending) {
          const k = ++echoN;
          s.sendEcho(k, kinds[k % 3]!, plan.messageSize);
          const ok = await s.waitEcho(k, ctx.opTimeoutMs);
          if (!ok && s.isOpen && !s.ending) {
            s.trace.echo!.timeouts++;
            break;
          }
          await within(Math.min(untilEnd(), plan.intervalMs), s.closed);
        }
        if (s.isOpen && !over()) await within(untilEnd(), s.closed);
        break;
      }
    }
    if (!s.isClosed) {
      await within(untilEnd(), s.closed);
      if (!s.isClosed) {
        // A ramp down removes this client: it closes (its tail is not due to it). At the
        // deadline it stays open and survives into the drain.
        if (Date.now() >= leaveAt && !ctx.halted() && leaveAt < ctx.deadline) await s.close(ctx.opTimeoutMs);
        return;
      }
    }
    if (!over()) await sleep(Math.min(untilEnd(), ctx.reconnectDelayMs));
  }
}

/** One churn arrival: connect, upgrade, ask for the join point, read for holdMs, then close
 *  (1000) or reset. */
export async function runArrival(i: number, behaviour: 'churn' | 'rst', holdMs: number, ctx: ClientContext): Promise<void> {
  const s = await openSession(`arrival-${i}`, behaviour, true, 1, ctx);
  if (!s) return;
  await within(Math.min(holdMs, Math.max(0, ctx.deadline - Date.now())), s.closed);
  if (s.isOpen && !s.ending && Date.now() < ctx.deadline) {
    if (behaviour === 'rst') s.reset();
    else await s.close(ctx.opTimeoutMs);
  }
}
