// runEchoChurn(): the TCP connection churn against the line-echo firmware (firmware/EchoFirmware.h),
// the sanitizer churn: clients connect, echo lines and end sessions four ways while the loop task
// writes ticks. (The WebSocket stress run is runStress() in stress.ts; the CLI runs this one as
// `--scenario echo-churn`.) Like runStress it never prints: an emitter ('start', 'tick', 'done')
// and a `result` promise that always resolves.
//
// Bounds: sessions start only while the run is younger than durationMs and fewer than
// maxConnections were opened; sessions still running then get drainTimeoutMs, after which
// their sockets are destroyed; every client wait is bounded by opTimeoutMs. Clients connect to
// 127.0.0.1 only.
import { EventEmitter } from 'node:events';
import type net from 'node:net';

import { PROFILES, STRESS_DEFAULTS } from '../defaults.js';
import { TwincoreRangeError, TwincoreTypeError, UnsupportedError } from '../errors.js';
import { optInt, resolveConfig, resolveProfile, type ConfigInput, type ProfileInput } from '../options.js';
import { within } from '../time.js';
import type { DeviceCounters, StopReport } from '../types.js';
import { ENDINGS, runEchoSession, type Ending } from './echo-client.js';
import { checkStop, type Violation } from './oracle.js';
import { createRng, pickWeighted, randInt, type Rng } from './rng.js';
import { LOCAL_TARGETS, startTarget, type LocalTargetName, type Target } from './targets.js';

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
  /** The loop task writes a tick to every client this often (0: off). */
  tickMs?: number;
  seed?: number;
  maxLinesPerSession?: number;
  opTimeoutMs?: number;
  drainTimeoutMs?: number;
  tickIntervalMs?: number;
  /** Relative weights of the session endings; default all equal. */
  endings?: Partial<Record<Ending, number>>;
}

export interface ResolvedEchoChurnOptions {
  target: LocalTargetName;
  firmware: string;
  profile: ReturnType<typeof resolveProfile>;
  config: Record<string, string>;
  clients: number;
  durationMs: number;
  maxConnections: number;
  tickMs: number;
  seed: number;
  maxLinesPerSession: number;
  opTimeoutMs: number;
  drainTimeoutMs: number;
  tickIntervalMs: number;
  endings: Record<Ending, number>;
}

export interface EchoChurnStats {
  connections: number;
  connectFailures: number;
  sessionsCompleted: number;
  linesSent: number;
  linesEchoed: number;
  ticks: number;
  bytesSent: number;
  bytesReceived: number;
  endings: Record<Ending, number>;
  /** Sockets still open at the drain deadline (destroyed then). */
  stragglers: number;
}

export interface EchoChurnProgress {
  kind: 'echo-churn';
  elapsedMs: number;
  activeClients: number;
  connections: number;
  connectionsPerSec: number;
  linesEchoed: number;
  violations: number;
  counters: DeviceCounters | null;
}

export interface EchoChurnStart {
  kind: 'echo-churn';
  target: LocalTargetName;
  port: number;
  options: ResolvedEchoChurnOptions;
}

