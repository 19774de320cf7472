// The TCP connection churn against the line-echo firmware (firmware/EchoFirmware.h), the sanitizer
// churn: clients connect, echo lines and end sessions four ways while the loop task writes ticks.
// (The WebSocket stress run is stress.ts; the CLI runs this one as `--scenario echo-churn`, and
// scenarios/echo-churn.json is its scenario file.) Like the stress run it never prints:
// startEchoChurn() returns an emitter ('start', 'tick', 'done') with a `result` promise that
// always resolves; runEchoChurn() resolves to the result. Its report has the shape of every
// stress report (run-report.ts).
//
// A connection beyond the profile's socket limit waits in the listen backlog until a slot frees,
// as on a board (lwIP has no pcb for it). Such a wait is not a firmware fault: a session that got
// nothing at all back (not even a tick: the loop task ticks every accepted connection) keeps
// waiting, until the deadline plus the drain, and is counted as a slot wait, or as given up if it
// was never served. A connection refused or timed out is counted as a refusal. Neither is a lost
// echo: an echo missing on a connection the device served (it sent something) is.
//
// Bounds: sessions start only while the run is younger than durationMs and fewer than
// maxConnections were opened (and, with churnRate, at most churnRate a second); sessions still
// running then get drainTimeoutMs, after which their sockets are destroyed; every client wait is
// bounded by opTimeoutMs. Clients connect to 127.0.0.1 only.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { PROFILES, STRESS_DEFAULTS } from '../defaults.js';
import { TwincoreRangeError, TwincoreTypeError, UnsupportedError } from '../errors.js';
import { optInt, resolveConfig, resolveProfile, type ConfigInput, type ProfileInput } from '../options.js';
import { sleep, within } from '../time.js';
import type { DeviceCounters, StopReport } from '../types.js';
import { version } from '../version.js';
import { WS_STRESS_DEFAULTS } from './defaults.js';
import { ENDINGS, runEchoSession, type Ending } from './echo-client.js';
import { checkFirmwareConfig } from './firmware-config.js';
import { Histogram, TimelineRecorder, loopDelaySummary, LOOP_DELAY_RESOLUTION_MS, timelineInterval } from './metrics.js';
import { checkStop, type Violation } from './oracle.js';
import type { MetricsSummary, RunReport } from './run-report.js';
import { createRng, pickWeighted, randInt, type Rng } from './rng.js';
import type { EchoChurnScenario } from './scenario.js';
import { deviceSafetySecondsEcho } from './safety.js';
import { LOCAL_TARGETS, startTarget, type LocalTargetName, type Target } from './targets.js';
import { evaluateThresholds, parseThreshold, type Threshold } from './thresholds.js';
import { decideStatus, EXIT_CODES, invariantChecks, thresholdChecks, type Check, type ErrorKind } from './verdict.js';
import { wifiSettings } from './wifi-faults.js';

export interface EchoChurnOptions {
  /** Default 'addon'. */
  target?: LocalTargetName;
  /** Default 'echo', the only firmware the churn has a client for. */
  firmware?: string;
  profile?: ProfileInput;
  /** Extra firmware config; tickMs below is merged in unless config sets it. */
  config?: ConfigInput;
  /** Concurrent clients. */
  clients?: number;
  durationMs?: number;
  /** Stop starting sessions after this many connections. */
  maxConnections?: number;
  /** At most this many sessions start per second, over all clients (0 or unset: as fast as
   *  the clients go). */
  churnRate?: number;
  /** The loop task writes a tick to every client this often (0: off). */
  tickMs?: number;
  /** A client pauses this long after each echo before its next line (0: none), so sessions last
   *  longer and more of them are open at once. */
  lineIntervalMs?: number;
  seed?: number;
  maxLinesPerSession?: number;
  opTimeoutMs?: number;
  drainTimeoutMs?: number;
  tickIntervalMs?: number;
  /** Relative weights of the session endings; default all equal. */
  endings?: Partial<Record<Ending, number>>;
  /** Thresholds ("echo.p99<20"), added to the scenario's. */
  thresholds?: string[];
  /** A scenario file's settings (scenarios/echo-churn.json): the defaults of the options above. */
  scenario?: EchoChurnScenario;
  /** A device process's safety limit (default: the run's whole length plus a margin). */
  deviceMaxSeconds?: number;
}

