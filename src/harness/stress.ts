// runStress(): the WebSocket stress run as a programmatic API. It never prints: it returns an
// emitter ('start', 'tick', 'done') that the CLI's progress line and summary subscribe to, and a
// `result` promise that always resolves (a failure is a result with violations or an error).
//
// A run: boot the target with the reference firmware; a control client starts the broadcast;
// the scenario's clients play their behaviours and the faults fire on the seed's schedule until
// the duration ends; the control client stops the broadcast (its reply says how many were sent);
// surviving clients drain up to that message, then close; the firmware's /stats must settle to
// zero clients; the device stops; the oracle judges the traces and counters.
// Bounds: every client wait is opTimeoutMs, the drain drainTimeoutMs, the settle settleTimeoutMs;
// clients whose loops overrun the deadline by 2 x opTimeoutMs are abandoned (and closed).
import { EventEmitter } from 'node:events';

import { optInt, type ConfigInput, type ProfileInput } from '../options.js';
import { sleep, within } from '../time.js';
import type { DeviceCounters, StopReport } from '../types.js';
import { WS_STRESS_DEFAULTS } from './defaults.js';
import { runEchoChurn, type EchoChurnOptions, type EchoChurnRun } from './echo-churn.js';
import { checkInvariants, type ServerCounts, type Violation } from './oracle.js';
import {
  ADDON_ONLY_FAULTS, BEHAVIOURS, buildSchedule, deviceFor, resolveScenario, totalClients,
  type FaultEvent, type FaultName, type Scenario, type Schedule,
} from './scenario.js';
import { StatsSampler, type RefStats } from './stats-client.js';
import { parseTarget, startTarget, type Target, type TargetKind, type TargetSpec } from './targets.js';
import { WsSession, runClient, type ClientContext } from './ws-clients.js';

export interface StressOptions {
  /** A built-in scenario name (SCENARIOS) or a scenario object. Default 'default'. */
  scenario?: string | Scenario;
  /** 'addon' (default), 'asan', 'tsan', or a board's ws:// URL. */
  target?: string;
  durationMs?: number;
  /** Total clients, split over the scenario's groups in proportion. */
  clients?: number;
  seed?: number;
  profile?: ProfileInput;
  firmwareConfig?: ConfigInput;
  opTimeoutMs?: number;
  drainTimeoutMs?: number;
  settleTimeoutMs?: number;
  statsIntervalMs?: number;
  tickIntervalMs?: number;
}

export interface ResolvedStressOptions {
  scenario: Scenario;
  target: TargetSpec;
  schedule: Schedule;
  opTimeoutMs: number;
  drainTimeoutMs: number;
  settleTimeoutMs: number;
  statsIntervalMs: number;
  tickIntervalMs: number;
}

export interface StressStart {
  kind: 'ws';
  scenario: string;
  target: string;
  targetKind: TargetKind;
  wsUrl: string;
  clients: number;
  durationMs: number;
  seed: number;
  faults: number;
}

export type Phase = 'run' | 'drain' | 'settle' | 'stop';

export interface StressProgress {
  kind: 'ws';
  phase: Phase;
  elapsedMs: number;
  durationMs: number;
  /** Sessions open now / opened so far / failed to connect. */
  open: number;
  sessions: number;
  connectFailures: number;
  /** Telemetry messages received by all clients. */
  received: number;
  /** The last seq the control client saw. */
  seq: number;
  faultsRun: number;
  /** From the latest /stats sample (null before the first). */
  serverClients: number | null;
  dropped: number | null;
  maxQueueDepth: number;
  counters: DeviceCounters | null;
}

export interface BehaviourStats {
  clients: number;
  sessions: number;
  /** Sessions open until the harness closed them after the drain. */
  survivors: number;
  received: number;
}

export interface StressStats {
  clients: number;
  sessions: number;
  connectFailures: number;
  survivors: number;
  telemetryReceived: number;
  echoesSent: number;
  bytesReceived: number;
  byBehaviour: Partial<Record<(typeof BEHAVIOURS)[number] | 'control', BehaviourStats>>;
}

