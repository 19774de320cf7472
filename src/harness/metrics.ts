// Load-tool metrics: latency histograms, the device-to-harness clock offset, and the timeline
// (values per time window) that the summary, the thresholds and the HTML report read.
//
// Histogram: log-linear buckets over integer microseconds, 64 sub-buckets per power of two
// (values below 128 us are exact; above, a bucket is at most 1/64 = 1.6 % wide), so a run of any
// length keeps a fixed 1728-entry array per histogram, not every sample.
//
// Clock (ClockSync): telemetry carries the device's `ts` = millis(), the device's own clock
// (twin::uptimeMs(): steady_clock since the device process, or the addon, started; on a board,
// since boot). The harness receives at `recv` = performance.now(). The offset between the two
// clocks is not known from either, whatever the target (in-process the addon's clock starts when
// the addon is loaded, not at the JS time origin), so it is bounded from the wire:
//   upper: every message arrives after it was sent: offset <= recv - ts for every message, so
//          offset <= min(recv - ts) (the fastest message);
//   lower: message 1 of a broadcast run is sent (ts_1) after the `start` command that began the
//          run was handled, which is after the harness sent it at t1: offset > t1 - ts_1 - 1
//          (- 1: ts is millis(), truncated).
// The estimate is the middle of [lower, upper] (as NTP assumes a symmetric path), and half the
// width is the stated uncertainty: on loopback about a millisecond (one round trip), on a
// board's WiFi about half a round trip. Both clocks are steady: in this process and a device
// process on the same machine they are the same CLOCK_MONOTONIC, so there is no drift; a board's
// crystal drifts by tens of ppm (under 40 ms in a 10-minute run), which is not corrected.
// Latencies are recorded relative to the lower bound as soon as it is known (messages that arrive
// before it are held, bounded), and shifted once at the end: percentiles shift exactly.

export const HIST_SUB = 64;
const HIST_EXACT = 2 * HIST_SUB; // 128
const HIST_BUCKETS = HIST_EXACT + 25 * HIST_SUB; // up to 2^31 us (35 min)
const HIST_MAX_US = 2 ** 31 - 1;

function bucketOf(us: number): number {
  if (us < HIST_EXACT) return us;
  const b = 31 - Math.clz32(us); // floor(log2), >= 7
  const shift = b - 6;
  return HIST_EXACT + (b - 7) * HIST_SUB + ((us >>> shift) - HIST_SUB);
}

/** The middle of a bucket, in us. */
function bucketValue(i: number): number {
  if (i < HIST_EXACT) return i;
  const k = i - HIST_EXACT;
  const b = 7 + Math.floor(k / HIST_SUB);
  const shift = b - 6;
  const lo = ((k % HIST_SUB) + HIST_SUB) * 2 ** shift;
  return lo + 2 ** shift / 2;
}

export interface Percentiles {
  count: number;
  /** Milliseconds, 3 decimals; null without samples. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
  min: number | null;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class Histogram {
  readonly counts = new Uint32Array(HIST_BUCKETS);
  count = 0;
  sumUs = 0;
  maxUs = 0;
  minUs = Infinity;

  /** Records a value in milliseconds (negative counts as 0). */
  record(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us > 0)) us = 0;
    if (us > HIST_MAX_US) us = HIST_MAX_US;
    this.counts[bucketOf(us)]!++;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
    if (us < this.minUs) this.minUs = us;
  }

  merge(h: Histogram): void {
    for (let i = 0; i < HIST_BUCKETS; i++) this.counts[i]! += h.counts[i]!;
    this.count += h.count;
    this.sumUs += h.sumUs;
    this.maxUs = Math.max(this.maxUs, h.maxUs);
    this.minUs = Math.min(this.minUs, h.minUs);
  }

  /** The value (ms) at quantile q in [0, 1]; null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketValue(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  /** p50/p90/p99/max/mean/min in ms, each minus `shiftMs` and clamped at 0. */
  summary(shiftMs = 0): Percentiles {
    const f = (v: number | null): number | null => (v === null ? null : round3(Math.max(0, v - shiftMs)));
    if (this.count === 0) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null, min: null };
    return {
      count: this.count,
      p50: f(this.quantile(0.5)),
      p90: f(this.quantile(0.9)),
      p99: f(this.quantile(0.99)),
      max: f(this.maxUs / 1000),
      mean: f(this.sumUs / this.count / 1000),
      min: f(this.minUs / 1000),
    };
  }
}