export interface ResolvedEchoChurnOptions {
  name: string;
  target: LocalTargetName;
  firmware: string;
  profile: ReturnType<typeof resolveProfile>;
  config: Record<string, string>;
  clients: number;
  durationMs: number;
  maxConnections: number;
  churnRate: number;
  tickMs: number;
  lineIntervalMs: number;
  seed: number;
  maxLinesPerSession: number;
  opTimeoutMs: number;
  drainTimeoutMs: number;
  tickIntervalMs: number;
  endings: Record<Ending, number>;
  thresholds: Threshold[];
  deviceMaxSeconds: number;
}

export interface EchoChurnStats {
  connections: number;
  connectFailures: number;
  /** Connect failures by reason (refused, reset, timeout, ...): refusals, not lost echoes. */
  refusals: Record<string, number>;
  /** Connections the device left waiting at its connection limit (its connectionsDeferred
   *  counter; null before the device reported it). */
  deferred: number | null;
  /** Sessions that waited for a free connection slot longer than the op timeout (nothing came
   *  back, not even a tick), and those that waited until the end of the drain and were never
   *  served. */
  slotWaits: number;
  gaveUpWaiting: number;
  sessionsCompleted: number;
  linesSent: number;
  linesEchoed: number;
  ticks: number;
  bytesSent: number;
  bytesReceived: number;
  endings: Record<Ending, number>;
  /** Sockets still open at the drain deadline (destroyed then). */
  stragglers: number;
  /** Most of the harness's sockets connected at once (sampled every progress tick). */
  peakConnected: number;
}

export interface EchoChurnProgress {
  kind: 'echo-churn';
  phase: 'run' | 'drain' | 'stop';
  elapsedMs: number;
  activeClients: number;
  /** The harness's sockets connected now. */
  connected: number;
  connections: number;
  connectionsPerSec: number;
  linesEchoed: number;
  slotWaits: number;
  violations: number;
  counters: DeviceCounters | null;
  interrupted: boolean;
}

export interface EchoChurnStart {
  kind: 'echo-churn';
  target: LocalTargetName;
  port: number;
  options: ResolvedEchoChurnOptions;
}

export interface EchoChurnResult extends RunReport {
  kind: 'echo-churn';
  target: LocalTargetName;
  firmware: string;
  stats: EchoChurnStats;
  spec: ResolvedEchoChurnOptions;
  schedule: null;
  broadcast: null;
  server: null;
}

export interface EchoChurnEvents {
  start: [info: EchoChurnStart];
  tick: [progress: EchoChurnProgress];
  done: [result: EchoChurnResult];
}

const MAX_VIOLATIONS_KEPT = 50;