export interface StressResult {
  kind: 'ws';
  ok: boolean;
  scenario: string;
  target: string;
  targetKind: TargetKind;
  seed: number;
  /** Wall time of the client phase (the scenario's duration, give or take), excluding boot,
   *  drain and stop. */
  durationMs: number;
  broadcast: { rate: number; size: number; sent: number | null; perSec: number };
  stats: StressStats;
  faults: { run: Partial<Record<FaultName, number>>; skipped: Partial<Record<FaultName, number>>; noVictim: number; skipReason?: string };
  server: {
    final: ServerCounts | null;
    maxQueueDepth: number;
    queueBound: number;
    samples: number;
    rejected: number | null;
    protocolErrors: number | null;
    heapHeld: number | null;
  };
  stop: StopReport | null;
  violations: Violation[];
  violationsOmitted: number;
  /** A harness failure (the target did not start, the broadcast could not be started), if any. */
  error?: string;
  /** The error's stable code, when it had one (e.g. TC_FIRMWARE_CONFIG for a bad --config). */
  errorCode?: string;
}

export interface StressEvents {
  start: [info: StressStart];
  tick: [progress: StressProgress];
  done: [result: StressResult];
}

export function resolveStressOptions(options: StressOptions = {}): ResolvedStressOptions {
  const d = WS_STRESS_DEFAULTS;
  const scenario = resolveScenario(options.scenario ?? d.scenario, {
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.clients !== undefined ? { clients: options.clients } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.firmwareConfig !== undefined ? { firmwareConfig: options.firmwareConfig } : {}),
  });
  return {
    scenario,
    target: parseTarget(options.target ?? 'addon'),
    schedule: buildSchedule(scenario),
    opTimeoutMs: optInt(options.opTimeoutMs, 'opTimeoutMs', d.opTimeoutMs, 1, 600_000),
    drainTimeoutMs: optInt(options.drainTimeoutMs, 'drainTimeoutMs', d.drainTimeoutMs, 0, 600_000),
    settleTimeoutMs: optInt(options.settleTimeoutMs, 'settleTimeoutMs', d.settleTimeoutMs, 0, 600_000),
    statsIntervalMs: optInt(options.statsIntervalMs, 'statsIntervalMs', d.statsIntervalMs, 10, 60_000),
    tickIntervalMs: optInt(options.tickIntervalMs, 'tickIntervalMs', d.tickIntervalMs, 10, 60_000),
  };
}

function serverCounts(s: RefStats): ServerCounts {
  return {
    events: { connect: s.events.connect, disconnect: s.events.disconnect },
    clients: s.clients, connected: s.connected, dropped: s.dropped, closedOnFull: s.closedOnFull, allocFailures: s.allocFailures,
  };
}

export class StressRun extends EventEmitter<StressEvents> {
  readonly kind = 'ws' as const;
  readonly options: ResolvedStressOptions;
  /** Always resolves, also when the run failed. */
  readonly result: Promise<StressResult>;
  #aborted = false;

