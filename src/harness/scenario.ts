// A stress scenario is data: client groups (count + behaviour), a broadcast, faults, a duration or
// stages, a device, thresholds, and a seed. The built-in scenarios are JSON files in scenarios/ at
// the package root, the same format a user writes (`--scenario path/to/file.json`); every field is
// validated and an error names it (`scenario.stages[1].clients must be ...`).
//
// buildSchedule() turns a resolved scenario into a schedule of operations (who joins when and
// leaves when, how long each session lasts, when each fault fires and whom it hits, when the
// broadcast rate steps) fixed by the seed alone. The schedule is in the JSON report, and
// `--replay report.json` plays it again. (Timing still varies run to run: the seed fixes the
// choices, not the interleaving.)
//
// Stages (as k6's): each stage ramps the number of concurrent clients linearly from where the
// previous one ended (0 before the first) to `clients` over `durationMs`, and the broadcast rate
// from the previous rate (broadcast.rate before the first) to `rate`. Clients are the scenario's
// groups, mixed in a seeded order: a ramp up adds the next ones, a ramp down removes the most
// recent. The firmware has no "change rate" command: a new rate is a new broadcast run
// ({"cmd":"stop"} then {"cmd":"start"}), stepped at most once a second; the oracle checks each
// run (an epoch) on its own.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { TwincoreRangeError, TwincoreTypeError } from '../errors.js';
import { packageRoot } from '../native.js';
import { checkInt, isPlainObject, resolveConfig, resolveProfile, type ConfigInput, type ProfileInput } from '../options.js';
import type { Profile } from '../defaults.js';
import { WS_STRESS_DEFAULTS } from './defaults.js';
import { createRng, randInt, type Rng } from './rng.js';
import { parseThreshold } from './thresholds.js';
import { applyWifi, resolveLink, type JitterInput, type LinkInput, type StallSpec } from './wifi-faults.js';

/** How a client behaves (see ws-clients.ts for each):
 *  reader       connects, reads everything, stays to the end (well-behaved: must miss nothing)
 *  slow-reader  stops reading for pauseMs, reads for readMs, alternately (may lose messages the
 *               server counted as dropped, or be closed when closeOnQueueFull)
 *  silent       connects and never reads until the end (then drains)
 *  rst          connects, reads for sessionMs, then resets the TCP connection; again (reads
 *               promptly while connected, so well-behaved)
 *  flood        reads, and sends `burst` text messages every intervalMs (echoed back)
 *  churn        connects, reads for sessionMs, closes cleanly (1000); again (well-behaved)
 *  echo         reads, and sends one echo request (JSON, text, binary in turn) every intervalMs,
 *               each reply awaited (well-behaved) */
export type Behaviour = 'reader' | 'slow-reader' | 'silent' | 'rst' | 'flood' | 'churn' | 'echo';
export const BEHAVIOURS: readonly Behaviour[] = ['reader', 'slow-reader', 'silent', 'rst', 'flood', 'churn', 'echo'];
/** Behaviours that read promptly: the server has no excuse to drop a message for them, and their
 *  broadcast latency is measured (a paused reader's is its own pause). */
export const WELL_BEHAVED: ReadonlySet<Behaviour> = new Set<Behaviour>(['reader', 'churn', 'echo', 'rst']);

export type Range = readonly [min: number, max: number];

export interface ClientGroup {
  count: number;
  behaviour: Behaviour;
  /** Each client joins at a seeded time in [0, joinWithinMs] (without stages). */
  joinWithinMs?: number;
  /** churn, rst: one session's length. */
  sessionMs?: Range;
  /** slow-reader: paused / reading periods. */
  pauseMs?: Range;
  readMs?: Range;
  /** flood: messages per burst. */
  burst?: number;
  /** flood: between bursts; echo: between requests. */
  intervalMs?: number;
  /** flood and echo message size in bytes. */
  messageSize?: number;
}

/** The loop task's telemetry: `rate` messages/s of exactly `size` bytes; count 0 = until the end. */
export interface BroadcastSpec {
  rate: number;
  size: number;
  count: number;
}

/** close-from-loop / close-in-callback: a connected well-behaved client asks the server to close
 *  it (`{"cmd":"close","from":...}`) while the broadcast runs; peer-reset: one is reset (RST);
 *  inject-alloc / inject-accept: the next `count` heap allocations / accepts fail (addon only);
 *  stall-async-tcp / stall-loop: that device task's next turn blocks `ms` milliseconds (a long
 *  flash write, a blocking sensor read; local targets: the addon and the device processes). */
export type FaultName = 'close-from-loop' | 'close-in-callback' | 'peer-reset' | 'inject-alloc' | 'inject-accept' | 'stall-async-tcp' | 'stall-loop';
export const FAULT_NAMES: readonly FaultName[] = ['close-from-loop', 'close-in-callback', 'peer-reset', 'inject-alloc', 'inject-accept', 'stall-async-tcp', 'stall-loop'];
/** Faults that need the in-process device. */
export const ADDON_ONLY_FAULTS: ReadonlySet<FaultName> = new Set<FaultName>(['inject-alloc', 'inject-accept']);
/** Faults that need a local target (a device of this machine: the addon or a device process). */
export const STALL_FAULTS: ReadonlySet<FaultName> = new Set<FaultName>(['stall-async-tcp', 'stall-loop']);
/** A stall fault's length when the scenario names none (ms). */
export const DEFAULT_STALL_MS = 200;