export interface ClockEstimate {
  /** 'round-trip': bounded below by a `start` round trip and above by the fastest message;
   *  'min-delay': only the upper bound was known (latencies are above the fastest message). */
  method: 'round-trip' | 'min-delay' | 'none';
  /** Harness time (performance.now()) minus device time (millis()), in ms. */
  offsetMs: number | null;
  /** Half the width of [lower, upper]: each latency is known to within this (plus 1 ms of
   *  millis() resolution). null when only one bound was known. */
  uncertaintyMs: number | null;
  lowerMs: number | null;
  upperMs: number | null;
}

/** Bounds the device-to-harness clock offset from the wire (see the top of this file) and records
 *  broadcast latencies relative to it. */
export class ClockSync {
  /** performance.now() when the `start` of each broadcast run (epoch) was sent. */
  readonly #startSent = new Map<number, number>();
  #lower = -Infinity;
  #upper = Infinity;
  /** Raw (recv - ts) values are recorded as (raw - zero) once zero is known. */
  #zero: number | null = null;
  #pending: { raw: number; sink: Histogram[] }[] = [];
  static readonly MAX_PENDING = 100_000;

  startSent(epoch: number, at: number): void {
    this.#startSent.set(epoch, at);
  }

  /** A calibration round (before the clients join): `start` sent at t1, message 1 of that run
   *  stamped ts, received at recv. Tightens both bounds; the best of a few rounds wins. */
  calibrate(t1: number, ts: number, recv: number): void {
    const lower = t1 - ts - 1;
    if (lower > this.#lower) this.#lower = lower;
    if (recv - ts < this.#upper) this.#upper = recv - ts;
    if (this.#zero === null) this.#setZero(lower);
  }

  /** A telemetry message: seq of run `epoch`, device time ts, received at recv. Records its
   *  latency into every histogram of `sinks`. */
  observe(epoch: number, seq: number, ts: number, recv: number, sinks: Histogram[]): void {
    const raw = recv - ts;
    if (raw < this.#upper) this.#upper = raw;
    if (seq === 1) {
      const t1 = this.#startSent.get(epoch);
      if (t1 !== undefined) {
        const lower = t1 - ts - 1;
        if (lower > this.#lower) this.#lower = lower;
        if (this.#zero === null) this.#setZero(lower);
      }
    }
    if (this.#zero === null) {
      this.#pending.push({ raw, sink: sinks });
      if (this.#pending.length >= ClockSync.MAX_PENDING) this.#setZero(this.#upper - 1);
      return;
    }
    for (const h of sinks) h.record(raw - this.#zero);
  }

  /** The bounds so far: lower null until a run's first message was seen; upper Infinity before
   *  any message. */
  bounds(): { lower: number | null; upper: number } {
    return { lower: this.#lower > -Infinity ? this.#lower : null, upper: this.#upper };
  }

  #setZero(z: number): void {
    this.#zero = z;
    for (const p of this.#pending) for (const h of p.sink) h.record(p.raw - z);
    this.#pending = [];
  }

  /** Flushes held samples (the run is over) and returns the estimate; `shiftMs` is what to
   *  subtract from the recorded values to get latencies. */
  finish(): ClockEstimate & { shiftMs: number } {
    if (this.#zero === null) {
      if (this.#upper === Infinity) return { method: 'none', offsetMs: null, uncertaintyMs: null, lowerMs: null, upperMs: null, shiftMs: 0 };
      this.#setZero(this.#upper - 1);
    }
    const zero = this.#zero!;
    const haveLower = this.#lower > -Infinity && this.#lower <= this.#upper;
    const offset = haveLower ? (this.#lower + this.#upper) / 2 : this.#upper;
    return {
      method: haveLower ? 'round-trip' : 'min-delay',
      offsetMs: round3(offset),
      uncertaintyMs: haveLower ? round3((this.#upper - this.#lower) / 2) : null,
      lowerMs: haveLower ? round3(this.#lower) : null,
      upperMs: round3(this.#upper),
      shiftMs: offset - zero,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The timeline

/** One window of the run (values over [t - intervalMs, t]). */
export interface TimelinePoint {
  /** End of the window, ms since the client phase began. */
  t: number;
  phase: string;
  /** Sessions open at the end of the window (the harness's side). */
  clients: number;
  /** Telemetry messages and bytes received per second in the window (all clients). */
  msgsPerSec: number;
  bytesPerSec: number;
  /** Sessions opened per second in the window. */
  connectsPerSec: number;
  /** Broadcast latency (ms) of the messages received in the window; null without any. */
  latency: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** Echo round trips (ms) completed in the window. */
  echo: { p50: number | null; p99: number | null; max: number | null };
  /** Broadcast rate asked for at the end of the window (msgs/s). */
  rate: number | null;
  /** From the latest /stats sample in the window (null: none): connected clients on the device,
   *  the deepest client queue, messages queued in all, heap the core holds, drops so far. */
  server: { clients: number; maxQueue: number; queued: number; heapHeld: number; dropped: number } | null;
  /** The twin's heap in use (addon: live; null elsewhere). */
  deviceHeap: number | null;
}

export interface FaultMark {
  t: number;
  kind: string;
  detail?: string;
}

export interface Timeline {
  intervalMs: number;
  points: TimelinePoint[];
  faults: FaultMark[];
  /** Phase changes (drain, settle, stop) in ms since the client phase began. */
  phases: { t: number; phase: string }[];
}

/** Window length for a run of durationMs: about 120..240 points, at least 250 ms. */
export function timelineInterval(durationMs: number): number {
  return Math.max(250, Math.ceil(durationMs / 160 / 250) * 250);
}

/** Keeps a run's timeline: counters add up within the current window; close() ends a window. */
export class TimelineRecorder {
  readonly intervalMs: number;
  readonly points: TimelinePoint[] = [];
  readonly faults: FaultMark[] = [];
  readonly phases: { t: number; phase: string }[] = [];
  readonly maxPoints: number;
  #msgs = 0;
  #bytes = 0;
  #connects = 0;
  #lat = new Histogram();
  #echo = new Histogram();
  #lastT = 0;
  #server: TimelinePoint['server'] = null;

  constructor(intervalMs: number, maxPoints = 20_000) {
    this.intervalMs = intervalMs;
    this.maxPoints = maxPoints;
  }

  /** The histograms of the current window (latency sinks hand these to ClockSync). */
  get latencyWindow(): Histogram {
    return this.#lat;
  }

  message(bytes: number): void {
    this.#msgs++;
    this.#bytes += bytes;
  }

  bytes(n: number): void {
    this.#bytes += n;
  }

  connect(): void {
    this.#connects++;
  }

  echo(ms: number): void {
    this.#echo.record(ms);
  }

  server(s: NonNullable<TimelinePoint['server']>): void {
    const prev = this.#server;
    // Within a window keep the deepest queue seen.
    this.#server = prev ? { ...s, maxQueue: Math.max(prev.maxQueue, s.maxQueue) } : s;
  }

  fault(t: number, kind: string, detail?: string): void {
    if (this.faults.length < 100_000) this.faults.push(detail ? { t, kind, detail } : { t, kind });
  }

  phase(t: number, phase: string): void {
    this.phases.push({ t, phase });
  }

  /** Ends the window at t (ms since the client phase began). */
  close(t: number, extra: { phase: string; clients: number; rate: number | null; deviceHeap: number | null }): void {
    const span = Math.max(1, t - this.#lastT) / 1000;
    const lat = this.#lat.summary();
    const echo = this.#echo.summary();
    if (this.points.length < this.maxPoints) {
      this.points.push({
        t: Math.round(t), phase: extra.phase, clients: extra.clients,
        msgsPerSec: Math.round(this.#msgs / span), bytesPerSec: Math.round(this.#bytes / span),
        connectsPerSec: Math.round((this.#connects / span) * 10) / 10,
        latency: { p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max },
        echo: { p50: echo.p50, p99: echo.p99, max: echo.max },
        rate: extra.rate, server: this.#server, deviceHeap: extra.deviceHeap,
      });
    }
    this.#lastT = t;
    this.#msgs = 0;
    this.#bytes = 0;
    this.#connects = 0;
    this.#lat = new Histogram();
    this.#echo = new Histogram();
  }

  /** The latency values were recorded relative to the clock's provisional zero: shift them. */
  finish(latencyShiftMs: number): Timeline {
    const s = (v: number | null): number | null => (v === null ? null : round3(Math.max(0, v - latencyShiftMs)));
    for (const p of this.points) p.latency = { p50: s(p.latency.p50), p90: s(p.latency.p90), p99: s(p.latency.p99), max: s(p.latency.max) };
    return { intervalMs: this.intervalMs, points: this.points, faults: this.faults, phases: this.phases };
  }
}

/** The event-loop delay monitor's sampling period (perf_hooks.monitorEventLoopDelay). */
export const LOOP_DELAY_RESOLUTION_MS = 10;

/** The harness's own event-loop delay (ms): the monitor's intervals less its period. This is
 *  what a starved harness adds to every latency it measures. */
export function loopDelaySummary(h: { count: number; percentile(p: number): number; max: number }): { p50: number | null; p99: number | null; max: number | null } {
  const f = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) * 100) / 100);
  return h.count ? { p50: f(h.percentile(50)), p99: f(h.percentile(99)), max: f(h.max) } : { p50: null, p99: null, max: null };
}
