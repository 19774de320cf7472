// Faults that make loopback behave like WiFi (README section of that name), as the stress runs
// take them: the link (--link), scheduling jitter (--jitter [seed]) and task stalls (--stall,
// scenario faults stall-async-tcp / stall-loop). The link and the jitter are profile knobs
// (twin::Profile link* / schedJitterSeed), so they travel with the profile to every target
// (the addon, a device process) and into the report; a stall is a timed command.
import { LINKS, PROFILE_LIMITS, parseLink, type LinkSpec, type Profile } from '../defaults.js';
import { TwincoreRangeError } from '../errors.js';
import { MAX_STALL_MS, STALL_TASKS, type StallTask } from '../types.js';

/** A link as a stress run takes it: a named link, `<kbps>:<rttMs>:<jitterMs>`, or the knobs. */
export type LinkInput = string | LinkSpec;

/** --jitter: true derives the seed from the run's seed; a number is the seed itself (0: off). */
export type JitterInput = boolean | number;

/** The link and jitter a run used, as reports show them. */
export interface WifiSettings {
  /** null: loopback (no link model). */
  link: (LinkSpec & { name: string | null; seed: number }) | null;
  /** Scheduling jitter seed; null: off. */
  jitterSeed: number | null;
}

export function resolveLink(input: LinkInput): LinkSpec {
  if (typeof input === 'string') {
    try {
      return parseLink(input);
    } catch (e) {
      throw new TwincoreRangeError((e as Error).message);
    }
  }
  const out = { ...LINKS.loopback! };
  for (const k of ['linkBandwidthKbps', 'linkRttMs', 'linkJitterMs'] as const) {
    const v = input[k];
    const [lo, hi] = PROFILE_LIMITS[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new TwincoreRangeError(`link.${k} must be an integer ${lo}..${hi}`);
    out[k] = v;
  }
  return out;
}

/** A seed derived from the run's seed (never 0, which means off): the same run seed gives the same
 *  jitter and link draws, so the run's seed reproduces them. */
export function derivedSeed(runSeed: number, salt: number): number {
  const x = (Math.imul((runSeed >>> 0) ^ salt, 0x9e3779b1) + 0x7f4a7c15) >>> 0;
  return x === 0 ? 1 : x;
}

/** The profile with the link and jitter applied (both optional: the profile's own stay). */
export function applyWifi(profile: Profile, runSeed: number, link?: LinkInput, jitter?: JitterInput): Profile {
  const out = { ...profile };
  if (link !== undefined) {
    Object.assign(out, resolveLink(link));
    out.linkSeed = derivedSeed(runSeed, 0x11);
  }
  if (jitter !== undefined && jitter !== false) {
    if (jitter === true) out.schedJitterSeed = derivedSeed(runSeed, 0x5c);
    else {
      const [lo, hi] = PROFILE_LIMITS.schedJitterSeed;
      if (!Number.isInteger(jitter) || jitter < lo || jitter > hi) throw new TwincoreRangeError(`jitter seed must be an integer ${lo}..${hi}`);
      out.schedJitterSeed = jitter;
    }
  }
  return out;
}

/** What a profile says about the link and jitter (for reports). */
export function wifiSettings(p: Profile): WifiSettings {
  const on = p.linkBandwidthKbps !== 0 || p.linkRttMs !== 0 || p.linkJitterMs !== 0;
  const name = Object.entries(LINKS).find(([, l]) => l.linkBandwidthKbps === p.linkBandwidthKbps && l.linkRttMs === p.linkRttMs &&
    l.linkJitterMs === p.linkJitterMs)?.[0] ?? null;
  return {
    link: on ? { name, linkBandwidthKbps: p.linkBandwidthKbps, linkRttMs: p.linkRttMs, linkJitterMs: p.linkJitterMs, seed: p.linkSeed } : null,
    jitterSeed: p.schedJitterSeed === 0 ? null : p.schedJitterSeed,
  };
}

/** One stall as the CLI gives it: `TASK:MS[@AT][+EVERY]` (AT and EVERY in seconds; AT default 1). */
export interface StallSpec {
  task: StallTask;
  ms: number;
  atMs: number;
  everyMs?: number;
}

export const STALL_FORMAT = 'async_tcp|loop:MS[@AT_S][+EVERY_S]';

export function parseStall(value: string): StallSpec {
  const m = /^([a-z_]+):(\d+)(?:@(\d+(?:\.\d+)?))?(?:\+(\d+(?:\.\d+)?))?$/.exec(value);
  if (!m) throw new TwincoreRangeError(`--stall takes ${STALL_FORMAT} (e.g. async_tcp:200@2+5), got '${value}'`);
  const task = m[1] as StallTask;
  if (!STALL_TASKS.includes(task)) throw new TwincoreRangeError(`--stall: unknown task '${m[1]}' (${STALL_TASKS.join(', ')})`);
  const ms = Number(m[2]);
  if (ms < 1 || ms > MAX_STALL_MS) throw new TwincoreRangeError(`--stall: the stall must be 1..${MAX_STALL_MS} ms, got ${ms}`);
  const out: StallSpec = { task, ms, atMs: Math.round(Number(m[3] ?? '1') * 1000) };
  if (m[4] !== undefined) {
    out.everyMs = Math.round(Number(m[4]) * 1000);
    if (out.everyMs < 10) throw new TwincoreRangeError(`--stall: the repeat period must be at least 0.01 s, got ${m[4]}`);
  }
  return out;
}

/** The times (ms from the run's start) a stall fires within durationMs. */
export function stallTimes(s: StallSpec, durationMs: number): number[] {
  const out: number[] = [];
  for (let t = s.atMs; t < durationMs && out.length < 100_000; t += s.everyMs ?? Infinity) out.push(t);
  return out;
}