export interface FaultSpec {
  atMs: number;
  kind: FaultName;
  /** inject-*: operations to fail (default 1). */
  count?: number;
  /** stall-*: how long the task's turn blocks (1..60000 ms, default 200). */
  ms?: number;
  /** Repeat every everyMs (seeded jitter of up to a quarter period) until untilMs (default: the end). */
  everyMs?: number;
  untilMs?: number;
}

export interface DeviceSpec {
  /** Board profile for local targets (default esp32). */
  profile?: ProfileInput;
  /** Reference firmware config (maxMessage, maxClients, keepAliveSec, closeOnQueueFull, ...). */
  firmwareConfig?: ConfigInput;
  /** Raise the profile's socket limit and the firmware's maxClients to fit the scenario's clients
   *  (default true; a stock ESP32 takes 16 sockets and 8 WebSocket clients). The report says
   *  when it did. */
  fitLimits?: boolean;
  /** The link model (README "Faults that make loopback behave like WiFi"): a named link
   *  (loopback, good-wifi, weak-wifi), `<kbps>:<rttMs>:<jitterMs>` or the knobs; its jitter draws
   *  are seeded from the scenario's seed. Default: the profile's (loopback). */
  link?: LinkInput;
  /** Scheduling jitter: true (seeded from the scenario's seed) or a seed; default off. */
  jitter?: JitterInput;
}

/** One stage: ramp to `clients` concurrent clients (and to `rate` msgs/s) over durationMs. */
export interface Stage {
  durationMs: number;
  clients: number;
  rate?: number;
}

/** Connections arriving at a fixed rate (k6's arrival-rate executor), beside the client groups:
 *  each connects, upgrades, asks for its join point, reads for sessionMs, then closes cleanly
 *  (churn) or resets (rst). `--churn-rate N` sets `rate`. */
export interface ChurnSpec {
  rate: number;
  sessionMs: Range;
  behaviour: 'churn' | 'rst';
  /** Arrivals in flight at most; an arrival beyond is skipped and counted (k6's dropped
   *  iterations). Default: what the rate and the longest session need, plus a second. */
  maxConcurrent?: number;
}

export interface Scenario {
  name: string;
  description?: string;
  seed: number;
  durationMs: number;
  clients: ClientGroup[];
  broadcast: BroadcastSpec;
  faults: FaultSpec[];
  device: DeviceSpec;
  stages?: Stage[];
  churn?: ChurnSpec;
  /** k6-style thresholds ("latency.p99<50"), checked after the run. */
  thresholds?: string[];
}

/** The line-echo TCP churn (echo-churn.ts) as a scenario file: `"kind": "echo-churn"`. */
export interface EchoChurnScenario {
  kind: 'echo-churn';
  name: string;
  description?: string;
  seed?: number;
  durationMs?: number;
  clients?: number;
  tickMs?: number;
  lineIntervalMs?: number;
  maxLinesPerSession?: number;
  endings?: Record<string, number>;
  churnRate?: number;
  device?: { profile?: ProfileInput; firmwareConfig?: ConfigInput };
  thresholds?: string[];
}

/** Most clients a scenario may have at once: the profile's socket limit (4096) less the control
 *  client and the harness's headroom. */
export const MAX_CLIENTS = 4000;
const MAX_MS = 24 * 3_600_000;
/** A broadcast rate changes at most this often (each change is a new broadcast run). */
export const RATE_STEP_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Validation

function checkRange(v: unknown, what: string, min: number, max: number): Range {
  if (!Array.isArray(v) || v.length !== 2) throw new TwincoreTypeError(`${what} must be [min, max]`);
  const a = checkInt(v[0], `${what}[0]`, min, max);
  const b = checkInt(v[1], `${what}[1]`, min, max);
  if (a > b) throw new TwincoreRangeError(`${what}: min ${a} > max ${b}`);
  return [a, b];
}

function checkKeys(o: Record<string, unknown>, known: readonly string[], where: string, what: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new TwincoreTypeError(`${where}.${k} is not a ${what} field (known: ${known.join(', ')})`);
}