export function resolveEchoChurnOptions(options: EchoChurnOptions = {}): ResolvedEchoChurnOptions {
  if (typeof options !== 'object' || options === null) throw new TwincoreTypeError('stress options must be an object');
  const d = STRESS_DEFAULTS;
  const sc = options.scenario;
  const target = options.target ?? 'addon';
  if (!LOCAL_TARGETS.includes(target)) {
    throw new TwincoreRangeError(`target must be one of ${LOCAL_TARGETS.join(', ')}, got '${String(target)}'`);
  }
  const firmware = options.firmware ?? d.firmware;
  if (firmware !== 'echo') {
    throw new UnsupportedError(`no stress scenario for firmware '${firmware}' (have: echo)`);
  }
  const tickMs = optInt(options.tickMs ?? sc?.tickMs, 'tickMs', d.tickMs, 0, 3_600_000);
  const config = { tickMs: String(tickMs), ...resolveConfig(sc?.device?.firmwareConfig), ...resolveConfig(options.config) };
  checkFirmwareConfig(firmware, config);
  const endings = Object.fromEntries(ENDINGS.map((e) => [e, 1])) as Record<Ending, number>;
  const wanted = options.endings ?? sc?.endings;
  if (wanted !== undefined) {
    for (const e of ENDINGS) endings[e] = 0;
    for (const [k, w] of Object.entries(wanted)) {
      if (!ENDINGS.includes(k as Ending)) throw new TwincoreRangeError(`endings.${k}: unknown ending (known: ${ENDINGS.join(', ')})`);
      endings[k as Ending] = optInt(w, `endings.${k}`, 0, 0, 1000);
    }
    if (ENDINGS.every((e) => endings[e] === 0)) throw new TwincoreRangeError('endings: at least one weight must be > 0');
  }
  const durationMs = optInt(options.durationMs ?? sc?.durationMs, 'durationMs', d.durationMs, 1, 24 * 3_600_000);
  const opTimeoutMs = optInt(options.opTimeoutMs, 'opTimeoutMs', d.opTimeoutMs, 1, 600_000);
  const drainTimeoutMs = optInt(options.drainTimeoutMs, 'drainTimeoutMs', d.drainTimeoutMs, 0, 600_000);
  return {
    name: sc?.name ?? 'echo-churn',
    target,
    firmware,
    profile: resolveProfile(options.profile ?? sc?.device?.profile ?? PROFILES.esp32!.name),
    config,
    clients: optInt(options.clients ?? sc?.clients, 'clients', d.clients, 1, 4000),
    durationMs,
    maxConnections: optInt(options.maxConnections, 'maxConnections', d.maxConnections, 1, 100_000_000),
    churnRate: optInt(options.churnRate ?? sc?.churnRate, 'churnRate', 0, 0, 10_000),
    tickMs,
    lineIntervalMs: optInt(options.lineIntervalMs ?? sc?.lineIntervalMs, 'lineIntervalMs', 0, 0, 60_000),
    seed: optInt(options.seed ?? sc?.seed, 'seed', d.seed, 0, 0xffff_ffff),
    maxLinesPerSession: optInt(options.maxLinesPerSession ?? sc?.maxLinesPerSession, 'maxLinesPerSession', d.maxLinesPerSession, 1, 10_000),
    opTimeoutMs,
    drainTimeoutMs,
    tickIntervalMs: optInt(options.tickIntervalMs, 'tickIntervalMs', d.tickIntervalMs, 10, 60_000),
    endings,
    thresholds: [...(sc?.thresholds ?? []), ...(options.thresholds ?? [])].map((t, i) => parseThreshold(t, `threshold ${i + 1}`)),
    deviceMaxSeconds: optInt(options.deviceMaxSeconds, 'deviceMaxSeconds', deviceSafetySecondsEcho(durationMs, opTimeoutMs, drainTimeoutMs), 1, 7 * 86_400),
  };
}

export class EchoChurnRun extends EventEmitter<EchoChurnEvents> {
  readonly kind = 'echo-churn' as const;
  readonly options: ResolvedEchoChurnOptions;
  /** Always resolves, also when the run failed. */
  readonly result: Promise<EchoChurnResult>;
  #aborted = false;