export interface EchoChurnResult {
  kind: 'echo-churn';
  ok: boolean;
  target: LocalTargetName;
  firmware: string;
  profile: string;
  seed: number;
  /** Wall time of the client phase (connect/close churn), excluding boot and stop. */
  durationMs: number;
  connectionsPerSec: number;
  stats: EchoChurnStats;
  stop: StopReport | null;
  violations: Violation[];
  /** Violations beyond the stored ones (the list is bounded). */
  violationsOmitted: number;
  /** A harness failure (the target did not start, ...), if any. */
  error?: string;
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
  const target = options.target ?? 'addon';
  if (!LOCAL_TARGETS.includes(target)) {
    throw new TwincoreRangeError(`target must be one of ${LOCAL_TARGETS.join(', ')}, got '${String(target)}'`);
  }
  const firmware = options.firmware ?? d.firmware;
  if (firmware !== 'echo') {
    throw new UnsupportedError(`no stress scenario for firmware '${firmware}' (have: echo)`);
  }
  const tickMs = optInt(options.tickMs, 'tickMs', d.tickMs, 0, 3_600_000);
  const config = { tickMs: String(tickMs), ...resolveConfig(options.config) };
  const endings = Object.fromEntries(ENDINGS.map((e) => [e, 1])) as Record<Ending, number>;
  if (options.endings !== undefined) {
    for (const e of ENDINGS) endings[e] = 0;
    for (const [k, w] of Object.entries(options.endings)) {
      if (!ENDINGS.includes(k as Ending)) throw new TwincoreRangeError(`endings.${k}: unknown ending (known: ${ENDINGS.join(', ')})`);
      endings[k as Ending] = optInt(w, `endings.${k}`, 0, 0, 1000);
    }
    if (ENDINGS.every((e) => endings[e] === 0)) throw new TwincoreRangeError('endings: at least one weight must be > 0');
  }
  return {
    target,
    firmware,
    profile: resolveProfile(options.profile ?? PROFILES.esp32!.name),
    config,
    clients: optInt(options.clients, 'clients', d.clients, 1, 1000),
    durationMs: optInt(options.durationMs, 'durationMs', d.durationMs, 1, 24 * 3_600_000),
    maxConnections: optInt(options.maxConnections, 'maxConnections', d.maxConnections, 1, 100_000_000),
    tickMs,
    seed: optInt(options.seed, 'seed', d.seed, 0, 0xffff_ffff),
    maxLinesPerSession: optInt(options.maxLinesPerSession, 'maxLinesPerSession', d.maxLinesPerSession, 1, 10_000),
    opTimeoutMs: optInt(options.opTimeoutMs, 'opTimeoutMs', d.opTimeoutMs, 1, 600_000),
    drainTimeoutMs: optInt(options.drainTimeoutMs, 'drainTimeoutMs', d.drainTimeoutMs, 0, 600_000),
    tickIntervalMs: optInt(options.tickIntervalMs, 'tickIntervalMs', d.tickIntervalMs, 10, 60_000),
    endings,
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
    // Starts on a later tick so that listeners attached right after runEchoChurn() see 'start'.
    this.result = new Promise<void>((r) => setImmediate(r)).then(() => this.#run());
  }

  /** Ends the client phase early (e.g. on SIGINT); the run still drains, stops and reports. */
  abort(): void {
    this.#aborted = true;
  }

  async #run(): Promise<EchoChurnResult> {
    const o = this.options;
    const stats: EchoChurnStats = {
      connections: 0, connectFailures: 0, sessionsCompleted: 0, linesSent: 0, linesEchoed: 0, ticks: 0,
      bytesSent: 0, bytesReceived: 0, endings: Object.fromEntries(ENDINGS.map((e) => [e, 0])) as Record<Ending, number>,
      stragglers: 0,
    };
    const violations: Violation[] = [];
    let violationCount = 0;
    const addViolation = (detail: string, invariant = 'echo-session'): void => {
      violationCount++;
      if (violations.length < MAX_VIOLATIONS_KEPT) violations.push({ invariant, detail });
    };
    const finish = (r: Omit<EchoChurnResult, 'violations' | 'violationsOmitted' | 'ok'> & { ok?: boolean }): EchoChurnResult => {
      const result: EchoChurnResult = {
        ...r,
        ok: (r.ok ?? true) && violationCount === 0,
        violations,
        violationsOmitted: violationCount - violations.length,
      };
      this.emit('done', result);
      return result;
    };
    const base = {
      kind: 'echo-churn' as const, target: o.target, firmware: o.firmware, profile: o.profile.name, seed: o.seed, durationMs: 0, connectionsPerSec: 0, stats,
    };

    let target: Target;
    try {
      target = await startTarget(o.target, { firmware: o.firmware, config: o.config, profile: o.profile });
    } catch (e) {
      return finish({ ...base, ok: false, stop: null, error: `target ${o.target} did not start: ${(e as Error).message}` });
    }
    this.emit('start', { kind: 'echo-churn', target: o.target, port: target.port, options: o });

    const rng: Rng = createRng(o.seed);
    const sockets = new Set<net.Socket>();
    const t0 = Date.now();
    const deadline = t0 + o.durationMs;
    let active = 0;
    let sessionSeq = 0;
    let targetDied = false;
    const progress = (): EchoChurnProgress => {
      const elapsedMs = Date.now() - t0;
      return {
        kind: 'echo-churn', elapsedMs, activeClients: active, connections: stats.connections,
        connectionsPerSec: elapsedMs > 0 ? (stats.connections * 1000) / elapsedMs : 0,
        linesEchoed: stats.linesEchoed, violations: violationCount, counters: target.counters(),
      };
    };
    const ticker = setInterval(() => this.emit('tick', progress()), o.tickIntervalMs);

    const client = async (index: number): Promise<void> => {
      while (!this.#aborted && Date.now() < deadline && sessionSeq < o.maxConnections) {
        if (!target.alive()) {
          if (!targetDied) addViolation(`the ${o.target} device died during the run`, 'no-crash');
          targetDied = true;
          break;
        }
        const seq = ++sessionSeq;
        const lineCount = randInt(rng, 1, o.maxLinesPerSession);
        const lines = Array.from({ length: lineCount }, (_, i) => `c${index}-s${seq}-l${i}-${'x'.repeat(randInt(rng, 0, 200))}`);
        const ending = pickWeighted(rng, o.endings);
        active++;
        const r = await runEchoSession({ port: target.port, id: `c${index}/s${seq}`, lines, ending, opTimeoutMs: o.opTimeoutMs, sockets });
        active--;
        if (r.connected) stats.connections++;
        else stats.connectFailures++;
        stats.linesSent += r.linesSent;
        stats.linesEchoed += r.linesEchoed;
        stats.ticks += r.ticks;
        stats.bytesSent += r.bytesSent;
        stats.bytesReceived += r.bytesReceived;
        if (r.violations.length === 0) {
          stats.sessionsCompleted++;
          stats.endings[ending]++;
        }
        r.violations.forEach((v) => addViolation(v));
      }
    };

    const clients = Promise.all(Array.from({ length: o.clients }, (_, i) => client(i)));
    // Drain: once the deadline passes, in-flight sessions get drainTimeoutMs more.
    const remaining = Math.max(0, deadline - Date.now());
    const drained = (await within(remaining + o.drainTimeoutMs, clients)) !== 'timeout';
    const durationMs = Date.now() - t0;
    if (!drained) {
      this.#aborted = true;
      stats.stragglers = sockets.size;
      addViolation(`${sockets.size} session(s) still running ${o.drainTimeoutMs} ms after the deadline`, 'bounded-drain');
      for (const s of sockets) s.destroy();
      await within(1000, clients);
    }
    clearInterval(ticker);
    this.emit('tick', progress());

    const stop = (await target.stop())!; // a local target always reports
    checkEchoChurn({ target: o.target, stats, stop }).forEach((v) => addViolation(v.detail, v.invariant));
    return finish({
      ...base, durationMs, connectionsPerSec: durationMs > 0 ? (stats.connections * 1000) / durationMs : 0, stop,
    });
  }
}

/** Starts a stress run; see EchoChurnRun. Throws only on invalid options. */
export function runEchoChurn(options: EchoChurnOptions = {}): EchoChurnRun {
  return new EchoChurnRun(resolveEchoChurnOptions(options));
}

/** The echo churn's end-of-run invariants (the per-session ones are checked as it runs). */
export function checkEchoChurn({ target, stats, stop }: { target: LocalTargetName; stats: EchoChurnStats; stop: StopReport }): Violation[] {
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