function checkGroup(g: unknown, i: number): ClientGroup {
  const w = `scenario.clients[${i}]`;
  if (!isPlainObject(g)) throw new TwincoreTypeError(`${w} must be an object`);
  checkKeys(g, ['count', 'behaviour', 'joinWithinMs', 'sessionMs', 'pauseMs', 'readMs', 'burst', 'intervalMs', 'messageSize'], w, 'client group');
  if (!BEHAVIOURS.includes(g.behaviour as Behaviour)) {
    throw new TwincoreRangeError(`${w}.behaviour must be one of ${BEHAVIOURS.join(', ')}, got '${String(g.behaviour)}'`);
  }
  const out: ClientGroup = { count: checkInt(g.count, `${w}.count`, 0, MAX_CLIENTS), behaviour: g.behaviour as Behaviour };
  if (g.joinWithinMs !== undefined) out.joinWithinMs = checkInt(g.joinWithinMs, `${w}.joinWithinMs`, 0, MAX_MS);
  if (g.sessionMs !== undefined) out.sessionMs = checkRange(g.sessionMs, `${w}.sessionMs`, 1, MAX_MS);
  if (g.pauseMs !== undefined) out.pauseMs = checkRange(g.pauseMs, `${w}.pauseMs`, 1, MAX_MS);
  if (g.readMs !== undefined) out.readMs = checkRange(g.readMs, `${w}.readMs`, 1, MAX_MS);
  if (g.burst !== undefined) out.burst = checkInt(g.burst, `${w}.burst`, 1, 10_000);
  if (g.intervalMs !== undefined) out.intervalMs = checkInt(g.intervalMs, `${w}.intervalMs`, 1, MAX_MS);
  if (g.messageSize !== undefined) out.messageSize = checkInt(g.messageSize, `${w}.messageSize`, 16, 1 << 20);
  return out;
}

function checkFault(f: unknown, i: number): FaultSpec {
  const w = `scenario.faults[${i}]`;
  if (!isPlainObject(f)) throw new TwincoreTypeError(`${w} must be an object`);
  checkKeys(f, ['atMs', 'kind', 'count', 'ms', 'everyMs', 'untilMs'], w, 'fault');
  if (!FAULT_NAMES.includes(f.kind as FaultName)) {
    throw new TwincoreRangeError(`${w}.kind must be one of ${FAULT_NAMES.join(', ')}, got '${String(f.kind)}'`);
  }
  const out: FaultSpec = { atMs: checkInt(f.atMs, `${w}.atMs`, 0, MAX_MS), kind: f.kind as FaultName };
  if (f.count !== undefined) out.count = checkInt(f.count, `${w}.count`, 1, 1_000_000);
  if (f.ms !== undefined) {
    if (!STALL_FAULTS.has(out.kind)) throw new TwincoreRangeError(`${w}.ms is for stall-async-tcp and stall-loop only`);
    out.ms = checkInt(f.ms, `${w}.ms`, 1, 60_000);
  }
  if (f.everyMs !== undefined) out.everyMs = checkInt(f.everyMs, `${w}.everyMs`, 10, MAX_MS);
  if (f.untilMs !== undefined) out.untilMs = checkInt(f.untilMs, `${w}.untilMs`, 0, MAX_MS);
  return out;
}

function checkStage(s: unknown, i: number): Stage {
  const w = `scenario.stages[${i}]`;
  if (!isPlainObject(s)) throw new TwincoreTypeError(`${w} must be an object`);
  checkKeys(s, ['durationMs', 'clients', 'rate'], w, 'stage');
  const out: Stage = { durationMs: checkInt(s.durationMs, `${w}.durationMs`, 0, MAX_MS), clients: checkInt(s.clients, `${w}.clients`, 0, MAX_CLIENTS) };
  if (s.rate !== undefined) out.rate = checkInt(s.rate, `${w}.rate`, 1, 1000);
  return out;
}

export function checkChurn(c: unknown, where = 'scenario.churn'): ChurnSpec {
  if (!isPlainObject(c)) throw new TwincoreTypeError(`${where} must be an object`);
  checkKeys(c, ['rate', 'sessionMs', 'behaviour', 'maxConcurrent'], where, 'churn');
  const behaviour = c.behaviour ?? 'churn';
  if (behaviour !== 'churn' && behaviour !== 'rst') throw new TwincoreRangeError(`${where}.behaviour must be churn or rst, got '${String(behaviour)}'`);
  const out: ChurnSpec = {
    rate: checkInt(c.rate, `${where}.rate`, 1, 10_000),
    sessionMs: c.sessionMs === undefined ? WS_STRESS_DEFAULTS.churnSessionMs : checkRange(c.sessionMs, `${where}.sessionMs`, 1, MAX_MS),
    behaviour,
  };
  if (c.maxConcurrent !== undefined) out.maxConcurrent = checkInt(c.maxConcurrent, `${where}.maxConcurrent`, 1, MAX_CLIENTS);
  return out;
}

function checkThresholds(t: unknown): string[] {
  if (!Array.isArray(t)) throw new TwincoreTypeError('scenario.thresholds must be an array of strings like "latency.p99<50"');
  return t.map((x, i) => parseThreshold(x, `scenario.thresholds[${i}]`).source);
}

/** Splits `total` over the groups in proportion to their counts (largest remainder; each group
 *  keeps at least one client while there are clients to give). */
