// The WebSocket stress run as a programmatic API. It never prints. startStress() returns a
// StressRun: an emitter ('start', 'tick', 'done') that the CLI's progress line and summary
// subscribe to, abort(), and a `result` promise that always resolves (a failure is a result with
// a status, violations or an error). runStress() is the same, awaited: it resolves to the result.
//
// A run: boot the target with the reference firmware (its limits raised to fit the scenario,
// which the report says); sample /stats (the run's counts are differences from this); a control
// client starts the broadcast; the scenario's clients play their behaviours from their join to
// their leave time, churn arrivals come at their rate, the faults fire and the broadcast rate
// steps on the seed's schedule until the duration ends; clients get a bounded wind-down; the
// control client stops the broadcast (its reply says how many were sent); surviving clients
// drain up to that message (bounded), then close; the firmware's /stats must settle to zero
// clients; the device stops; the oracle judges the traces and counters; the thresholds are
// checked against the metrics; one status and exit code come out (verdict.ts).
//
// Bounds: every client wait is opTimeoutMs; after the deadline the wind-down is windDownMs, the
// drain drainTimeoutMs, the closes closeTimeoutMs, the settle settleTimeoutMs, so a run ends
// within its duration plus about 20 s whatever the clients do. An abort (Ctrl-C) cuts each of
// those to abortBudgetMs: the partial result comes within about a second (plus the device's stop).
import { EventEmitter } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import WebSocket from 'ws';

import type { Profile } from '../defaults.js';
import { isTwincoreError, TwincoreRangeError, UnsupportedError } from '../errors.js';
import { optInt, resolveConfig, resolveProfile, type ConfigInput, type ProfileInput } from '../options.js';
import { sleep, within } from '../time.js';
import type { DeviceCounters, StopReport } from '../types.js';
import { version } from '../version.js';
import { WS_STRESS_DEFAULTS } from './defaults.js';
import { deviceSafetySeconds } from './safety.js';
import { startEchoChurn, type EchoChurnOptions, type EchoChurnResult, type EchoChurnRun } from './echo-churn.js';
import { checkFirmwareConfig } from './firmware-config.js';
import { ClockSync, Histogram, loopDelaySummary, LOOP_DELAY_RESOLUTION_MS, TimelineRecorder, timelineInterval, type ClockEstimate, type Percentiles } from './metrics.js';
import { checkInvariants, EPOCH_SPAN, runCounts, type ServerCounts, type SessionTrace, type Violation } from './oracle.js';
import type { MetricsSummary, RunReport } from './run-report.js';
import {
  ADDON_ONLY_FAULTS, BEHAVIOURS, DEFAULT_STALL_MS, ECHO_SCENARIOS, STALL_FAULTS, buildSchedule, checkScenarioObject, checkSchedule, churnSessionMs, deviceFor, loadScenarioFile,
  resolveScenario, totalClients, churnConcurrency, FIRMWARE_MAX_CLIENTS, type EchoChurnScenario, type FaultEvent, type FaultName, type LimitRaise, type Scenario, type Schedule,
} from './scenario.js';
import { StatsSampler, fetchStats, type RefStats } from './stats-client.js';
import { parseTarget, startTarget, type Target, type TargetKind, type TargetSpec } from './targets.js';
import { evaluateThresholds, parseThreshold, type Threshold } from './thresholds.js';
import { decideStatus, EXIT_CODES, invariantChecks, thresholdChecks, type Check, type ErrorKind } from './verdict.js';
import { wifiSettings, type JitterInput, type LinkInput, type StallSpec } from './wifi-faults.js';
import { WsSession, runArrival, runClient, type ClientContext, type ConnectFailure, type RunMetrics } from './ws-clients.js';

export interface StressOptions {
  /** A built-in scenario name (SCENARIOS), a scenario object, or the path of a scenario file
   *  (*.json). Default 'default'. */
  scenario?: string | Scenario;
  /** 'addon' (default), 'asan', 'tsan', or a board's ws:// URL. */
  target?: string;
  durationMs?: number;
  /** Total clients (see ScenarioOverrides.clients). */
  clients?: number;
  seed?: number;
  /** Board profile of a local target; refused for a URL target (a board keeps its own). */
  profile?: ProfileInput;
  /** Reference firmware config of a local target; refused for a URL target. */
  firmwareConfig?: ConfigInput;
  /** Churn arrivals per second (adds an arrival generator if the scenario has none). */
  churnRate?: number;
  /** The link model of a local target (--link; scenario device.link); refused for a URL target. */
  link?: LinkInput;
  /** Scheduling jitter of a local target (--jitter [seed]; true: seeded from the run's seed). */
  jitter?: JitterInput;
  /** Stall faults added to the scenario's (--stall). */
  stalls?: StallSpec[];
  /** Thresholds added to the scenario's ("latency.p99<50"). */
  thresholds?: string[];
  /** Play this schedule instead of the seed's (--replay: the schedule of an earlier report). */
  schedule?: Schedule;
  opTimeoutMs?: number;
  drainTimeoutMs?: number;
  settleTimeoutMs?: number;
  statsIntervalMs?: number;
  tickIntervalMs?: number;
  /** A device process's safety limit in seconds (default: the run's whole length plus a margin). */
  deviceMaxSeconds?: number;
}

export interface ResolvedStressOptions {
  scenario: Scenario;
  target: TargetSpec;
  schedule: Schedule;
  /** True when the schedule came from a report (--replay). */
  replayed: boolean;
  thresholds: Threshold[];
  opTimeoutMs: number;
  drainTimeoutMs: number;
  settleTimeoutMs: number;
  statsIntervalMs: number;
  tickIntervalMs: number;
  deviceMaxSeconds: number;
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
  limitsRaised: LimitRaise[];
}

/** run: clients play; wind-down: after the deadline, clients finish what they do; drain: the
 *  broadcast stopped, survivors receive its last message; settle: every client closed, /stats
 *  must come to zero clients; stop: the device stops. */
export type Phase = 'run' | 'wind-down' | 'drain' | 'settle' | 'stop';