  constructor(options: ResolvedStressOptions) {
    super();
    this.options = options;
    // Starts on a later tick so that listeners attached right after runStress() see 'start'.
    this.result = new Promise<void>((r) => setImmediate(r)).then(() => this.#run());
  }

  /** Ends the client phase early (e.g. on SIGINT); the run still drains, stops and reports. */
  abort(): void {
    this.#aborted = true;
  }

  async #run(): Promise<StressResult> {
    const o = this.options;
    const sc = o.scenario;
    const d = WS_STRESS_DEFAULTS;
    const violations: Violation[] = [];
    let violationCount = 0;
    const sessions: WsSession[] = [];
    const counters = { connectFailures: 0, bytesReceived: 0, telemetry: 0, echoesSent: 0 };
    const faults: StressResult['faults'] = { run: {}, skipped: {}, noVictim: 0 };
    let sampler: StatsSampler | undefined;
    let target: Target | undefined;
    let broadcastSent: number | null = null;
    let durationMs = 0;
    let finalStats: RefStats | null = null;
    let error: string | undefined;
    let errorCode: string | undefined;

    const finish = (stop: StopReport | null, extra: Violation[]): StressResult => {
      for (const v of extra) {
        violationCount++;
        if (violations.length < d.maxViolations) violations.push(v);
      }
      const byBehaviour: StressStats['byBehaviour'] = {};
      for (const p of o.schedule.clients) (byBehaviour[p.behaviour] ??= { clients: 0, sessions: 0, survivors: 0, received: 0 }).clients++;
      for (const s of sessions) {
        const b = (byBehaviour[s.trace.behaviour] ??= { clients: 1, sessions: 0, survivors: 0, received: 0 });
        b.sessions++;
        b.received += s.received;
        if (s.trace.survived) b.survivors++;
      }
      const last = finalStats ?? sampler?.last ?? null;
      const result: StressResult = {
        kind: 'ws',
        ok: error === undefined && violationCount === 0,
        scenario: sc.name,
        target: target?.label ?? (o.target.kind === 'url' ? o.target.url.href : o.target.name),
        targetKind: o.target.kind,
        seed: sc.seed,
        durationMs,
        broadcast: {
          rate: sc.broadcast.rate, size: sc.broadcast.size, sent: broadcastSent,
          perSec: broadcastSent && durationMs ? (broadcastSent * 1000) / durationMs : 0,
        },
        stats: {
          clients: totalClients(sc),
          sessions: sessions.length,
          connectFailures: counters.connectFailures,
          survivors: sessions.filter((s) => s.trace.survived).length,
          telemetryReceived: counters.telemetry,
          echoesSent: counters.echoesSent,
          bytesReceived: counters.bytesReceived,
          byBehaviour,
        },
        faults,
        server: {
          final: finalStats ? serverCounts(finalStats) : null,
          maxQueueDepth: sampler?.maxQueueDepth ?? 0,
          queueBound: d.queueBound,
          samples: sampler?.samples ?? 0,
          rejected: last?.rejected ?? null,
          protocolErrors: last?.protocolErrors ?? null,
          heapHeld: last?.heapHeld ?? null,
        },
        stop,
        violations,
        violationsOmitted: violationCount - violations.length,
        ...(error !== undefined ? { error } : {}),
        ...(errorCode !== undefined ? { errorCode } : {}),
      };
      this.emit('done', result);
      return result;
    };

    // Boot.
    try {
      const dev = deviceFor(sc, d.socketHeadroom);
      target = await startTarget(o.target, { firmware: d.firmware, config: dev.config, profile: dev.profile });
    } catch (e) {
      error = `target ${o.target.name} did not start: ${(e as Error).message}`;
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') errorCode = code;
      return finish(null, []);
    }
    const tgt = target;
    const skippable = o.schedule.faults.filter((f) => ADDON_ONLY_FAULTS.has(f.kind) && !tgt.canInjectFaults);
    if (skippable.length) faults.skipReason = `${[...new Set(skippable.map((f) => f.kind))].join(', ')} need the in-process device (--target addon)`;
    this.emit('start', {
      kind: 'ws', scenario: sc.name, target: tgt.label, targetKind: tgt.kind, wsUrl: tgt.wsUrl, clients: totalClients(sc),
      durationMs: sc.durationMs, seed: sc.seed, faults: o.schedule.faults.length,
    });

    let halted = false;
    let deadline = Date.now() + sc.durationMs;
    const ctx: ClientContext = {
      wsUrl: tgt.wsUrl, opTimeoutMs: o.opTimeoutMs, broadcastSize: sc.broadcast.size, maxRanges: d.maxRangesPerTrace,
      reconnectDelayMs: d.reconnectDelayMs, maxSessionsPerClient: d.maxSessionsPerClient,
      get deadline() { return deadline; },
      halted: () => halted || this.#aborted,
      register: (s) => { sessions.push(s); },
      counters,
    };

    // The control client: starts the broadcast, later stops it and learns N.
    let phase: Phase = 'run';
    const control = new WsSession('control', 'control', true, 1, ctx);
    sessions.push(control);
    const replies: Record<string, Record<string, unknown>> = {};
    const replyWaiters = new Map<string, () => void>();
    control.onControl = (msg) => {
      const t = String(msg.t);
      replies[t] = msg;
      replyWaiters.get(t)?.();
    };
    const waitReply = (t: string, ms: number): Promise<Record<string, unknown> | undefined> =>
      replies[t] ? Promise.resolve(replies[t]) : within(ms, Promise.race([
        new Promise<void>((r) => replyWaiters.set(t, r)), control.closed,
      ])).then(() => replies[t]);

    const t0 = Date.now();
    const progress = (): StressProgress => {
      const last = sampler?.last ?? null;
      return {
        kind: 'ws', phase, elapsedMs: Date.now() - t0, durationMs: sc.durationMs,
        open: sessions.reduce((n, s) => n + (s.isOpen ? 1 : 0), 0), sessions: sessions.length,
        connectFailures: counters.connectFailures, received: counters.telemetry, seq: control.lastSeq,
        faultsRun: Object.values(faults.run).reduce((a, b) => a + b, 0),
        serverClients: last?.clients ?? null, dropped: last?.dropped ?? null, maxQueueDepth: sampler?.maxQueueDepth ?? 0,
        counters: tgt.counters(),
      };
    };
    const ticker = setInterval(() => this.emit('tick', progress()), o.tickIntervalMs);
    const aliveWatch = setInterval(() => { if (!tgt.alive()) halted = true; }, 100);
    sampler = new StatsSampler(tgt.statsUrl, o.statsIntervalMs, d.statsTimeoutMs);
    const faultTimers: NodeJS.Timeout[] = [];
    try {
      if (!(await control.opened)) {
        error = `the control client could not connect to ${tgt.wsUrl}`;
      } else {
        const b = sc.broadcast;
        control.send(JSON.stringify({ cmd: 'start', rate: b.rate, size: b.size, count: b.count }));
        const started = await waitReply('started', o.opTimeoutMs);
        if (!started) error = `the firmware did not answer {"cmd":"start"} within ${o.opTimeoutMs} ms (is it the reference firmware?)`;
        else control.trace.seqAtJoin = 0; // it started the run: every message is due to it
      }
      if (error !== undefined) throw new Error(error);
      sampler.start();

      // The client phase.
      deadline = Date.now() + sc.durationMs;
      const runStart = Date.now();
      const clientsDone = Promise.all(o.schedule.clients.map((p) => runClient(p, ctx, runStart)));
      o.schedule.faults.forEach((f, i) => {
        faultTimers.push(setTimeout(() => this.#fault(f, i, tgt, sessions, faults, () => halted || this.#aborted), Math.max(0, runStart + f.atMs - Date.now())));
      });
      const abortWatch = setInterval(() => { if (this.#aborted || halted) deadline = Math.min(deadline, Date.now()); }, 50);
      const overran = (await within(sc.durationMs + 2 * o.opTimeoutMs + 1000, clientsDone)) === 'timeout';
      clearInterval(abortWatch);
      faultTimers.forEach(clearTimeout);
      durationMs = Date.now() - runStart;
      if (overran) halted = true;

      // Pending fault closes get their op timeout.
      const pending = sessions.filter((s) => s.trace.faultClose && !s.trace.faultClose.closed && !s.trace.faultClose.refused && !s.isClosed);
      if (pending.length) await within(o.opTimeoutMs, Promise.all(pending.map((s) => s.closed)));

      // Stop the broadcast: N is the last seq of the run.
      phase = 'drain';
      if (control.isOpen) {
        control.send('{"cmd":"stop"}');
        const stopped = await waitReply('stopped', o.opTimeoutMs);
        if (typeof stopped?.sent === 'number') broadcastSent = stopped.sent;
      }
      if (broadcastSent === null) {
        const s = await sampler.sample();
        if (s && s.broadcast) broadcastSent = s.broadcast.seq;
      }
      // Drain: every open session resumes and receives up to N (bounded).
      const candidates = sessions.filter((s) => s.isOpen);
      for (const s of candidates) s.ws.resume();
      if (broadcastSent !== null) {
        const n = broadcastSent;
        await within(o.drainTimeoutMs, Promise.all(candidates.map((s) => s.waitSeq(n, o.drainTimeoutMs))));
      }
      await Promise.all(sessions.map((s) => s.close(o.opTimeoutMs)));
      for (const s of candidates) s.trace.survived = s.trace.end === 'harness';
      if (overran) {
        await within(2000, clientsDone);
      }
    } catch (e) {
      error ??= `harness: ${(e as Error).stack ?? String(e)}`;
      halted = true;
      faultTimers.forEach(clearTimeout);
      await Promise.all(sessions.map((s) => s.close(Math.min(o.opTimeoutMs, 2000))));
    }
    const aliveAtEnd = tgt.alive();

    // Settle: the firmware must come to zero clients (a board: to its own foreign clients).
    phase = 'settle';
    await sampler.stop();
    // (One sample only when not even the control client got through: nothing to settle.)
    const settleBy = Date.now() + (error !== undefined && sessions.length <= 1 ? 0 : o.settleTimeoutMs);
    for (;;) {
      const s = await sampler.sample();
      if (s) finalStats = s;
      const settled = s && (tgt.kind === 'url' ? s.events.connect - s.events.disconnect === s.clients : s.clients === 0 && s.events.connect === s.events.disconnect);
      if (settled || Date.now() >= settleBy || !tgt.alive()) break;
      await sleep(50);
    }

    // Stop the device.
    phase = 'stop';
    this.emit('tick', progress());
    clearInterval(ticker);
    clearInterval(aliveWatch);
    const stop = await tgt.stop();
    const extra = error !== undefined && sessions.length <= 1 ? [] : checkInvariants({
      targetKind: tgt.kind,
      broadcastSize: sc.broadcast.size,
      broadcastSent,
      sessions: sessions.map((s) => s.finish()),
      finalStats: finalStats ? serverCounts(finalStats) : null,
      deviceAllocFailures: stop?.counters?.allocFailures ?? 0,
      queue: { bound: d.queueBound, maxSeen: sampler.maxQueueDepth, samples: sampler.samples },
      aliveAtEnd,
      stop,
    });
    return finish(stop, extra);
  }

  #fault(f: FaultEvent, i: number, target: Target, sessions: WsSession[], out: StressResult['faults'], halted: () => boolean): void {
    if (halted()) return;
    if (ADDON_ONLY_FAULTS.has(f.kind)) {
      if (!target.canInjectFaults) {
        out.skipped[f.kind] = (out.skipped[f.kind] ?? 0) + 1;
        return;
      }
      target.injectFault(f.kind === 'inject-alloc' ? 'alloc' : 'accept', f.count);
      out.run[f.kind] = (out.run[f.kind] ?? 0) + 1;
      return;
    }
    const eligible = sessions.filter((s) => s.isOpen && !s.ending && s.trace.wellBehaved && s.trace.behaviour !== 'control');
    if (eligible.length === 0) {
      out.noVictim++;
      return;
    }
    const victim = eligible[Math.min(eligible.length - 1, Math.floor(f.pick * eligible.length))]!;
    if (f.kind === 'peer-reset') victim.reset();
    else victim.requestClose(f.kind === 'close-from-loop' ? 'loop' : 'callback', 4000 + (i % 900));
    out.run[f.kind] = (out.run[f.kind] ?? 0) + 1;
  }
}

export type EchoChurnStressOptions = EchoChurnOptions & { scenario: 'echo-churn' };

/** Starts a stress run; see StressRun. Throws only on invalid options.
 *  `{ scenario: 'echo-churn', ... }` runs the line-echo TCP churn (runEchoChurn) instead. */
export function runStress(options?: StressOptions): StressRun;
export function runStress(options: EchoChurnStressOptions): EchoChurnRun;
export function runStress(options: StressOptions | EchoChurnStressOptions = {}): StressRun | EchoChurnRun {
  if (typeof options === 'object' && options !== null && options.scenario === 'echo-churn') {
    const { scenario: _scenario, ...rest } = options as EchoChurnStressOptions;
    return runEchoChurn(rest);
  }
  return new StressRun(resolveStressOptions(options as StressOptions));
}