export function scaleClients(groups: readonly ClientGroup[], total: number): ClientGroup[] {
  const sum = groups.reduce((s, g) => s + g.count, 0);
  if (sum === 0 || groups.length === 0) return groups.map((g) => ({ ...g }));
  const exact = groups.map((g) => (g.count * total) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((s, n) => s + n, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i]!++;
    left--;
  }
  // Every group that had clients keeps one, taken from the largest group, while total allows.
  for (let i = 0; i < groups.length; i++) {
    if (groups[i]!.count > 0 && counts[i] === 0) {
      const big = counts.indexOf(Math.max(...counts));
      if (counts[big]! > 1) {
        counts[big]!--;
        counts[i] = 1;
      }
    }
  }
  return groups.map((g, i) => ({ ...g, count: counts[i]! }));
}

/** What the CLI (or a caller) may change on a named scenario. */
export interface ScenarioOverrides {
  /** Without stages: the duration; with stages: their total (each stage scaled in proportion). */
  durationMs?: number;
  /** Total clients (without stages, split across the groups in proportion to their counts; with
   *  stages, the most concurrent clients, each stage scaled in proportion). */
  clients?: number;
  seed?: number;
  profile?: ProfileInput;
  firmwareConfig?: ConfigInput;
  /** Arrivals per second (adds a churn generator if the scenario has none). */
  churnRate?: number;
  /** Added to the scenario's own. */
  thresholds?: string[];
  link?: LinkInput;
  jitter?: JitterInput;
  /** Stall faults added to the scenario's (--stall). */
  stalls?: StallSpec[];
}

const SCENARIO_FIELDS = ['name', 'description', 'seed', 'durationMs', 'clients', 'broadcast', 'faults', 'device', 'stages', 'churn', 'thresholds', 'kind'];