export interface StressProgress {
  kind: 'ws';
  phase: Phase;
  /** Time in this phase, and its bound (null: the run's duration). */
  phaseElapsedMs: number;
  phaseBudgetMs: number | null;
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
  interrupted: boolean;
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
  /** Scenario clients that connected at least once, and those that never did. */
  clientsConnected: number;
  neverConnected: string[];
  sessions: number;
  connectFailures: number;
  /** Connect failures by reason: refused (ECONNREFUSED), rejected (the firmware answered the
   *  upgrade with an HTTP error, e.g. 503 over maxClients), timeout, reset, error. */
  failures: Record<ConnectFailure, number>;
  survivors: number;
  telemetryReceived: number;
  echoesSent: number;
  bytesReceived: number;
  /** Churn arrivals started, and skipped because maxConcurrent were in flight. */
  arrivals: { started: number; skipped: number } | null;
  byBehaviour: Partial<Record<(typeof BEHAVIOURS)[number] | 'control' | 'arrival', BehaviourStats>>;
}

export interface StressResult extends RunReport {
  kind: 'ws';
  broadcast: { rate: number; size: number; sent: number | null; perSec: number; runs: (number | null)[] };
  stats: StressStats;
  faults: { run: Partial<Record<FaultName, number>>; skipped: Partial<Record<FaultName, number>>; noVictim: number; skipReason?: string };
  server: {
    /** The run's counts from /stats (differences from the sample before the run). */
    final: ServerCounts | null;
    maxQueueDepth: number;
    queueBound: number;
    samples: number;
    rejected: number | null;
    protocolErrors: number | null;
    heapHeld: number | null;
  };
  spec: Scenario;
  schedule: Schedule;
}

export interface StressEvents {
  start: [info: StressStart];
  tick: [progress: StressProgress];
  done: [result: StressResult];
}

/** The invariants a target kind is checked for (the verdict table lists each). */
function invariantsFor(kind: TargetKind): { names: string[]; skipped: Record<string, string> } {
  const names = ['no-crash', 'no-sanitizer-report', 'broadcast-ran', 'broadcast-once', 'broadcast-in-order', 'broadcast-complete',
    'broadcast-intact', 'echo', 'fault-close', 'connect-disconnect', 'clean-stop', 'queue-bound', 'coverage'];
  const skipped: Record<string, string> = {};
  if (kind === 'url') {
    skipped['no-sanitizer-report'] = 'a board by URL: no sanitizer';
    skipped['clean-stop'] = 'a board by URL: nothing is stopped';
  } else if (kind === 'addon') {
    skipped['no-sanitizer-report'] = 'the in-process device is not a sanitizer build (use --target asan or tsan)';
  }
  return { names, skipped };
}

function loadScenarioInput(input: string | Scenario): Scenario {
  if (typeof input === 'string' && /\.json$/i.test(input)) {
    const s = loadScenarioFile(input);
    if ('kind' in s && s.kind === 'echo-churn') throw new TwincoreRangeError(`${input} is an echo-churn scenario: run it with startStress({ scenario: 'echo-churn', ... }) or the CLI`);
    return s as Scenario;
  }
  return input as Scenario;
}

export function resolveStressOptions(options: StressOptions = {}): ResolvedStressOptions {
  const d = WS_STRESS_DEFAULTS;
  const target = parseTarget(options.target ?? 'addon');
  if (target.kind === 'url' && (options.link !== undefined || options.jitter !== undefined)) {
    throw new TwincoreRangeError(`${options.link !== undefined ? 'a link model' : 'scheduling jitter'} cannot be applied to a board by URL ` +
      `(${target.url.href}): its network and scheduler are real; drop --link/--jitter, or use a local target (addon, asan, tsan)`);
  }
  if (target.kind === 'url' && (options.profile !== undefined || options.firmwareConfig !== undefined)) {
    throw new TwincoreRangeError(`${options.profile !== undefined ? 'a profile' : 'a firmware config'} cannot be applied to a board by URL ` +
      `(${target.url.href}): it runs with its own; drop --profile/--config, or use a local target (addon, asan, tsan)`);
  }
  const scenario = resolveScenario(loadScenarioInput(options.scenario ?? d.scenario), {
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.clients !== undefined ? { clients: options.clients } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.firmwareConfig !== undefined ? { firmwareConfig: options.firmwareConfig } : {}),
    ...(options.churnRate !== undefined ? { churnRate: options.churnRate } : {}),
    ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
    ...(options.link !== undefined ? { link: options.link } : {}),
    ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
    ...(options.stalls !== undefined ? { stalls: options.stalls } : {}),
  });
  if (target.kind !== 'url') checkFirmwareConfig(d.firmware, resolveConfig(scenario.device.firmwareConfig));
  const timeouts = {
    opTimeoutMs: optInt(options.opTimeoutMs, 'opTimeoutMs', d.opTimeoutMs, 1, 600_000),
    drainTimeoutMs: optInt(options.drainTimeoutMs, 'drainTimeoutMs', d.drainTimeoutMs, 0, 600_000),
    settleTimeoutMs: optInt(options.settleTimeoutMs, 'settleTimeoutMs', d.settleTimeoutMs, 0, 600_000),
  };
  return {
    scenario,
    target,
    schedule: options.schedule !== undefined ? checkSchedule(options.schedule) : buildSchedule(scenario),
    replayed: options.schedule !== undefined,
    thresholds: (scenario.thresholds ?? []).map((t) => parseThreshold(t)),
    ...timeouts,
    statsIntervalMs: optInt(options.statsIntervalMs, 'statsIntervalMs', d.statsIntervalMs, 10, 60_000),
    tickIntervalMs: optInt(options.tickIntervalMs, 'tickIntervalMs', d.tickIntervalMs, 10, 60_000),
    deviceMaxSeconds: optInt(options.deviceMaxSeconds, 'deviceMaxSeconds', deviceSafetySeconds(scenario.durationMs, timeouts), 1, 7 * 86_400),
  };
}

function serverCounts(s: RefStats): ServerCounts {
  return {
    events: { connect: s.events.connect, disconnect: s.events.disconnect },
    clients: s.clients, connected: s.connected, dropped: s.dropped, closedOnFull: s.closedOnFull, allocFailures: s.allocFailures,
  };
}

