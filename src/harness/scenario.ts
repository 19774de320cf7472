// A stress scenario is data: client groups (count + behaviour), a broadcast, faults, a duration,
// a device, and a seed. buildSchedule() turns it into a schedule of operations (who joins when,
// how long each session lasts, when each fault fires and whom it hits) fixed by the seed alone.
// (Timing still varies run to run: the seed fixes the choices, not the interleaving.)
import { TwincoreRangeError, TwincoreTypeError } from '../errors.js';
import { checkInt, isPlainObject, resolveConfig, resolveProfile, type ConfigInput, type ProfileInput } from '../options.js';
import type { Profile } from '../defaults.js';
import { WS_STRESS_DEFAULTS } from './defaults.js';
import { createRng, randInt, type Rng } from './rng.js';

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
/** Behaviours that read promptly: the server has no excuse to drop a message for them. */
export const WELL_BEHAVED: ReadonlySet<Behaviour> = new Set<Behaviour>(['reader', 'churn', 'echo', 'rst']);

export type Range = readonly [min: number, max: number];

export interface ClientGroup {
  count: number;
  behaviour: Behaviour;
  /** Each client joins at a seeded time in [0, joinWithinMs]. */
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
 *  inject-alloc / inject-accept: the next `count` heap allocations / accepts fail (addon only). */
export type FaultName = 'close-from-loop' | 'close-in-callback' | 'peer-reset' | 'inject-alloc' | 'inject-accept';
export const FAULT_NAMES: readonly FaultName[] = ['close-from-loop', 'close-in-callback', 'peer-reset', 'inject-alloc', 'inject-accept'];
/** Faults that need the in-process device. */
export const ADDON_ONLY_FAULTS: ReadonlySet<FaultName> = new Set<FaultName>(['inject-alloc', 'inject-accept']);

export interface FaultSpec {
  atMs: number;
  kind: FaultName;
  /** inject-*: operations to fail (default 1). */
  count?: number;
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
   *  (default true; a stock ESP32 takes 16 sockets and 8 WebSocket clients). */
  fitLimits?: boolean;
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
}

const SCENARIO_LIST: readonly Scenario[] = [
  {
    name: 'default',
    description:
      '12 readers, 2 slow readers, 3 churners, a resetting client and an echo client under a 50 Hz x 256 B ' +
      'broadcast, with closes from the loop task and from inside callbacks and peer resets mid-broadcast',
    seed: 1,
    durationMs: 8000,
    clients: [
      { count: 12, behaviour: 'reader' },
      { count: 2, behaviour: 'slow-reader' },
      { count: 3, behaviour: 'churn' },
      { count: 1, behaviour: 'rst', sessionMs: [200, 1500] },
      { count: 1, behaviour: 'echo' },
    ],
    broadcast: { rate: 50, size: 256, count: 0 },
    // The lifetime races the project exists for, at a pace that leaves most readers whole.
    faults: [
      { atMs: 700, kind: 'close-from-loop', everyMs: 900 },
      { atMs: 1000, kind: 'close-in-callback', everyMs: 1100 },
      { atMs: 1300, kind: 'peer-reset', everyMs: 1300 },
    ],
    device: { profile: 'esp32' },
  },
  {
    name: 'lifetime',
    description: 'closes from the loop task and from inside callbacks, and peer resets, during a 100 Hz broadcast',
    seed: 2,
    durationMs: 6000,
    clients: [
      { count: 6, behaviour: 'reader' },
      { count: 2, behaviour: 'churn', sessionMs: [100, 600] },
      { count: 2, behaviour: 'rst', sessionMs: [50, 400] },
      { count: 1, behaviour: 'echo' },
    ],
    broadcast: { rate: 100, size: 128, count: 0 },
    faults: [
      { atMs: 400, kind: 'close-from-loop', everyMs: 300 },
      { atMs: 550, kind: 'close-in-callback', everyMs: 300 },
      { atMs: 700, kind: 'peer-reset', everyMs: 400 },
    ],
    device: { profile: 'esp32' },
  },
  {
    name: 'backpressure',
    description: 'stalled and slow readers and a flooder under a 200 Hz x 1 KiB broadcast, closeOnQueueFull',
    seed: 3,
    durationMs: 5000,
    clients: [
      { count: 4, behaviour: 'reader' },
      { count: 3, behaviour: 'silent' },
      { count: 3, behaviour: 'slow-reader', pauseMs: [500, 2000], readMs: [50, 300] },
      { count: 1, behaviour: 'flood' },
    ],
    broadcast: { rate: 200, size: 1024, count: 0 },
    faults: [],
    device: { profile: 'esp32', firmwareConfig: { closeOnQueueFull: true } },
  },
  {
    name: 'faults',
    description: 'failed heap allocations and failed accepts during a broadcast (addon target only)',
    seed: 4,
    durationMs: 4000,
    clients: [
      { count: 6, behaviour: 'reader' },
      { count: 2, behaviour: 'churn', sessionMs: [100, 500] },
      { count: 1, behaviour: 'echo' },
    ],
    broadcast: { rate: 100, size: 200, count: 0 },
    faults: [
      { atMs: 500, kind: 'inject-alloc', count: 1, everyMs: 250 },
      { atMs: 600, kind: 'inject-accept', count: 1, everyMs: 500 },
    ],
    device: { profile: 'esp32' },
  },
  {
    name: 'smoke',
    description: 'two seconds, a few clients of each kind, one fault of each lifetime kind',
    seed: 5,
    durationMs: 2000,
    clients: [
      { count: 3, behaviour: 'reader' },
      { count: 1, behaviour: 'slow-reader' },
      { count: 1, behaviour: 'churn', sessionMs: [150, 400] },
      { count: 1, behaviour: 'rst', sessionMs: [150, 400] },
      { count: 1, behaviour: 'echo' },
    ],
    broadcast: { rate: 50, size: 128, count: 0 },
    faults: [
      { atMs: 700, kind: 'close-from-loop' },
      { atMs: 1000, kind: 'peer-reset' },
      { atMs: 1300, kind: 'close-in-callback' },
    ],
    device: { profile: 'esp32' },
  },
];

/** The built-in scenarios by name (frozen). The CLI also accepts 'echo-churn' (echo-churn.ts). */
export const SCENARIOS: Readonly<Record<string, Readonly<Scenario>>> = Object.freeze(
  Object.fromEntries(SCENARIO_LIST.map((s) => [s.name, Object.freeze(s)])),
);

/** What the CLI (or a caller) may change on a named scenario. */
export interface ScenarioOverrides {
  durationMs?: number;
  /** Total clients, split across the groups in proportion to their counts. */
  clients?: number;
  seed?: number;
  profile?: ProfileInput;
  firmwareConfig?: ConfigInput;
}

function checkRange(v: unknown, what: string, min: number, max: number): Range {
  if (!Array.isArray(v) || v.length !== 2) throw new TwincoreTypeError(`${what} must be [min, max]`);
  const a = checkInt(v[0], `${what}[0]`, min, max);
  const b = checkInt(v[1], `${what}[1]`, min, max);
  if (a > b) throw new TwincoreRangeError(`${what}: min ${a} > max ${b}`);
  return [a, b];
}

const MAX_MS = 24 * 3_600_000;

function checkGroup(g: unknown, i: number): ClientGroup {
  const w = `scenario.clients[${i}]`;
  if (!isPlainObject(g)) throw new TwincoreTypeError(`${w} must be an object`);
  const known = new Set(['count', 'behaviour', 'joinWithinMs', 'sessionMs', 'pauseMs', 'readMs', 'burst', 'intervalMs', 'messageSize']);
  for (const k of Object.keys(g)) if (!known.has(k)) throw new TwincoreTypeError(`${w}.${k} is not a client group field`);
  if (!BEHAVIOURS.includes(g.behaviour as Behaviour)) {
    throw new TwincoreRangeError(`${w}.behaviour must be one of ${BEHAVIOURS.join(', ')}, got '${String(g.behaviour)}'`);
  }
  const out: ClientGroup = { count: checkInt(g.count, `${w}.count`, 0, 1000), behaviour: g.behaviour as Behaviour };
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
  for (const k of Object.keys(f)) {
    if (!['atMs', 'kind', 'count', 'everyMs', 'untilMs'].includes(k)) throw new TwincoreTypeError(`${w}.${k} is not a fault field`);
  }
  if (!FAULT_NAMES.includes(f.kind as FaultName)) {
    throw new TwincoreRangeError(`${w}.kind must be one of ${FAULT_NAMES.join(', ')}, got '${String(f.kind)}'`);
  }
  const out: FaultSpec = { atMs: checkInt(f.atMs, `${w}.atMs`, 0, MAX_MS), kind: f.kind as FaultName };
  if (f.count !== undefined) out.count = checkInt(f.count, `${w}.count`, 1, 1_000_000);
  if (f.everyMs !== undefined) out.everyMs = checkInt(f.everyMs, `${w}.everyMs`, 10, MAX_MS);
  if (f.untilMs !== undefined) out.untilMs = checkInt(f.untilMs, `${w}.untilMs`, 0, MAX_MS);
  return out;
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

/** Validates a scenario (a built-in name or an object) and applies the overrides; returns a copy. */
export function resolveScenario(input: string | Scenario = WS_STRESS_DEFAULTS.scenario, overrides: ScenarioOverrides = {}): Scenario {
  let src: unknown = input;
  if (typeof input === 'string') {
    src = SCENARIOS[input];
    if (!src) throw new TwincoreRangeError(`unknown scenario '${input}' (known: ${Object.keys(SCENARIOS).join(', ')}, echo-churn)`);
  }
  if (!isPlainObject(src)) throw new TwincoreTypeError('scenario must be a name or an object');
  const s = src;
  for (const k of Object.keys(s)) {
    if (!['name', 'description', 'seed', 'durationMs', 'clients', 'broadcast', 'faults', 'device'].includes(k)) {
      throw new TwincoreTypeError(`scenario.${k} is not a scenario field`);
    }
  }
  if (typeof s.name !== 'string' || s.name.length === 0 || s.name.length > 64) {
    throw new TwincoreTypeError('scenario.name must be a string of 1..64 characters');
  }
  if (!Array.isArray(s.clients)) throw new TwincoreTypeError('scenario.clients must be an array');
  if (!Array.isArray(s.faults ?? [])) throw new TwincoreTypeError('scenario.faults must be an array');
  if (!isPlainObject(s.broadcast)) throw new TwincoreTypeError('scenario.broadcast must be an object');
  const b = s.broadcast;
  const device = s.device === undefined ? {} : s.device;
  if (!isPlainObject(device)) throw new TwincoreTypeError('scenario.device must be an object');
  for (const k of Object.keys(device)) {
    if (!['profile', 'firmwareConfig', 'fitLimits'].includes(k)) throw new TwincoreTypeError(`scenario.device.${k} is not a device field`);
  }
  const out: Scenario = {
    name: s.name,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    seed: checkInt(overrides.seed ?? s.seed ?? 1, 'seed', 0, 0xffff_ffff),
    durationMs: checkInt(overrides.durationMs ?? s.durationMs, 'durationMs', 1, MAX_MS),
    clients: (s.clients as unknown[]).map(checkGroup),
    broadcast: {
      // The reference firmware's ranges (ReferenceFirmware.h kMaxRate, kMinTelemetry, kMaxTelemetry).
      rate: checkInt(b.rate, 'scenario.broadcast.rate', 1, 1000),
      size: checkInt(b.size, 'scenario.broadcast.size', 52, 64 * 1024),
      count: checkInt(b.count ?? 0, 'scenario.broadcast.count', 0, 1_000_000_000),
    },
    faults: ((s.faults ?? []) as unknown[]).map(checkFault),
    device: {
      profile: (overrides.profile ?? device.profile ?? 'esp32') as ProfileInput,
      firmwareConfig: { ...resolveConfig(device.firmwareConfig), ...resolveConfig(overrides.firmwareConfig) },
      fitLimits: device.fitLimits === undefined ? true : Boolean(device.fitLimits),
    },
  };
  resolveProfile(out.device.profile); // validates
  if (overrides.clients !== undefined) {
    const total = checkInt(overrides.clients, 'clients', 1, 1000);
    out.clients = scaleClients(out.clients, total);
  }
  if (totalClients(out) > 1000) throw new TwincoreRangeError('a scenario may have at most 1000 clients');
  return out;
}

export function totalClients(s: Scenario): number {
  return s.clients.reduce((n, g) => n + g.count, 0);
}

/** The device options a local target boots with: the profile and the firmware config, with the
 *  limits raised to fit the clients (unless device.fitLimits is false). */
export function deviceFor(s: Scenario, headroom: number): { profile: Profile; config: Record<string, string> } {
  const profile = resolveProfile(s.device.profile);
  const config = resolveConfig(s.device.firmwareConfig);
  if (s.device.fitLimits !== false) {
    const need = totalClients(s) + 1; // + the control client
    profile.maxConnections = Math.max(profile.maxConnections, need + headroom);
    if (config.maxClients === undefined) config.maxClients = String(Math.max(8, need));
  }
  return { profile, config };
}

// ---------------------------------------------------------------------------------------------
// The schedule

export interface ClientPlan {
  id: string;
  behaviour: Behaviour;
  wellBehaved: boolean;
  joinAtMs: number;
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
  /** In [0, 1): which of the eligible clients the fault hits (index = floor(pick * n)). */
  pick: number;
}

export interface Schedule {
  clients: ClientPlan[];
  faults: FaultEvent[];
}

/** The seed's schedule for a (resolved) scenario. */
export function buildSchedule(s: Scenario): Schedule {
  const rng: Rng = createRng(s.seed);
  const d = WS_STRESS_DEFAULTS.behaviour;
  const clients: ClientPlan[] = [];
  const n: Partial<Record<Behaviour, number>> = {};
  for (const g of s.clients) {
    for (let i = 0; i < g.count; i++) {
      const k = (n[g.behaviour] = (n[g.behaviour] ?? 0) + 1);
      const joinWithin = Math.min(g.joinWithinMs ?? d.joinWithinMs, Math.max(0, s.durationMs - 1));
      clients.push({
        id: `${g.behaviour}-${k}`,
        behaviour: g.behaviour,
        wellBehaved: WELL_BEHAVED.has(g.behaviour),
        joinAtMs: randInt(rng, 0, joinWithin),
        seed: randInt(rng, 0, 0xffff_ffff),
        sessionMs: g.sessionMs ?? d.sessionMs,
        pauseMs: g.pauseMs ?? d.pauseMs,
        readMs: g.readMs ?? d.readMs,
        burst: g.burst ?? d.burst,
        intervalMs: g.intervalMs ?? (g.behaviour === 'flood' ? d.floodIntervalMs : d.echoIntervalMs),
        messageSize: g.messageSize ?? d.messageSize,
      });
    }
  }
  const faults: FaultEvent[] = [];
  for (const f of s.faults) {
    const until = Math.min(f.untilMs ?? s.durationMs, s.durationMs);
    if (f.atMs >= s.durationMs) continue;
    if (!f.everyMs) {
      faults.push({ atMs: f.atMs, kind: f.kind, count: f.count ?? 1, pick: rng() });
      continue;
    }
    const jitter = Math.floor(f.everyMs / 4);
    for (let t = f.atMs; t < until && faults.length < 100_000; t += f.everyMs) {
      const at = Math.min(until - 1, t + randInt(rng, 0, jitter));
      faults.push({ atMs: at, kind: f.kind, count: f.count ?? 1, pick: rng() });
    }
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return { clients, faults };
}