/** Validates a scenario (a built-in name or an object) and applies the overrides; returns a copy. */
export function resolveScenario(input: string | Scenario = WS_STRESS_DEFAULTS.scenario, overrides: ScenarioOverrides = {}): Scenario {
  let src: unknown = input;
  if (typeof input === 'string') {
    src = SCENARIOS[input];
    if (!src) throw new TwincoreRangeError(`unknown scenario '${input}' (known: ${[...Object.keys(SCENARIOS), ...Object.keys(ECHO_SCENARIOS)].join(', ')}; or a .json file)`);
  }
  if (!isPlainObject(src)) throw new TwincoreTypeError('scenario must be a name or an object');
  const s = src;
  checkKeys(s, SCENARIO_FIELDS, 'scenario', 'scenario');
  if (s.kind !== undefined && s.kind !== 'ws') throw new TwincoreRangeError(`scenario.kind must be 'ws' or 'echo-churn', got '${String(s.kind)}'`);
  if (typeof s.name !== 'string' || s.name.length === 0 || s.name.length > 64) {
    throw new TwincoreTypeError('scenario.name must be a string of 1..64 characters');
  }
  if (s.description !== undefined && typeof s.description !== 'string') throw new TwincoreTypeError('scenario.description must be a string');
  if (!Array.isArray(s.clients)) throw new TwincoreTypeError('scenario.clients must be an array of client groups');
  if (!Array.isArray(s.faults ?? [])) throw new TwincoreTypeError('scenario.faults must be an array');
  if (!isPlainObject(s.broadcast)) throw new TwincoreTypeError('scenario.broadcast must be an object');
  const b = s.broadcast;
  checkKeys(b, ['rate', 'size', 'count'], 'scenario.broadcast', 'broadcast');
  const device = s.device === undefined ? {} : s.device;
  if (!isPlainObject(device)) throw new TwincoreTypeError('scenario.device must be an object');
  checkKeys(device, ['profile', 'firmwareConfig', 'fitLimits', 'link', 'jitter'], 'scenario.device', 'device');
  if (device.fitLimits !== undefined && typeof device.fitLimits !== 'boolean') throw new TwincoreTypeError('scenario.device.fitLimits must be true or false');
  const link = (overrides.link ?? device.link) as LinkInput | undefined;
  if (link !== undefined) {
    if (typeof link !== 'string' && !isPlainObject(link)) throw new TwincoreTypeError('scenario.device.link must be a link name or an object');
    resolveLink(link);
  }
  const jitter = (overrides.jitter ?? device.jitter) as JitterInput | undefined;
  if (jitter !== undefined && typeof jitter !== 'boolean') checkInt(jitter, 'scenario.device.jitter', 0, 0xffff_ffff);
  let stages: Stage[] | undefined;
  if (s.stages !== undefined) {
    if (!Array.isArray(s.stages) || s.stages.length === 0) throw new TwincoreTypeError('scenario.stages must be a non-empty array of {durationMs, clients, rate?}');
    stages = s.stages.map(checkStage);
    if (stages.length > 100) throw new TwincoreRangeError('scenario.stages: at most 100 stages');
  }
  const clients = (s.clients as unknown[]).map(checkGroup);
  if (clients.length === 0) throw new TwincoreRangeError('scenario.clients must have at least one client group');
  let durationMs: number;
  if (stages) {
    const total = stages.reduce((n, st) => n + st.durationMs, 0);
    if (total < 1) throw new TwincoreRangeError('scenario.stages: the stages must last at least 1 ms in all');
    if (s.durationMs !== undefined && checkInt(s.durationMs, 'scenario.durationMs', 1, MAX_MS) !== total) {
      throw new TwincoreRangeError(`scenario.durationMs (${String(s.durationMs)}) differs from the stages' total (${total}); give one of them`);
    }
    durationMs = total;
    if (overrides.durationMs !== undefined) {
      const d = checkInt(overrides.durationMs, 'durationMs', 1, MAX_MS);
      let acc = 0;
      let prevEnd = 0;
      stages = stages.map((st) => {
        acc += st.durationMs;
        const end = Math.round((acc * d) / total);
        const out = { ...st, durationMs: end - prevEnd };
        prevEnd = end;
        return out;
      });
      durationMs = d;
    }
    if (overrides.clients !== undefined) {
      const n = checkInt(overrides.clients, 'clients', 1, MAX_CLIENTS);
      const peak = Math.max(...stages.map((st) => st.clients));
      stages = stages.map((st) => ({ ...st, clients: peak === 0 ? 0 : Math.round((st.clients * n) / peak) }));
    }
  } else {
    durationMs = checkInt(overrides.durationMs ?? s.durationMs, 'scenario.durationMs', 1, MAX_MS);
  }
  let churn = s.churn === undefined ? undefined : checkChurn(s.churn);
  if (overrides.churnRate !== undefined) {
    const rate = checkInt(overrides.churnRate, 'churnRate', 1, 10_000);
    churn = churn ? { ...churn, rate } : { rate, sessionMs: WS_STRESS_DEFAULTS.churnSessionMs, behaviour: 'churn' };
  }
  const thresholds = [...(s.thresholds === undefined ? [] : checkThresholds(s.thresholds)),
    ...(overrides.thresholds ?? []).map((t, i) => parseThreshold(t, `threshold ${i + 1}`).source)];
  const out: Scenario = {
    name: s.name,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    seed: checkInt(overrides.seed ?? s.seed ?? 1, 'seed', 0, 0xffff_ffff),
    durationMs,
    clients,
    broadcast: {
      // The reference firmware's ranges (ReferenceFirmware.h kMaxRate, kMinTelemetry, kMaxTelemetry).
      rate: checkInt(b.rate, 'scenario.broadcast.rate', 1, 1000),
      size: checkInt(b.size, 'scenario.broadcast.size', 52, 64 * 1024),
      count: checkInt(b.count ?? 0, 'scenario.broadcast.count', 0, 1_000_000_000),
    },
    faults: [...((s.faults ?? []) as unknown[]).map(checkFault),
      ...(overrides.stalls ?? []).map((st): FaultSpec => ({ atMs: st.atMs, kind: st.task === 'loop' ? 'stall-loop' : 'stall-async-tcp', ms: st.ms,
        ...(st.everyMs !== undefined ? { everyMs: st.everyMs } : {}) }))],
    device: {
      profile: (overrides.profile ?? device.profile ?? 'esp32') as ProfileInput,
      firmwareConfig: { ...resolveConfig(device.firmwareConfig), ...resolveConfig(overrides.firmwareConfig) },
      fitLimits: device.fitLimits === undefined ? true : device.fitLimits,
      ...(link !== undefined ? { link } : {}),
      ...(jitter !== undefined ? { jitter } : {}),
    },
    ...(stages ? { stages } : {}),
    ...(churn ? { churn } : {}),
    ...(thresholds.length ? { thresholds } : {}),
  };
  resolveProfile(out.device.profile); // validates
  if (!stages && overrides.clients !== undefined) {
    const total = checkInt(overrides.clients, 'clients', 1, MAX_CLIENTS);
    out.clients = scaleClients(out.clients, total);
  }
  if (peakClients(out) > MAX_CLIENTS) throw new TwincoreRangeError(`a scenario may have at most ${MAX_CLIENTS} clients at once, this one has ${peakClients(out)}`);
  if (peakClients(out) === 0 && !out.churn) throw new TwincoreRangeError('scenario: no clients (every group has count 0)');
  return out;
}

/** Clients of the scenario's groups (without stages, all of them are connected at once). */
export function totalClients(s: Scenario): number {
  return s.stages ? Math.max(...s.stages.map((st) => st.clients)) : s.clients.reduce((n, g) => n + g.count, 0);
}

/** The most clients connected at once: the groups (or the stages' peak). */
export function peakClients(s: Scenario): number {
  return totalClients(s);
}

/** Arrivals of the churn generator in flight at most: the rate times the longest session plus a
 *  quarter second for the connect, upgrade and close (k6 would call the rest dropped iterations). */
export function churnConcurrency(c: ChurnSpec): number {
  return c.maxConcurrent ?? Math.min(1000, Math.ceil((c.rate * (c.sessionMs[1] + 250)) / 1000));
}

export interface LimitRaise {
  what: 'profile.maxConnections' | 'config.maxClients';
  from: number;
  to: number;
}

/** The reference firmware's WebSocket client limit (firmware/host/registry.cpp maxClients range). */
export const FIRMWARE_MAX_CLIENTS = 4096;