function receivedOf(t: SessionTrace): number {
  let n = 0;
  for (const [a, b] of t.telemetry) n += b - a + 1;
  return n;
}

/** The metric table thresholds read (thresholds.ts THRESHOLD_METRICS). */
export function metricValues(r: Pick<RunReport, 'metrics' | 'violations' | 'violationsOmitted' | 'server' | 'faults'> & { stats: unknown }): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const m = r.metrics;
  for (const [name, p] of [['latency', m.latency], ['echo', m.echo], ['connect', m.connect], ['handshake', m.handshake]] as [string, Percentiles][]) {
    for (const k of ['p50', 'p90', 'p99', 'max', 'mean', 'min'] as const) out[`${name}.${k}`] = p[k];
    out[`${name}.count`] = p.count;
  }
  out['msgs.rate'] = m.messages.perSec;
  out['msgs.count'] = m.messages.count;
  out['bytes.rate'] = m.bytes.perSec;
  out['bytes.count'] = m.bytes.count;
  out['connections.rate'] = m.connections.perSec;
  out['connections.count'] = m.connections.count;
  out['connect.failed'] = m.connections.failed;
  const stats = r.stats as { neverConnected?: string[] } | null;
  out['clients.never_connected'] = stats && Array.isArray(stats.neverConnected) ? stats.neverConnected.length : null;
  const final = r.server?.final as ServerCounts | null | undefined;
  out.dropped = final ? final.dropped : null;
  out['queue.max'] = r.server ? r.server.maxQueueDepth : null;
  out['heap.max'] = null;
  out['faults.skipped'] = Object.values(r.faults.skipped).reduce((a: number, b) => a + (b ?? 0), 0);
  out.violations = r.violations.length + r.violationsOmitted;
  return out;
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
    // Starts on a later tick so that listeners attached right after startStress() see 'start'.
    this.result = new Promise<void>((r) => setImmediate(r)).then(() => this.#run());
  }

  /** Ends the run early (e.g. on SIGINT): clients stop, the drain, closes and settle are cut
   *  short, the device stops, and the result is marked interrupted. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  async #run(): Promise<StressResult> {
    const o = this.options;
    const sc = o.scenario;
    const d = WS_STRESS_DEFAULTS;
    const startedAt = new Date().toISOString();
    const violations: Violation[] = [];
    let violationCount = 0;
    const live = new Set<WsSession>();
    const traces: SessionTrace[] = [];
    let sessionCount = 0;
    const opened = new Set<string>();
    const counters: ClientContext['counters'] = {
      connectFailures: 0, bytesReceived: 0, telemetry: 0, echoesSent: 0,
      failures: { refused: 0, rejected: 0, timeout: 0, reset: 0, error: 0 },
    };
    const faults: StressResult['faults'] = { run: {}, skipped: {}, noVictim: 0 };
    const warnings: string[] = [];
    const timeline = new TimelineRecorder(timelineInterval(sc.durationMs));
    const metrics: RunMetrics = {
      clock: new ClockSync(), latency: new Histogram(), echo: new Histogram(), connect: new Histogram(), handshake: new Histogram(), timeline,
    };
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    loopDelay.enable();
    let sampler: StatsSampler | undefined;
    let target: Target | undefined;
    let baseline: RefStats | null = null;
    const epochSent: (number | null)[] = [];
    let durationMs = 0;
    let runStart = 0;
    let finalStats: RefStats | null = null;
    let error: string | undefined;
    let errorCode: string | undefined;
    let errorKind: ErrorKind | undefined;
    let limitsRaised: LimitRaise[] = [];
    let profile: Profile | null = null;
    let config: Record<string, string> = {};
    let arrivals: StressStats['arrivals'] = null;
    let clock: (ClockEstimate & { shiftMs: number }) | null = null;
    const interrupted = (): boolean => this.#aborted;

    const finish = (stop: StopReport | null, extra: Violation[]): StressResult => {
      loopDelay.disable();
      for (const v of extra) {
        violationCount++;
        if (violations.length < d.maxViolations) violations.push(v);
      }
      for (const s of live) traces.push(s.finish());
      live.clear();
      const byBehaviour: StressStats['byBehaviour'] = {};
      for (const p of o.schedule.clients) (byBehaviour[p.behaviour] ??= { clients: 0, sessions: 0, survivors: 0, received: 0 }).clients++;
      if (arrivals) byBehaviour.arrival = { clients: 0, sessions: 0, survivors: 0, received: 0 };
      for (const t of traces) {
        const key = t.client.startsWith('arrival-') ? 'arrival' : t.behaviour;
        const b = (byBehaviour[key] ??= { clients: 1, sessions: 0, survivors: 0, received: 0 });
        b.sessions++;
        b.received += receivedOf(t);
        if (t.survived) b.survivors++;
      }
      if (arrivals && byBehaviour.arrival) byBehaviour.arrival.clients = arrivals.started;
      const neverConnected = runStart ? o.schedule.clients.filter((p) => !opened.has(p.id) && p.joinAtMs < durationMs).map((p) => p.id) : [];
      const last = finalStats ?? sampler?.last ?? null;
      const run = finalStats ? runCounts(serverCounts(finalStats), baseline ? serverCounts(baseline) : null) : null;
      clock ??= metrics.clock.finish();
      const shift = clock.shiftMs;
      const secs = Math.max(0.001, durationMs / 1000);
      const stats: StressStats = {
        clients: totalClients(sc),
        clientsConnected: o.schedule.clients.length - neverConnected.length,
        neverConnected,
        sessions: sessionCount,
        connectFailures: counters.connectFailures,
        failures: counters.failures,
        survivors: traces.filter((t) => t.survived).length,
        telemetryReceived: counters.telemetry,
        echoesSent: counters.echoesSent,
        bytesReceived: counters.bytesReceived,
        arrivals,
        byBehaviour,
      };
      const summary: MetricsSummary = {
        latency: metrics.latency.summary(shift),
        echo: metrics.echo.summary(),
        connect: metrics.connect.summary(),
        handshake: metrics.handshake.summary(),
        messages: { count: counters.telemetry, perSec: Math.round(counters.telemetry / secs) },
        bytes: { count: counters.bytesReceived, perSec: Math.round(counters.bytesReceived / secs) },
        connections: {
          count: sessionCount - counters.connectFailures, perSec: Math.round(((sessionCount - counters.connectFailures) / secs) * 10) / 10,
          failed: counters.connectFailures, byReason: { ...counters.failures },
        },
        eventLoopDelay: loopDelaySummary(loopDelay),
      };
      const totalSent = epochSent.some((n) => n !== null) ? epochSent.reduce((a: number, n) => a + (n ?? 0), 0) : null;
      const partial: Omit<StressResult, 'status' | 'exitCode' | 'ok' | 'checks' | 'thresholds'> = {
        tool: 'twincore', version: version(), kind: 'ws', interrupted: interrupted(),
        scenario: sc.name,
        seed: sc.seed,
        target: target?.label ?? (o.target.kind === 'url' ? o.target.url.href : o.target.name),
        targetKind: o.target.kind,
        startedAt,
        durationMs,
        profile, config, limitsRaised,
        ...(profile ? wifiSettings(profile) : { link: null, jitterSeed: null }),
        spec: sc,
        schedule: o.schedule,
        metrics: summary,
        clock: clock.method === 'none' ? null : { method: clock.method, offsetMs: clock.offsetMs, uncertaintyMs: clock.uncertaintyMs, lowerMs: clock.lowerMs, upperMs: clock.upperMs },
        timeline: timeline.finish(shift),
        warnings,
        violations,
        violationsOmitted: violationCount - violations.length,
        stop,
        connectionsPerSec: summary.connections.perSec,
        broadcast: {
          rate: sc.broadcast.rate, size: sc.broadcast.size, sent: totalSent,
          perSec: totalSent && durationMs ? Math.round(((totalSent * 1000) / durationMs) * 10) / 10 : 0,
          runs: epochSent,
        },
        stats,
        faults,
        server: {
          final: run,
          maxQueueDepth: sampler?.maxQueueDepth ?? 0,
          queueBound: d.queueBound,
          samples: sampler?.samples ?? 0,
          rejected: last && baseline ? Math.max(0, last.rejected - baseline.rejected) : last?.rejected ?? null,
          protocolErrors: last && baseline ? Math.max(0, last.protocolErrors - baseline.protocolErrors) : last?.protocolErrors ?? null,
          heapHeld: last?.heapHeld ?? null,
        },
        replay: replayCommand(o, target?.label),
        ...(error !== undefined ? { error } : {}),
        ...(errorCode !== undefined ? { errorCode } : {}),
      };
      // Warnings: what the run could not test, and what it changed.
      if (neverConnected.length) {
        warnings.push(`${neverConnected.length} of ${o.schedule.clients.length} client(s) never connected (${neverConnected.slice(0, 5).join(', ')}${neverConnected.length > 5 ? ', ...' : ''})`);
      }
      if (counters.connectFailures) {
        warnings.push(`${counters.connectFailures} connection attempt(s) failed: ${Object.entries(counters.failures).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      }
      const skippedN = Object.values(faults.skipped).reduce((a: number, n) => a + (n ?? 0), 0);
      if (skippedN) warnings.push(`${skippedN} fault(s) skipped: ${faults.skipReason ?? 'the target cannot run them'}`);
      if (arrivals?.skipped) warnings.push(`${arrivals.skipped} churn arrival(s) skipped: ${o.schedule.churn?.maxConcurrent} were in flight (maxConcurrent)`);
      const values = metricValues(partial);
      if (last) values['heap.max'] = timeline.points.reduce((m, p) => Math.max(m, p.server?.heapHeld ?? 0), last.heapHeld ?? 0);
      const thresholds = evaluateThresholds(o.thresholds, values);
      const status = error !== undefined && errorKind === undefined ? 'failed' : decideStatus({
        interrupted: interrupted(), ...(errorKind ? { errorKind } : {}), violations, violationCount, thresholds,
        sanitizerReports: stop?.sanitizerReports.length ?? 0,
      });
      const inv = invariantsFor(o.target.kind);
      const checks: Check[] = errorKind === 'usage' || errorKind === 'unreachable' ? [{ name: 'target', status: 'fail', detail: error ?? '' }]
        : invariantChecks(inv.names, violations, violationCount - violations.length, inv.skipped);
      checks.push(...thresholdChecks(thresholds));
      if (neverConnected.length || counters.connectFailures) {
        checks.push({ name: 'clients connected', status: 'warn', detail: `${stats.clientsConnected} of ${o.schedule.clients.length}; ${counters.connectFailures} failed attempt(s)` });
      }
      if (skippedN) checks.push({ name: 'faults skipped', status: 'warn', detail: `${skippedN}: ${faults.skipReason ?? ''}` });
      if (limitsRaised.length) {
        checks.push({ name: 'device limits', status: 'warn', detail: `raised to fit the scenario: ${limitsRaised.map((l) => `${l.what} ${l.from} -> ${l.to}`).join(', ')}` });
      }
      if (arrivals?.skipped) checks.push({ name: 'churn arrivals', status: 'warn', detail: `${arrivals.skipped} skipped: ${o.schedule.churn?.maxConcurrent} were in flight` });
      if (o.target.kind === 'url' && Object.keys(resolveConfig(sc.device.firmwareConfig)).length) {
        checks.push({ name: 'firmware config', status: 'warn', detail: 'the scenario\'s firmware config is not applied to a board by URL' });
      }
      if (interrupted()) checks.push({ name: 'interrupted', status: 'warn', detail: 'Ctrl-C: the run was cut short; the counts are partial' });
      const result: StressResult = { ...partial, status, exitCode: EXIT_CODES[status], ok: status === 'ok', thresholds, checks };
      this.emit('done', result);
      return result;
    };

    // Boot.
    try {
      if (o.target.kind !== 'url') {
        const dev = deviceFor(sc, d.socketHeadroom);
        limitsRaised = dev.raised;
        profile = dev.profile;
        config = dev.config;
        const need = totalClients(sc) + (sc.churn ? churnConcurrency(sc.churn) : 0) + 1;
        if (Number(config.maxClients) < need) {
          warnings.push(`the reference firmware takes ${config.maxClients} WebSocket client(s) at once (config maxClients, at most ${FIRMWARE_MAX_CLIENTS}); ` +
            `this scenario may hold ${need}: the rest are refused (503, counted as rejected)`);
        }
        if (limitsRaised.length) {
          warnings.push(`limits raised to fit ${totalClients(sc)} client(s): ${limitsRaised.map((l) => `${l.what} ${l.from} -> ${l.to}`).join(', ')} ` +
            '(scenario device.fitLimits: false keeps the board\'s)');
        }
      } else if (Object.keys(resolveConfig(sc.device.firmwareConfig)).length) {
        warnings.push(`the scenario's firmware config (${Object.entries(resolveConfig(sc.device.firmwareConfig)).map(([k, v]) => `${k}=${v}`).join(', ')}) ` +
          'is not applied to a board by URL: it runs with its own');
      }
      target = await startTarget(o.target, { firmware: d.firmware, config, profile: profile ?? resolveProfile('esp32'), maxSeconds: o.deviceMaxSeconds });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') errorCode = code;
      const usage = isTwincoreError(e) && (e.code === 'TC_FIRMWARE_CONFIG' || e.code === 'TC_INVALID_OPTION');
      errorKind = usage ? 'usage' : 'unreachable';
      error = usage ? (e as Error).message : `target ${o.target.name} did not start: ${(e as Error).message}`;
      return finish(null, []);
    }
    const tgt = target;
    const skippable = o.schedule.faults.filter((f) => ADDON_ONLY_FAULTS.has(f.kind) && !tgt.canInjectFaults);
    if (skippable.length) faults.skipReason = `${[...new Set(skippable.map((f) => f.kind))].join(', ')} need the in-process device (--target addon)`;
    const unstallable = o.schedule.faults.filter((f) => STALL_FAULTS.has(f.kind) && !tgt.canStall);
    if (unstallable.length) {
      faults.skipReason = [faults.skipReason, `${[...new Set(unstallable.map((f) => f.kind))].join(', ')} need a local target (addon, asan, tsan)`]
        .filter(Boolean).join('; ');
    }

    // The clock: a few one-message broadcast runs before anyone else connects bound the offset
    // between the device's millis() and this process's clock (metrics.ts ClockSync).
    const pre = await fetchStats(tgt.statsUrl, d.statsTimeoutMs);
    await calibrateClock(tgt.wsUrl, metrics.clock, d.clockRounds, Math.min(o.opTimeoutMs, 5000));
    // The run's counts are differences from this sample (a board counts from its boot), taken
    // once the calibration's connection is gone from the device.
    baseline = await fetchStats(tgt.statsUrl, d.statsTimeoutMs);
    const open = (x: RefStats): number => x.events.connect - x.events.disconnect;
    for (let i = 0; i < 40 && baseline && pre && (baseline.clients > pre.clients || open(baseline) !== open(pre)); i++) {
      await sleep(50);
      baseline = await fetchStats(tgt.statsUrl, d.statsTimeoutMs);
    }

    let halted = false;
    let deadline = Date.now() + sc.durationMs;
    let runs0 = (baseline?.broadcast?.runs ?? 0) + 1;
    const boundaries: number[] = []; // device ts: messages after boundaries[e] belong to run e + 1
    const ctx: ClientContext = {
      wsUrl: tgt.wsUrl, opTimeoutMs: o.opTimeoutMs, broadcastSize: sc.broadcast.size, maxRanges: d.maxRangesPerTrace,
      reconnectDelayMs: d.reconnectDelayMs, maxSessionsPerClient: d.maxSessionsPerClient,
      get deadline() { return deadline; },
      get runStart() { return runStart; },
      halted: () => halted || this.#aborted,
      register: (s) => {
        sessionCount++;
        live.add(s);
        void s.opened.then((ok) => { if (ok && s.trace.behaviour !== 'control') opened.add(s.trace.client); });
        void s.closed.then(() => {
          // A closed session keeps only its trace (a churn of thousands of sessions must not keep
          // their sockets); the drain's survivors are still open and stay live.
          if (live.delete(s)) traces.push(s.finish());
        });
      },
      epochOf: (ts) => {
        let e = boundaries.length;
        while (e > 0 && ts <= boundaries[e - 1]!) e--;
        return e;
      },
      epochOfRuns: (runs) => Math.max(0, runs - runs0),
      counters,
      metrics,
    };

    // The control client: starts the broadcast, steps its rate, later stops it and learns N.
    let phase: Phase = 'run';
    let phaseStart = Date.now();
    let phaseBudget: number | null = null;
    const t0 = Date.now();
    const setPhase = (p: Phase, budgetMs: number | null): void => {
      phase = p;
      phaseStart = Date.now();
      phaseBudget = budgetMs;
      timeline.phase(Date.now() - (runStart || t0), p);
      this.emit('tick', progress());
    };
    const control = new WsSession('control', 'control', true, 1, ctx);
    sessionCount++;
    live.add(control);
    const replies: Record<string, Record<string, unknown>> = {};
    const replyWaiters = new Map<string, () => void>();
    control.onControl = (msg) => {
      const t = String(msg.t);
      replies[t] = msg;
      replyWaiters.get(t)?.();
    };
    const request = async (cmd: object, reply: string, ms: number): Promise<Record<string, unknown> | undefined> => {
      delete replies[reply];
      control.send(JSON.stringify(cmd));
      if (!replies[reply]) await within(ms, Promise.race([new Promise<void>((r) => replyWaiters.set(reply, r)), control.closed]));
      replyWaiters.delete(reply);
      return replies[reply];
    };
    let epoch = 0;
    let rate = o.schedule.rates[0]?.rate ?? sc.broadcast.rate;
    const start = (r: number): Promise<Record<string, unknown> | undefined> => {
      metrics.clock.startSent(epoch, performance.now());
      return request({ cmd: 'start', rate: r, size: sc.broadcast.size, count: sc.broadcast.count }, 'started', o.opTimeoutMs);
    };
    // A new rate is a new broadcast run: stop (N of this run), wait out the clock's uncertainty,
    // set the boundary between the two runs in device time, start.
    let rateChain = Promise.resolve();
    const changeRate = (r: number): void => {
      rateChain = rateChain.then(async () => {
        if (halted || this.#aborted || !control.isOpen || Date.now() >= deadline) return;
        const sent = performance.now();
        const stopped = await request({ cmd: 'stop' }, 'stopped', o.opTimeoutMs);
        if (typeof stopped?.sent !== 'number') return;
        const recv = performance.now();
        epochSent[epoch] = stopped.sent;
        const b = metrics.clock.bounds();
        const gap = Math.min(1000, Math.max(d.rateGapMs, b.lower === null ? 200 : b.upper - b.lower + 5, 2 * (recv - sent)));
        await sleep(gap);
        const startAt = performance.now();
        boundaries.push((recv + startAt) / 2 - (b.lower === null ? b.upper : (b.lower + b.upper) / 2));
        epoch++;
        epochSent[epoch] = null;
        rate = r;
        await start(r);
      });
    };

    const progress = (): StressProgress => {
      const last = sampler?.last ?? null;
      return {
        kind: 'ws', phase, phaseElapsedMs: Date.now() - phaseStart, phaseBudgetMs: phaseBudget, elapsedMs: Date.now() - t0, durationMs: sc.durationMs,
        open: [...live].reduce((n, s) => n + (s.isOpen ? 1 : 0), 0), sessions: sessionCount,
        connectFailures: counters.connectFailures, received: counters.telemetry, seq: control.lastSeq % EPOCH_SPAN,
        faultsRun: Object.values(faults.run).reduce((a, b) => a + b, 0),
        serverClients: last?.clients ?? null, dropped: last && baseline ? last.dropped - baseline.dropped : last?.dropped ?? null,
        maxQueueDepth: sampler?.maxQueueDepth ?? 0,
        counters: tgt.counters(), interrupted: this.#aborted,
      };
    };
    const ticker = setInterval(() => this.emit('tick', progress()), o.tickIntervalMs);
    const aliveWatch = setInterval(() => { if (!tgt.alive()) halted = true; }, 100);
    sampler = new StatsSampler(tgt.statsUrl, o.statsIntervalMs, d.statsTimeoutMs, (s) => timeline.server({
      clients: s.clients, maxQueue: s.maxQueueDepth, queued: s.queuedMessages, heapHeld: s.heapHeld,
      dropped: baseline ? s.dropped - baseline.dropped : s.dropped,
    }));
    let windowTimer: NodeJS.Timeout | undefined;
    // The twin's heap for the timeline: live in-process; a device process answers over its control
    // channel (the latest answer is used, one request at a time).
    let deviceHeap: number | null = null;
    let heapAsked = false;
    const closeWindow = (): void => {
      if (!runStart) return;
      if (tgt.kind === 'addon') deviceHeap = tgt.counters()?.heapUsed ?? null;
      else if (tgt.kind === 'process' && !heapAsked && tgt.alive()) {
        heapAsked = true;
        void tgt.liveCounters().then((c) => { if (c) deviceHeap = c.heapUsed; heapAsked = false; });
      }
      timeline.close(Date.now() - runStart, {
        phase, clients: [...live].reduce((n, s) => n + (s.isOpen && s.trace.behaviour !== 'control' ? 1 : 0), 0),
        rate: phase === 'run' ? rate : null, deviceHeap,
      });
    };
    const timers: NodeJS.Timeout[] = [];
    const inFlight = new Set<Promise<void>>();
    try {
      if (!(await control.opened)) {
        errorKind = 'unreachable';
        const f = control.failure;
        error = f === 'refused' ? `cannot reach ${tgt.wsUrl}: connection refused`
          : f === 'timeout' ? `cannot reach ${tgt.wsUrl}: no answer within ${o.opTimeoutMs} ms`
            : f === 'reset' ? `cannot reach ${tgt.wsUrl}: the connection was reset`
              : `${tgt.wsUrl} did not answer the WebSocket upgrade (${control.failureMessage ?? f}): is it the reference firmware?`;
      } else {
        const started = await start(rate);
        if (!started) {
          errorKind = 'unreachable';
          error = `${tgt.wsUrl} did not answer {"cmd":"start"} within ${o.opTimeoutMs} ms: is it the reference firmware?`;
        } else {
          control.trace.seqAtJoin = 0; // it started the run: every message is due to it
          epochSent[0] = null;
          const st = await request({ cmd: 'stats' }, 'stats', o.opTimeoutMs);
          const runs = (st?.broadcast as { runs?: unknown } | undefined)?.runs;
          if (typeof runs === 'number') runs0 = runs;
        }
      }
      if (error !== undefined) throw new Error(error);
      // The target answers: the run begins.
      this.emit('start', {
        kind: 'ws', scenario: sc.name, target: tgt.label, targetKind: tgt.kind, wsUrl: tgt.wsUrl, clients: totalClients(sc),
        durationMs: sc.durationMs, seed: sc.seed, faults: o.schedule.faults.length, limitsRaised,
      });
      sampler.start();

      // The client phase.
      runStart = Date.now();
      deadline = runStart + sc.durationMs;
      timeline.phase(0, 'run');
      windowTimer = setInterval(closeWindow, timeline.intervalMs);
      const clientsDone = Promise.all(o.schedule.clients.map((p) => runClient(p, ctx)));
      o.schedule.faults.forEach((f, i) => {
        timers.push(setTimeout(() => this.#fault(f, i, tgt, live, faults, timeline, runStart, () => halted || this.#aborted), Math.max(0, runStart + f.atMs - Date.now())));
      });
      for (const step of o.schedule.rates.slice(1)) timers.push(setTimeout(() => changeRate(step.rate), Math.max(0, runStart + step.atMs - Date.now())));
      const churn = o.schedule.churn;
      if (churn) {
        arrivals = { started: 0, skipped: 0 };
        const arr = arrivals;
        let next = 0;
        const pace = setInterval(() => {
          const due = Math.floor(((Date.now() - runStart) * churn.rate) / 1000);
          while (next <= due && Date.now() < deadline && !halted && !this.#aborted) {
            const i = next++;
            if (inFlight.size >= churn.maxConcurrent) {
              arr.skipped++;
              continue;
            }
            arr.started++;
            const p: Promise<void> = runArrival(i, churn.behaviour, churnSessionMs(churn, i), ctx).finally(() => inFlight.delete(p));
            inFlight.add(p);
          }
        }, 2);
        timers.push(pace as unknown as NodeJS.Timeout);
      }
      // Until the deadline (an abort or a dead device moves it to now).
      const abortWatch = setInterval(() => { if (this.#aborted || halted) deadline = Math.min(deadline, Date.now()); }, 20);
      await new Promise<void>((resolve) => {
        const check = setInterval(() => { if (Date.now() >= deadline) { clearInterval(check); resolve(); } }, 20);
      });
      timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
      // Wind-down: clients finish what they are doing, bounded.
      const windDown = this.#aborted ? d.abortBudgetMs : d.windDownMs;
      setPhase('wind-down', windDown);
      const overran = (await within(windDown, Promise.all([clientsDone, ...inFlight]))) === 'timeout';
      clearInterval(abortWatch);
      if (overran) halted = true; // stragglers return at their next check; their sessions are closed below
      await rateChain;
      durationMs = Date.now() - runStart;

      // Pending fault closes get their op timeout.
      const pending = [...live].filter((s) => s.trace.faultClose && !s.trace.faultClose.closed && !s.trace.faultClose.refused && !s.isClosed);
      if (pending.length) await within(this.#aborted ? d.abortBudgetMs : o.opTimeoutMs, Promise.all(pending.map((s) => s.closed)));

      // Stop the broadcast: N is the last seq of the run.
      const drainBudget = this.#aborted ? d.abortBudgetMs : o.drainTimeoutMs;
      setPhase('drain', drainBudget);
      if (control.isOpen) {
        const stopped = await request({ cmd: 'stop' }, 'stopped', this.#aborted ? d.abortBudgetMs : o.opTimeoutMs);
        if (typeof stopped?.sent === 'number') epochSent[epoch] = stopped.sent;
      }
      if (epochSent[epoch] === null || epochSent[epoch] === undefined) {
        const s = await sampler.sample();
        if (s && s.broadcast) epochSent[epoch] = s.broadcast.seq;
      }
      // Drain: every open session resumes and receives up to N (bounded).
      const candidates = [...live].filter((s) => s.isOpen);
      for (const s of candidates) s.ws.resume();
      const N = epochSent[epoch];
      if (N !== null && N !== undefined) {
        const key = epoch * EPOCH_SPAN + N;
        await within(drainBudget, Promise.all(candidates.map((s) => s.waitSeq(key, drainBudget))));
      }
      for (const s of candidates) s.trace.survived = !s.isClosed;
      const closeBudget = this.#aborted ? d.abortBudgetMs : d.closeTimeoutMs;
      await within(closeBudget + 1500, Promise.all([...live].map((s) => s.close(closeBudget))));
      for (const s of candidates) if (s.trace.end !== 'harness') s.trace.survived = false;
      if (overran) await within(this.#aborted ? 200 : 2000, clientsDone);
    } catch (e) {
      if (error === undefined) {
        error = `harness: ${(e as Error).stack ?? String(e)}`;
        errorKind = 'harness';
      }
      halted = true;
      timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
      await within(3000, Promise.all([...live].map((s) => s.close(Math.min(o.opTimeoutMs, 1000)))));
    }
    if (!durationMs && runStart) durationMs = Date.now() - runStart;
    const aliveAtEnd = tgt.alive();

    // Settle: the firmware must come to zero clients (a board: to the clients it had before).
    const settleBudget = this.#aborted ? d.abortBudgetMs : error !== undefined && sessionCount <= 1 ? 0 : o.settleTimeoutMs;
    setPhase('settle', settleBudget);
    await sampler.stop();
    const settleBy = Date.now() + settleBudget;
    const before = baseline?.clients ?? 0;
    for (let i = 0; i < 10_000; i++) {
      const s = await sampler.sample();
      if (s) finalStats = s;
      const settled = s && (tgt.kind === 'url'
        ? (s.events.connect - (baseline?.events.connect ?? 0)) - (s.events.disconnect - (baseline?.events.disconnect ?? 0)) === s.clients - before
        : s.clients === 0 && s.events.connect === s.events.disconnect);
      if (settled || Date.now() >= settleBy || !tgt.alive()) break;
      await sleep(50);
    }

    // Stop the device.
    setPhase('stop', null);
    clearInterval(windowTimer);
    closeWindow();
    clearInterval(ticker);
    clearInterval(aliveWatch);
    const stop = await tgt.stop();
    for (const s of live) traces.push(s.finish());
    live.clear();
    const safetyStop = stop?.reason === 'maxSeconds';
    if (safetyStop) {
      // The device process stopped itself at its safety limit: not a crash (the run outlived it).
      error ??= `the device process stopped at its safety limit (--max-seconds ${o.deviceMaxSeconds}) before the run ended`;
      errorKind ??= 'harness';
    }
    const extra = (error !== undefined && sessionCount <= 1) ? [] : checkInvariants({
      targetKind: tgt.kind,
      broadcastSize: sc.broadcast.size,
      broadcastSent: epochSent[epoch] ?? null,
      ...(epochSent.length > 1 ? { epochs: epochSent.map((n) => n ?? null) } : {}),
      sessions: traces,
      finalStats: finalStats ? serverCounts(finalStats) : null,
      baseline: baseline ? serverCounts(baseline) : null,
      deviceAllocFailures: stop?.counters?.allocFailures ?? 0,
      queue: { bound: d.queueBound, maxSeen: sampler.maxQueueDepth, samples: sampler.samples },
      aliveAtEnd: aliveAtEnd || safetyStop,
      stop: safetyStop && stop ? { ...stop, exitCode: 0 } : stop,
      coverage: { planned: o.schedule.clients.length, connected: opened.size },
      interrupted: this.#aborted,
    });
    return finish(stop, extra);
  }

  #fault(f: FaultEvent, i: number, target: Target, sessions: Set<WsSession>, out: StressResult['faults'], timeline: TimelineRecorder,
    runStart: number, halted: () => boolean): void {
    if (halted()) return;
    const t = Date.now() - runStart;
    if (STALL_FAULTS.has(f.kind)) {
      if (!target.canStall) {
        out.skipped[f.kind] = (out.skipped[f.kind] ?? 0) + 1;
        return;
      }
      const ms = f.ms ?? DEFAULT_STALL_MS;
      out.run[f.kind] = (out.run[f.kind] ?? 0) + 1;
      timeline.fault(t, f.kind, `${ms} ms`);
      // A device that is going (stopping, crashed) refuses it: the crash is judged elsewhere.
      void target.stall(f.kind === 'stall-loop' ? 'loop' : 'async_tcp', ms).catch(() => undefined);
      return;
    }
    if (ADDON_ONLY_FAULTS.has(f.kind)) {
      if (!target.canInjectFaults) {
        out.skipped[f.kind] = (out.skipped[f.kind] ?? 0) + 1;
        return;
      }
      try {
        target.injectFault(f.kind === 'inject-alloc' ? 'alloc' : 'accept', f.count);
      } catch (e) {
        if (e instanceof UnsupportedError) {
          out.skipped[f.kind] = (out.skipped[f.kind] ?? 0) + 1;
          return;
        }
        throw e;
      }
      out.run[f.kind] = (out.run[f.kind] ?? 0) + 1;
      timeline.fault(t, f.kind, `${f.count}`);
      return;
    }
    const eligible = [...sessions].filter((s) => s.isOpen && !s.ending && s.trace.wellBehaved && s.trace.behaviour !== 'control');
    if (eligible.length === 0) {
      out.noVictim++;
      return;
    }
    const victim = eligible[Math.min(eligible.length - 1, Math.floor(f.pick * eligible.length))]!;
    if (f.kind === 'peer-reset') victim.reset();
    else victim.requestClose(f.kind === 'close-from-loop' ? 'loop' : 'callback', 4000 + (i % 900));
    out.run[f.kind] = (out.run[f.kind] ?? 0) + 1;
    timeline.fault(t, f.kind, `${victim.trace.client}#${victim.trace.session}`);
  }
}

/** Bounds the clock offset with `rounds` one-message broadcast runs ({"cmd":"start","count":1})
 *  on a connection of its own, before the run's clients connect. Best effort: a target that does
 *  not answer leaves the bounds to the run's own messages. */