  constructor(options: ResolvedEchoChurnOptions) {
    super();
    this.options = options;
    // Starts on a later tick so that listeners attached right after startEchoChurn() see 'start'.
    this.result = new Promise<void>((r) => setImmediate(r)).then(() => this.#run());
  }

  /** Ends the run early (e.g. on SIGINT): no new sessions, in-flight ones get a short drain, and
   *  the result is marked interrupted. */
  abort(): void {
    this.#aborted = true;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  async #run(): Promise<EchoChurnResult> {
    const o = this.options;
    const startedAt = new Date().toISOString();
    const stats: EchoChurnStats = {
      connections: 0, connectFailures: 0, refusals: {}, deferred: null, slotWaits: 0, gaveUpWaiting: 0, sessionsCompleted: 0, linesSent: 0, linesEchoed: 0,
      ticks: 0, bytesSent: 0, bytesReceived: 0, endings: Object.fromEntries(ENDINGS.map((e) => [e, 0])) as Record<Ending, number>,
      stragglers: 0, peakConnected: 0,
    };
    const violations: Violation[] = [];
    let violationCount = 0;
    const addViolation = (detail: string, invariant = 'echo-session'): void => {
      violationCount++;
      if (violations.length < MAX_VIOLATIONS_KEPT) violations.push({ invariant, detail });
    };
    const timeline = new TimelineRecorder(timelineInterval(o.durationMs));
    const echo = new Histogram();
    const connect = new Histogram();
    const firstByte = new Histogram();
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    loopDelay.enable();
    let durationMs = 0;
    let phase: EchoChurnProgress['phase'] = 'run';

    const finish = (stop: StopReport | null, error?: string, errorKind?: ErrorKind): EchoChurnResult => {
      loopDelay.disable();
      const secs = Math.max(0.001, durationMs / 1000);
      const metrics: MetricsSummary = {
        latency: new Histogram().summary(),
        echo: echo.summary(),
        connect: connect.summary(),
        // The line firmware has no upgrade: "handshake" is the wait from connect to the first
        // byte (ticks come every tickMs once accepted, so it is the wait for a slot).
        handshake: firstByte.summary(),
        messages: { count: stats.linesEchoed, perSec: Math.round(stats.linesEchoed / secs) },
        bytes: { count: stats.bytesReceived, perSec: Math.round(stats.bytesReceived / secs) },
        connections: {
          count: stats.connections, perSec: Math.round((stats.connections / secs) * 10) / 10,
          failed: stats.connectFailures, byReason: { ...stats.refusals },
        },
        eventLoopDelay: loopDelaySummary(loopDelay),
      };
      const warnings: string[] = [];
      if (stats.slotWaits) {
        warnings.push(`${stats.slotWaits} session(s) were not accepted within ${o.opTimeoutMs} ms, ${stats.gaveUpWaiting} of them not before the end: ` +
          `the device was at its connection limit (${o.profile.maxConnections} on ${o.profile.name}; it deferred ${stats.deferred ?? '?'}), or its listen backlog was full ` +
          '(TCP then retries with backoff, as with a board\'s lwIP): waits, not lost echoes');
      }
      if (stats.connectFailures) warnings.push(`${stats.connectFailures} connect(s) failed: ${Object.entries(stats.refusals).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      const values: Record<string, number | null> = {};
      for (const [name, p] of [['echo', metrics.echo], ['connect', metrics.connect], ['handshake', metrics.handshake], ['latency', metrics.latency]] as const) {
        for (const k of ['p50', 'p90', 'p99', 'max', 'mean', 'min'] as const) values[`${name}.${k}`] = p[k];
        values[`${name}.count`] = p.count;
      }
      Object.assign(values, {
        'msgs.rate': metrics.messages.perSec, 'msgs.count': metrics.messages.count, 'bytes.rate': metrics.bytes.perSec,
        'bytes.count': metrics.bytes.count, 'connections.rate': metrics.connections.perSec, 'connections.count': metrics.connections.count,
        'connect.failed': stats.connectFailures, 'clients.never_connected': null, dropped: null, 'queue.max': null,
        'heap.max': stop?.counters?.heapPeak ?? null, 'faults.skipped': 0, violations: violationCount,
      });
      const thresholds = evaluateThresholds(o.thresholds, values);
      const status = decideStatus({
        interrupted: this.#aborted, ...(errorKind ? { errorKind } : {}), violations, violationCount, thresholds,
        sanitizerReports: stop?.sanitizerReports.length ?? 0,
      });
      const checks: Check[] = errorKind === 'usage' || errorKind === 'unreachable' ? [{ name: 'target', status: 'fail', detail: error ?? '' }]
        : invariantChecks(['no-crash', 'no-sanitizer-report', 'echo-session', 'clean-stop', 'bounded-drain'], violations, violationCount - violations.length,
          o.target === 'addon' ? { 'no-sanitizer-report': 'the in-process device is not a sanitizer build (use --target asan or tsan)' } : {});
      checks.push(...thresholdChecks(thresholds));
      if (stats.slotWaits) checks.push({ name: 'accept waits', status: 'warn', detail: `${stats.slotWaits} not accepted within the op timeout, ${stats.gaveUpWaiting} never` });
      if (stats.connectFailures) checks.push({ name: 'refusals', status: 'warn', detail: `${stats.connectFailures} connect(s) failed` });
      if (this.#aborted) checks.push({ name: 'interrupted', status: 'warn', detail: 'Ctrl-C: the run was cut short; the counts are partial' });
      const result: EchoChurnResult = {
        tool: 'twincore', version: version(), kind: 'echo-churn', status, exitCode: EXIT_CODES[status], ok: status === 'ok',
        interrupted: this.#aborted, scenario: o.name, seed: o.seed, target: o.target, targetKind: o.target === 'addon' ? 'addon' : 'process',
        startedAt, durationMs, profile: o.profile, config: o.config, limitsRaised: [], ...wifiSettings(o.profile), spec: o, schedule: null, metrics, clock: null,
        timeline: timeline.finish(0), thresholds, checks, warnings, violations, violationsOmitted: violationCount - violations.length,
        stop, connectionsPerSec: metrics.connections.perSec, broadcast: null, faults: { run: {}, skipped: {}, noVictim: 0 }, server: null,
        stats, firmware: o.firmware,
        replay: `npx twincore stress --replay <this report.json>${o.target !== 'addon' ? ` --target ${o.target}` : ''}`,
        ...(error !== undefined ? { error } : {}),
      };
      this.emit('done', result);
      return result;
    };

    let target: Target;
    try {
      target = await startTarget(o.target, { firmware: o.firmware, config: o.config, profile: o.profile, maxSeconds: o.deviceMaxSeconds });
    } catch (e) {
      return finish(null, `target ${o.target} did not start: ${(e as Error).message}`, 'unreachable');
    }
    this.emit('start', { kind: 'echo-churn', target: o.target, port: target.port, options: o });

    const rng: Rng = createRng(o.seed);
    const sockets = new Set<net.Socket>();
    const t0 = Date.now();
    const deadline = t0 + o.durationMs;
    let active = 0;
    let sessionSeq = 0;
    let targetDied = false;
    let nextStartAt = t0;
    const progress = (): EchoChurnProgress => {
      const elapsedMs = Date.now() - t0;
      return {
        kind: 'echo-churn', phase, elapsedMs, activeClients: active, connected: sockets.size, connections: stats.connections,
        connectionsPerSec: elapsedMs > 0 ? (stats.connections * 1000) / elapsedMs : 0,
        linesEchoed: stats.linesEchoed, slotWaits: stats.slotWaits, violations: violationCount, counters: target.counters(), interrupted: this.#aborted,
      };
    };
    const ticker = setInterval(() => {
      stats.peakConnected = Math.max(stats.peakConnected, sockets.size);
      this.emit('tick', progress());
    }, o.tickIntervalMs);
    const windows = setInterval(() => timeline.close(Date.now() - t0, { phase, clients: sockets.size, rate: null, deviceHeap: target.counters()?.heapUsed ?? null }), timeline.intervalMs);
    timeline.phase(0, 'run');
    // A session that got nothing at all back may still be waiting for a slot: with ticks on, the
    // loop task writes to every connection the device accepted, so one that received not even a
    // tick was not accepted (it sits in the listen backlog, or in SYN_RECV once the backlog is
    // full, retried by TCP with backoff: the way a board's lwIP drops a SYN it has no pcb for).
    // Without ticks: while the harness holds more connected sockets than the device has slots.
    const slotBusy = async (): Promise<boolean> => o.tickMs > 0 || sockets.size > o.profile.maxConnections;
    const waitUntil = deadline + Math.max(0, o.drainTimeoutMs - o.opTimeoutMs);

    const client = async (index: number): Promise<void> => {
      while (!this.#aborted && Date.now() < deadline && sessionSeq < o.maxConnections) {
        if (!target.alive()) {
          if (!targetDied) addViolation(`the ${o.target} device died during the run`, 'no-crash');
          targetDied = true;
          break;
        }
        if (o.churnRate > 0) {
          // At most churnRate session starts a second, over all clients.
          const at = Math.max(Date.now(), nextStartAt);
          nextStartAt = at + 1000 / o.churnRate;
          if (at >= deadline) break;
          await sleep(at - Date.now());
          if (this.#aborted) break;
        }
        const seq = ++sessionSeq;
        const lineCount = randInt(rng, 1, o.maxLinesPerSession);
        const lines = Array.from({ length: lineCount }, (_, i) => `c${index}-s${seq}-l${i}-${'x'.repeat(randInt(rng, 0, 200))}`);
        const ending = pickWeighted(rng, o.endings);
        active++;
        const r = await runEchoSession({
          port: target.port, id: `c${index}/s${seq}`, lines, ending, opTimeoutMs: o.opTimeoutMs, sockets,
          slotBusy, waitUntil, halted: () => this.#aborted || Date.now() >= deadline + o.drainTimeoutMs, lineIntervalMs: o.lineIntervalMs, onEcho: (ms) => { echo.record(ms); timeline.echo(ms); },
        });
        active--;
        if (r.connected) {
          stats.connections++;
          timeline.connect();
        } else {
          stats.connectFailures++;
          stats.refusals[r.connectError ?? 'error'] = (stats.refusals[r.connectError ?? 'error'] ?? 0) + 1;
        }
        if (r.connectMs !== undefined) connect.record(r.connectMs);
        if (r.firstByteMs !== undefined) firstByte.record(r.firstByteMs);
        if (r.waitedForSlot) stats.slotWaits++;
        if (r.gaveUpWaiting) stats.gaveUpWaiting++;
        stats.linesSent += r.linesSent;
        stats.linesEchoed += r.linesEchoed;
        for (let i = 0; i < r.linesEchoed; i++) timeline.message(0);
        stats.ticks += r.ticks;
        stats.bytesSent += r.bytesSent;
        stats.bytesReceived += r.bytesReceived;
        timeline.bytes(r.bytesReceived);
        if (r.connected && !r.gaveUpWaiting && r.violations.length === 0) {
          stats.sessionsCompleted++;
          stats.endings[ending]++;
        }
        r.violations.forEach((v) => addViolation(v));
      }
    };

    const clients = Promise.all(Array.from({ length: o.clients }, (_, i) => client(i)));
    // Drain: once the deadline passes (or the run is aborted), in-flight sessions get
    // drainTimeoutMs more (an abort: WS_STRESS_DEFAULTS.abortBudgetMs).
    const abortWatch = new Promise<void>((resolve) => {
      const t = setInterval(() => { if (this.#aborted || Date.now() >= deadline) { clearInterval(t); resolve(); } }, 20);
    });
    await Promise.race([abortWatch, clients]);
    phase = 'drain';
    timeline.phase(Date.now() - t0, 'drain');
    const drainMs = this.#aborted ? WS_STRESS_DEFAULTS.abortBudgetMs : Math.max(0, deadline - Date.now()) + o.drainTimeoutMs;
    const drained = (await within(drainMs, clients)) !== 'timeout';
    durationMs = Date.now() - t0;
    if (!drained) {
      const aborted = this.#aborted;
      this.#aborted = true;
      stats.stragglers = sockets.size;
      if (!aborted) addViolation(`${sockets.size} session(s) still running ${o.drainTimeoutMs} ms after the deadline`, 'bounded-drain');
      for (const s of sockets) s.destroy();
      await within(1000, clients);
      if (!aborted) this.#aborted = false;
    }
    phase = 'stop';
    clearInterval(ticker);
    clearInterval(windows);
    timeline.close(Date.now() - t0, { phase, clients: active, rate: null, deviceHeap: target.counters()?.heapUsed ?? null });
    this.emit('tick', progress());

    const stop = (await target.stop())!; // a local target always reports
    stats.deferred = stop.counters?.connectionsDeferred ?? null;
    checkEchoChurn({ target: o.target, stats, stop }).forEach((v) => addViolation(v.detail, v.invariant));
    return finish(stop);
  }
}

/** Starts an echo churn; see EchoChurnRun. Throws only on invalid options. */
export function startEchoChurn(options: EchoChurnOptions = {}): EchoChurnRun {
  return new EchoChurnRun(resolveEchoChurnOptions(options));
}

/** Runs an echo churn and resolves to its result (startEchoChurn() for events and abort). */
export function runEchoChurn(options: EchoChurnOptions = {}): Promise<EchoChurnResult> {
  try {
    return startEchoChurn(options).result;
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The echo churn's end-of-run invariants (the per-session ones are checked as it runs). */
export function checkEchoChurn({ target, stats, stop }: { target: LocalTargetName; stats: EchoChurnStats; stop: StopReport }): Violation[] {
  if (stop.reason === 'maxSeconds') {
    // The device stopped itself at its safety limit: not a crash.
    stop = { ...stop, exitCode: stop.exitCode === 3 ? 3 : 0 };
  }
  const v = checkStop(stop, { device: `${target} device`, servers: true });
  const add = (invariant: string, detail: string): void => { v.push({ invariant, detail }); };
  const c = stop.counters;
  if (!c) return v;
  // Every session that got an echo was accepted by the device.
  if (c.connectionsTotal < stats.sessionsCompleted) {
    add('echo-session', `the device accepted ${c.connectionsTotal} connections, fewer than the ${stats.sessionsCompleted} sessions served`);
  }
  if (stats.linesEchoed > stats.linesSent) add('echo-session', `${stats.linesEchoed} echoes for ${stats.linesSent} lines sent`);
  return v;
}