/** The device options a local target boots with: the profile and the firmware config, with the
 *  limits raised to fit the clients (unless device.fitLimits is false); `raised` lists what was. */
export function deviceFor(s: Scenario, headroom: number): { profile: Profile; config: Record<string, string>; raised: LimitRaise[] } {
  const profile = applyWifi(resolveProfile(s.device.profile), s.seed, s.device.link, s.device.jitter);
  const config = resolveConfig(s.device.firmwareConfig);
  const raised: LimitRaise[] = [];
  if (s.device.fitLimits !== false) {
    const churn = s.churn ? churnConcurrency(s.churn) : 0;
    const need = peakClients(s) + churn + 1; // + the control client
    const sockets = Math.min(4096, need + headroom);
    if (sockets > profile.maxConnections) {
      raised.push({ what: 'profile.maxConnections', from: profile.maxConnections, to: sockets });
      profile.maxConnections = sockets;
    }
    if (config.maxClients === undefined) {
      // The firmware takes at most FIRMWARE_MAX_CLIENTS: more are refused with a 503 (counted as
      // rejected connections, and said in the report).
      const to = Math.min(FIRMWARE_MAX_CLIENTS, Math.max(8, need));
      if (to > 8) raised.push({ what: 'config.maxClients', from: 8, to });
      config.maxClients = String(to);
    }
  }
  return { profile, config, raised };
}

// ---------------------------------------------------------------------------------------------
// Scenario files

/** Reads and validates a scenario file (a WebSocket scenario or `"kind": "echo-churn"`);
 *  errors name the file and the field. */