async function calibrateClock(wsUrl: string, clock: ClockSync, rounds: number, timeoutMs: number): Promise<void> {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
  ws.on('error', () => undefined);
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  try {
    if ((await within(timeoutMs, Promise.race([new Promise<boolean>((r) => ws.once('open', () => r(true))), closed.then(() => false)]))) !== true) return;
    for (let i = 0; i < rounds && ws.readyState === WebSocket.OPEN; i++) {
      const got = new Promise<{ ts: number; recv: number } | null>((resolve) => {
        const onMsg = (data: Buffer, isBinary: boolean): void => {
          if (isBinary) return;
          const m = /^\{"t":"tm","seq":1,"ts":(\d+),/.exec(data.toString('latin1', 0, 64));
          if (!m) return;
          ws.off('message', onMsg);
          resolve({ ts: Number(m[1]), recv: performance.now() });
        };
        ws.on('message', onMsg);
        void closed.then(() => resolve(null));
      });
      const t1 = performance.now();
      ws.send('{"cmd":"start","rate":1000,"size":64,"count":1}');
      const r = await within(timeoutMs, got);
      if (r === 'timeout' || r === null) return;
      clock.calibrate(t1, r.ts, r.recv);
      await sleep(2);
    }
  } finally {
    ws.terminate();
    await within(1000, closed);
  }
}

/** The command line that runs a resolved run again. */
function replayCommand(o: ResolvedStressOptions, targetLabel: string | undefined): string {
  const t = o.target.kind === 'url' ? o.target.url.href : targetLabel ?? o.target.name;
  return `npx twincore stress --replay <this report.json>${t !== 'addon' ? ` --target ${t}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Entry points

export type EchoChurnStressOptions = Omit<EchoChurnOptions, 'scenario'> & { scenario: 'echo-churn' | EchoChurnScenario };

/** Starts a stress run; see StressRun. Throws only on invalid options.
 *  `{ scenario: 'echo-churn', ... }` (or an echo-churn scenario object) runs the line-echo TCP
 *  churn (startEchoChurn) instead. */
export function startStress(options?: StressOptions): StressRun;
export function startStress(options: EchoChurnStressOptions): EchoChurnRun;
export function startStress(options: StressOptions | EchoChurnStressOptions = {}): StressRun | EchoChurnRun {
  if (typeof options === 'object' && options !== null) {
    let sc: unknown = options.scenario;
    if (typeof sc === 'string' && /\.json$/i.test(sc)) sc = loadScenarioFile(sc);
    else if (typeof sc === 'string' && sc !== 'echo-churn' && ECHO_SCENARIOS[sc]) sc = ECHO_SCENARIOS[sc];
    else if (typeof sc === 'object' && sc !== null) sc = checkScenarioObject(sc);
    if (sc === 'echo-churn' || (typeof sc === 'object' && sc !== null && (sc as { kind?: unknown }).kind === 'echo-churn')) {
      const { scenario: _scenario, ...rest } = options as EchoChurnStressOptions;
      return startEchoChurn({ ...rest, ...(typeof sc === 'object' ? { scenario: sc as EchoChurnScenario } : {}) });
    }
    if (typeof sc === 'object' && sc !== null) return new StressRun(resolveStressOptions({ ...(options as StressOptions), scenario: sc as Scenario }));
  }
  return new StressRun(resolveStressOptions(options as StressOptions));
}

/** Runs a stress scenario and resolves to its result (startStress() for progress events and
 *  abort). Rejects only on invalid options. */
export function runStress(options?: StressOptions): Promise<StressResult>;
export function runStress(options: EchoChurnStressOptions): Promise<EchoChurnResult>;
export function runStress(options: StressOptions | EchoChurnStressOptions = {}): Promise<StressResult | EchoChurnResult> {
  try {
    return (startStress(options as StressOptions) as StressRun | EchoChurnRun).result;
  } catch (e) {
    return Promise.reject(e);
  }
}

