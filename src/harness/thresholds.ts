// Thresholds, as k6 has them: `metric<op>value` expressions over a run's metrics (README "Thresholds").
// A broken threshold fails the run with its own exit code (99, as k6's), distinct from an
// invariant violation (1): the firmware did nothing wrong, it was only slower than asked.
//
//   latency.p99<50      broadcast latency p99 under 50 ms
//   echo.max<=200       slowest echo round trip
//   msgs.rate>=900      telemetry messages received per second, whole run
//   connect.failed==0   sessions that could not connect
//
// A threshold whose metric has no value in this run (no echo client, say) is broken ("no data"):
// a limit that could not be checked is not a pass.
import { TwincoreRangeError, TwincoreTypeError } from '../errors.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  /** The expression as written. */
  source: string;
  metric: string;
  op: ThresholdOp;
  value: number;
}

export interface ThresholdResult extends Threshold {
  ok: boolean;
  /** The metric's value in this run; null when it had none. */
  actual: number | null;
}

/** Every metric a threshold may name, with what it measures (shown by `twincore help stress`). */
export const THRESHOLD_METRICS: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(['latency', 'echo', 'connect', 'handshake'].flatMap((m) =>
    ['p50', 'p90', 'p99', 'max', 'mean', 'min', 'count'].map((s) => [`${m}.${s}`, `${m} ${s === 'count' ? 'samples' : `${s} (ms)`}`]))),
  'msgs.rate': 'messages received per second (whole run)',
  'msgs.count': 'messages received',
  'bytes.rate': 'bytes received per second',
  'bytes.count': 'bytes received',
  'connections.rate': 'connections opened per second',
  'connections.count': 'connections opened',
  'connect.failed': 'connection attempts that failed (refused, timed out, or rejected by the firmware)',
  'clients.never_connected': 'scenario clients that never connected',
  'dropped': 'messages the device dropped on a full queue (this run)',
  'queue.max': 'deepest client data queue seen on /stats',
  'heap.max': 'most heap bytes the core held (/stats heapHeld)',
  'faults.skipped': 'faults the target could not run',
  'violations': 'invariant violations',
});

const EXPR = /^\s*([a-z_]+(?:\.[a-z0-9_]+)?)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/i;

/** Parses one expression; `where` names it in errors (e.g. "--threshold" or "scenario.thresholds[1]"). */
export function parseThreshold(source: unknown, where = 'threshold'): Threshold {
  if (typeof source !== 'string') throw new TwincoreTypeError(`${where} must be a string like "latency.p99<50", got ${typeof source}`);
  const m = EXPR.exec(source);
  if (!m) throw new TwincoreRangeError(`${where}: '${source}' is not <metric><op><number> (e.g. "latency.p99<50"; ops < <= > >= == !=)`);
  const metric = m[1]!.toLowerCase();
  if (!(metric in THRESHOLD_METRICS)) {
    throw new TwincoreRangeError(`${where}: unknown metric '${metric}' (known: ${Object.keys(THRESHOLD_METRICS).join(', ')})`);
  }
  return { source: source.trim(), metric, op: m[2] as ThresholdOp, value: Number(m[3]) };
}

function compare(a: number, op: ThresholdOp, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** Evaluates thresholds against a flat metric table (metric name -> value or null). */
export function evaluateThresholds(thresholds: readonly Threshold[], values: Readonly<Record<string, number | null>>): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = values[t.metric] ?? null;
    return { ...t, actual, ok: actual !== null && compare(actual, t.op, t.value) };
  });
}