export function loadScenarioFile(file: string): Scenario | EchoChurnScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TwincoreRangeError(`cannot read scenario file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TwincoreRangeError(`scenario file ${file} is not JSON: ${(e as Error).message}`);
  }
  try {
    return checkScenarioObject(json);
  } catch (e) {
    (e as Error).message = `${file}: ${(e as Error).message}`;
    throw e;
  }
}

/** A parsed scenario file's object, validated (a WebSocket scenario is resolved without overrides
 *  to check it, but returned as written so overrides apply later). */
export function checkScenarioObject(json: unknown): Scenario | EchoChurnScenario {
  if (!isPlainObject(json)) throw new TwincoreTypeError('scenario must be a JSON object');
  if (json.kind === 'echo-churn') return checkEchoChurnScenario(json);
  resolveScenario(json as unknown as Scenario);
  return json as unknown as Scenario;
}

function checkEchoChurnScenario(o: Record<string, unknown>): EchoChurnScenario {
  checkKeys(o, ['kind', 'name', 'description', 'seed', 'durationMs', 'clients', 'tickMs', 'lineIntervalMs', 'maxLinesPerSession', 'endings', 'churnRate', 'device', 'thresholds'], 'scenario', 'echo-churn scenario');
  if (typeof o.name !== 'string' || !o.name) throw new TwincoreTypeError('scenario.name must be a string of 1..64 characters');
  const out: EchoChurnScenario = { kind: 'echo-churn', name: o.name };
  if (typeof o.description === 'string') out.description = o.description;
  if (o.seed !== undefined) out.seed = checkInt(o.seed, 'scenario.seed', 0, 0xffff_ffff);
  if (o.durationMs !== undefined) out.durationMs = checkInt(o.durationMs, 'scenario.durationMs', 1, MAX_MS);
  if (o.clients !== undefined) out.clients = checkInt(o.clients, 'scenario.clients', 1, MAX_CLIENTS);
  if (o.tickMs !== undefined) out.tickMs = checkInt(o.tickMs, 'scenario.tickMs', 0, 3_600_000);
  if (o.lineIntervalMs !== undefined) out.lineIntervalMs = checkInt(o.lineIntervalMs, 'scenario.lineIntervalMs', 0, 60_000);
  if (o.maxLinesPerSession !== undefined) out.maxLinesPerSession = checkInt(o.maxLinesPerSession, 'scenario.maxLinesPerSession', 1, 10_000);
  if (o.churnRate !== undefined) out.churnRate = checkInt(o.churnRate, 'scenario.churnRate', 1, 10_000);
  if (o.endings !== undefined) {
    if (!isPlainObject(o.endings)) throw new TwincoreTypeError('scenario.endings must be an object of weights');
    out.endings = Object.fromEntries(Object.entries(o.endings).map(([k, v]) => [k, checkInt(v, `scenario.endings.${k}`, 0, 1000)]));
  }
  if (o.device !== undefined) {
    if (!isPlainObject(o.device)) throw new TwincoreTypeError('scenario.device must be an object');
    checkKeys(o.device, ['profile', 'firmwareConfig'], 'scenario.device', 'device');
    if (o.device.profile !== undefined) resolveProfile(o.device.profile);
    out.device = { ...(o.device.profile !== undefined ? { profile: o.device.profile as ProfileInput } : {}),
      ...(o.device.firmwareConfig !== undefined ? { firmwareConfig: resolveConfig(o.device.firmwareConfig) } : {}) };
  }
  if (o.thresholds !== undefined) out.thresholds = checkThresholds(o.thresholds);
  return out;
}

/** The folder of the built-in scenario files. */
export function scenariosDir(): string {
  return path.join(packageRoot(), 'scenarios');
}

function loadBuiltins(): { ws: Record<string, Readonly<Scenario>>; echo: Record<string, Readonly<EchoChurnScenario>> } {
  const ws: Record<string, Readonly<Scenario>> = {};
  const echo: Record<string, Readonly<EchoChurnScenario>> = { 'echo-churn': { kind: 'echo-churn', name: 'echo-churn' } };
  const dir = scenariosDir();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const s = loadScenarioFile(path.join(dir, f));
    if ('kind' in s && s.kind === 'echo-churn') echo[s.name] = Object.freeze(s);
    else ws[s.name] = Object.freeze(s as Scenario);
  }
  return { ws, echo };
}

const BUILTINS = loadBuiltins();

/** The built-in WebSocket scenarios by name (scenarios/*.json, frozen). */
export const SCENARIOS: Readonly<Record<string, Readonly<Scenario>>> = Object.freeze(BUILTINS.ws);
/** The built-in echo-churn scenarios by name (scenarios/*.json with "kind": "echo-churn"). */
export const ECHO_SCENARIOS: Readonly<Record<string, Readonly<EchoChurnScenario>>> = Object.freeze(BUILTINS.echo);
export const ECHO_CHURN_SCENARIO: Readonly<EchoChurnScenario> = BUILTINS.echo['echo-churn']!;

// ---------------------------------------------------------------------------------------------
// The schedule

export interface ClientPlan {
  id: string;
  behaviour: Behaviour;
  wellBehaved: boolean;
  joinAtMs: number;
  /** When a ramp down removes it (ms since the start); null: it stays to the end. */
  leaveAtMs: number | null;
  /** The client's own PRNG seed: its choices do not depend on other clients' timing. */
  seed: number;
  sessionMs: Range;
  pauseMs: Range;
  readMs: Range;
  burst: number;
  intervalMs: number;
  messageSize: number;
}

export interface FaultEvent {
  atMs: number;
  kind: FaultName;
  count: number;
  /** stall-*: the stall's length (ms). */
  ms?: number;
  /** In [0, 1): which of the eligible clients the fault hits (index = floor(pick * n)). */
  pick: number;
}

export interface RateStep {
  atMs: number;
  rate: number;
}

export interface Schedule {
  clients: ClientPlan[];
  faults: FaultEvent[];
  /** The broadcast rate from each atMs on; the first is at 0. Each later step is a new run. */
  rates: RateStep[];
  /** The arrival generator: arrival i starts at i * 1000 / rate ms and lasts churnSessionMs(seed, i). */
  churn: (ChurnSpec & { seed: number; maxConcurrent: number }) | null;
}

function planFor(rng: Rng, g: ClientGroup, id: string, joinAtMs: number, leaveAtMs: number | null): ClientPlan {
  const d = WS_STRESS_DEFAULTS.behaviour;
  return {
    id, behaviour: g.behaviour, wellBehaved: WELL_BEHAVED.has(g.behaviour), joinAtMs, leaveAtMs,
    seed: randInt(rng, 0, 0xffff_ffff),
    sessionMs: g.sessionMs ?? d.sessionMs,
    pauseMs: g.pauseMs ?? d.pauseMs,
    readMs: g.readMs ?? d.readMs,
    burst: g.burst ?? d.burst,
    intervalMs: g.intervalMs ?? (g.behaviour === 'flood' ? d.floodIntervalMs : d.echoIntervalMs),
    messageSize: g.messageSize ?? d.messageSize,
  };
}

/** Join and leave times of the stages' concurrency curve: joins[k] for each client that joins
 *  (in order), and for each a leave time or null. A ramp down removes the latest joined. */
function stageTimes(stages: readonly Stage[]): { joinAt: number[]; leaveAt: (number | null)[] } {
  const joinAt: number[] = [];
  const leaveAt: (number | null)[] = [];
  const active: number[] = []; // indexes into joinAt, in join order
  let t0 = 0;
  let level = 0;
  for (const st of stages) {
    const a = level;
    const b = st.clients;
    const d = st.durationMs;
    if (b > a) {
      for (let k = a + 1; k <= b; k++) {
        // The first joins as the stage begins, the last one step before it ends.
        active.push(joinAt.length);
        joinAt.push(Math.round(t0 + (d * (k - a - 1)) / (b - a)));
        leaveAt.push(null);
      }
    } else if (b < a) {
      for (let k = a; k > b; k--) {
        const t = Math.round(t0 + (d * (a - k + 1)) / (a - b));
        const i = active.pop()!;
        leaveAt[i] = Math.max(joinAt[i]!, t);
      }
    }
    level = b;
    t0 += d;
  }
  return { joinAt, leaveAt };
}

/** The broadcast rate steps of a scenario: the initial rate, then one step per RATE_STEP_MS while
 *  a stage ramps the rate (only where the rounded rate changes). */
function rateSteps(s: Scenario): RateStep[] {
  const steps: RateStep[] = [{ atMs: 0, rate: s.broadcast.rate }];
  if (!s.stages) return steps;
  let t0 = 0;
  let from = s.broadcast.rate;
  const push = (atMs: number, rate: number): void => {
    const last = steps[steps.length - 1]!;
    if (rate === last.rate) return;
    if (atMs <= last.atMs) last.rate = rate;
    else steps.push({ atMs, rate });
  };
  for (const st of s.stages) {
    const to = st.rate ?? from;
    if (to !== from) {
      const n = Math.max(1, Math.floor(st.durationMs / RATE_STEP_MS));
      for (let i = 1; i <= n; i++) push(t0 + Math.round(((i - 1) * st.durationMs) / n), Math.round(from + ((to - from) * i) / n));
    }
    from = to;
    t0 += st.durationMs;
  }
  return steps.filter((st) => st.atMs < s.durationMs);
}

/** The seed's schedule for a (resolved) scenario. */
export function buildSchedule(s: Scenario): Schedule {
  const rng: Rng = createRng(s.seed);
  const d = WS_STRESS_DEFAULTS.behaviour;
  const clients: ClientPlan[] = [];
  const n: Partial<Record<Behaviour, number>> = {};
  const idOf = (b: Behaviour): string => `${b}-${(n[b] = (n[b] ?? 0) + 1)}`;
  if (!s.stages) {
    for (const g of s.clients) {
      for (let i = 0; i < g.count; i++) {
        const joinWithin = Math.min(g.joinWithinMs ?? d.joinWithinMs, Math.max(0, s.durationMs - 1));
        const joinAt = randInt(rng, 0, joinWithin);
        clients.push(planFor(rng, g, idOf(g.behaviour), joinAt, null));
      }
    }
  } else {
    const { joinAt, leaveAt } = stageTimes(s.stages);
    // The groups' mix over every client that joins, in a seeded order.
    const mix = scaleClients(s.clients, joinAt.length);
    const order: ClientGroup[] = mix.flatMap((g) => Array.from({ length: g.count }, () => g));
    for (let i = order.length - 1; i > 0; i--) {
      const j = randInt(rng, 0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.forEach((g, i) => clients.push(planFor(rng, g, idOf(g.behaviour), Math.min(joinAt[i]!, s.durationMs - 1), leaveAt[i]!)));
  }
  const faults: FaultEvent[] = [];
  for (const f of s.faults) {
    const until = Math.min(f.untilMs ?? s.durationMs, s.durationMs);
    if (f.atMs >= s.durationMs) continue;
    if (!f.everyMs) {
      faults.push({ atMs: f.atMs, kind: f.kind, count: f.count ?? 1, pick: rng(), ...(STALL_FAULTS.has(f.kind) ? { ms: f.ms ?? DEFAULT_STALL_MS } : {}) });
      continue;
    }
    const jitter = Math.floor(f.everyMs / 4);
    for (let t = f.atMs; t < until && faults.length < 100_000; t += f.everyMs) {
      const at = Math.min(until - 1, t + randInt(rng, 0, jitter));
      faults.push({ atMs: at, kind: f.kind, count: f.count ?? 1, pick: rng(), ...(STALL_FAULTS.has(f.kind) ? { ms: f.ms ?? DEFAULT_STALL_MS } : {}) });
    }
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  const churn = s.churn ? { ...s.churn, seed: randInt(rng, 0, 0xffff_ffff), maxConcurrent: churnConcurrency(s.churn) } : null;
  return { clients, faults, rates: rateSteps(s), churn };
}

/** The length of churn arrival i (a pure function of the schedule's churn seed). */
export function churnSessionMs(c: NonNullable<Schedule['churn']>, i: number): number {
  const rng = createRng((c.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  return randInt(rng, c.sessionMs[0], c.sessionMs[1]);
}

/** Checks a schedule read back from a report (--replay): the shape, not the choices. */
export function checkSchedule(v: unknown): Schedule {
  if (!isPlainObject(v) || !Array.isArray(v.clients) || !Array.isArray(v.faults)) {
    throw new TwincoreTypeError('report.schedule must be an object with clients and faults arrays (a report of `twincore stress --json`)');
  }
  v.clients.forEach((c, i) => {
    if (!isPlainObject(c) || typeof c.id !== 'string' || !BEHAVIOURS.includes(c.behaviour as Behaviour) || typeof c.joinAtMs !== 'number') {
      throw new TwincoreTypeError(`report.schedule.clients[${i}] is not a client plan`);
    }
  });
  v.faults.forEach((f, i) => {
    if (!isPlainObject(f) || !FAULT_NAMES.includes(f.kind as FaultName) || typeof f.atMs !== 'number' || typeof f.pick !== 'number') {
      throw new TwincoreTypeError(`report.schedule.faults[${i}] is not a fault event`);
    }
  });
  const rates = Array.isArray(v.rates) ? (v.rates as RateStep[]) : [];
  return { clients: v.clients as unknown as ClientPlan[], faults: v.faults as unknown as FaultEvent[], rates, churn: (v.churn ?? null) as Schedule['churn'] };
}
