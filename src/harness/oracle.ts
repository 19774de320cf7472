// The oracle: invariants checked on what the clients saw and the device reported, never timings.
// It is a pure function of an OracleInput (traces and counters), so it can be fed crafted traces.
//
// Invariants (Violation.invariant):
//   no-crash             the device stayed up to the end; a device process exited 0, by no signal
//   no-sanitizer-report  a sanitizer build wrote no ASan/LSan/UBSan/TSan report
//   broadcast-ran        the broadcast ran (N > 0 messages) and some well-behaved client received
//                        one: a run that tested nothing does not pass
//   broadcast-once       no client received a telemetry seq twice
//   broadcast-in-order   no client received a telemetry seq after a later one
//   broadcast-complete   a well-behaved client received every message sent while it was connected:
//                        every seq after the one the server reported when it joined (its `stats`
//                        reply), contiguous up to its last one, and up to N if it was still connected
//                        when the broadcast stopped. Misses are excused only as far as the server
//                        counted them: failed allocations for anyone; drops on a full queue too for
//                        slow, silent and flooding clients
//   broadcast-intact     every telemetry message parsed and was exactly `size` bytes
//   echo                 echo replies came once, in order, and (for a well-behaved client) each
//                        within the op timeout while the connection stayed open
//   fault-close          a client that asked the server to close it ({"cmd":"close"}) was closed,
//                        with the code it asked for
//   connect-disconnect   after every client closed, the firmware counted one DISCONNECT per CONNECT
//                        and no client left (a board: CONNECT - DISCONNECT = clients still there)
//   clean-stop           after stop: no AsyncClient alive, no connection open, no heap held, no
//                        device thread (addon counters; a device process's EXIT counters)
//   queue-bound          no client's data queue was seen above its bound (sampled from /stats)
//   coverage             the run tested something: at least one of the scenario's clients connected
//
// Counts from /stats are this run's: differences from a sample taken before the run (a board's
// counters run from its boot). A broadcast of several runs (a scenario whose stages change the
// rate) is checked run by run: a telemetry key is epoch * EPOCH_SPAN + seq (ws-clients.ts).
// An interrupted run (Ctrl-C) is not drained or settled: the checks that need that are skipped.
import type { StopReport } from '../types.js';
import type { Behaviour } from './scenario.js';
import type { TargetKind } from './targets.js';

export type Invariant =
  | 'no-crash' | 'no-sanitizer-report' | 'broadcast-ran' | 'broadcast-once' | 'broadcast-in-order'
  | 'broadcast-complete' | 'broadcast-intact' | 'echo' | 'fault-close' | 'connect-disconnect'
  | 'clean-stop' | 'queue-bound' | 'coverage';

/** Telemetry keys of broadcast run e are e * EPOCH_SPAN + seq (seq < 2^32). */
export const EPOCH_SPAN = 2 ** 32;

export interface Violation {
  invariant: Invariant | (string & {});
  detail: string;
}

/** A sequence of numbers in arrival order, stored as contiguous ascending ranges: a clean trace is
 *  one range whatever its length; each gap, duplicate or reordering starts a new one. */
export type SeqRanges = [first: number, last: number][];

/** Records numbers in arrival order into SeqRanges, bounded to maxRanges entries. */
export class SeqRecorder {
  readonly ranges: SeqRanges = [];
  count = 0;
  /** True once maxRanges was reached: later numbers are counted, not stored. */
  overflow = false;
  constructor(private readonly maxRanges = 10_000) {}

  push(n: number): void {
    this.count++;
    const last = this.ranges[this.ranges.length - 1];
    if (last && n === last[1] + 1) {
      last[1] = n;
    } else if (this.ranges.length < this.maxRanges) {
      this.ranges.push([n, n]);
    } else {
      this.overflow = true;
    }
  }

  get last(): number | undefined {
    return this.ranges[this.ranges.length - 1]?.[1];
  }

  static of(seqs: readonly number[]): SeqRecorder {
    const r = new SeqRecorder();
    for (const n of seqs) r.push(n);
    return r;
  }
}

export interface SeqAnalysis {
  received: number;
  first: number | null;
  max: number | null;
  /** Numbers between first and max never received. */
  gaps: number;
  duplicates: number;
  reorders: number;
  /** A few examples for the report. */
  examples: string[];
}

/** Duplicates, reorderings and gaps of a trace. A number at or below the highest seen so far is a
 *  duplicate if it was received before, a reordering (a late arrival) if not. */
export function analyzeSeqs(ranges: SeqRanges): SeqAnalysis {
  const seen: [number, number][] = []; // disjoint, sorted
  const out: SeqAnalysis = { received: 0, first: null, max: null, gaps: 0, duplicates: 0, reorders: 0, examples: [] };
  const example = (s: string): void => { if (out.examples.length < 3) out.examples.push(s); };
  const overlap = (a: number, b: number): number => {
    let n = 0;
    for (const [x, y] of seen) n += Math.max(0, Math.min(b, y) - Math.max(a, x) + 1);
    return n;
  };
  const add = (a: number, b: number): void => {
    const last = seen[seen.length - 1];
    if (!last || a >= last[0]) {
      // In order (the usual case): [a, b] can only touch the last interval, so extending it or
      // appending gives what the sort and merge below would, in O(1).
      if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
      else seen.push([a, b]);
      return;
    }
    seen.push([a, b]);
    seen.sort((p, q) => p[0] - q[0]);
    const merged: [number, number][] = [];
    for (const r of seen) {
      const m = merged[merged.length - 1];
      if (m && r[0] <= m[1] + 1) m[1] = Math.max(m[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    seen.splice(0, seen.length, ...merged);
  };
  for (const [a, b] of ranges) {
    out.received += b - a + 1;
    if (out.first === null) out.first = a;
    if (out.max !== null && a <= out.max) {
      const dup = overlap(a, b);
      out.duplicates += dup;
      const late = Math.min(b, out.max) - a + 1 - dup;
      out.reorders += Math.max(0, late);
      example(dup > 0 ? `seq ${a} again after ${out.max}` : `seq ${a} after ${out.max}`);
    } else if (out.max !== null && a > out.max + 1) {
      example(`seqs ${out.max + 1}..${a - 1} missing`);
    }
    add(a, b);
    out.max = out.max === null ? b : Math.max(out.max, b);
  }
  if (out.first !== null && out.max !== null) {
    let have = 0;
    for (const [x, y] of seen) have += Math.max(0, Math.min(out.max, y) - Math.max(out.first, x) + 1);
    out.gaps = out.max - out.first + 1 - have;
  }
  return out;
}

export type SessionEnd = 'harness' | 'server-close' | 'fault-close' | 'reset' | 'error';

/** What one WebSocket connection of one client saw. */
export interface SessionTrace {
  client: string;
  behaviour: Behaviour | 'control';
  wellBehaved: boolean;
  session: number;
  /** broadcast.seq in the server's reply to this session's first `stats` command (sent right after
   *  the upgrade): every later telemetry message must reach it. null without a reply. */
  seqAtJoin: number | null;
  /** The broadcast run seqAtJoin refers to (default 0, the first). */
  joinEpoch?: number;
  /** Telemetry keys (epoch * EPOCH_SPAN + seq; for a single run, the seqs) in arrival order. */
  telemetry: SeqRanges;
  telemetryOverflow?: boolean;
  /** Telemetry messages that did not parse or were not exactly the broadcast size. */
  malformed: number;
  malformedExample?: string;
  /** Still open when the broadcast stopped, until the harness closed it after the drain. */
  survived: boolean;
  end: SessionEnd;
  closeCode: number | null;
  /** Echo requests (echo, flood) and their numbered replies in arrival order. */
  echo?: { sent: number; replies: SeqRanges; timeouts: number; mismatches: number };
  /** A close this session asked for with {"cmd":"close"}. */
  faultClose?: { from: 'loop' | 'callback'; code: number; closed: boolean; closeCode: number | null; refused?: string };
}

export interface ServerCounts {
  events: { connect: number; disconnect: number };
  clients: number;
  connected: number;
  dropped: number;
  closedOnFull: number;
  allocFailures: number;
}

export interface OracleInput {
  targetKind: TargetKind;
  /** The broadcast size in bytes (every telemetry message is exactly this long). */
  broadcastSize: number;
  /** N: the last seq of the (last) broadcast run (from the `stopped` reply or /stats); null if unknown. */
  broadcastSent: number | null;
  /** N of every broadcast run in order, when there were several (the last equals broadcastSent). */
  epochs?: (number | null)[];
  sessions: SessionTrace[];
  /** /stats once every client closed (null: unreachable). */
  finalStats: ServerCounts | null;
  /** /stats before the run: finalStats minus this is the run's own (a board counts from boot).
   *  Absent: zeros (a device booted for the run). */
  baseline?: ServerCounts | null;
  /** Scenario clients, and how many of them connected at least once (absent: not checked). */
  coverage?: { planned: number; connected: number };
  /** The run was interrupted: no drain, no settle; the checks that need them are skipped. */
  interrupted?: boolean;
  /** Heap allocations that failed on the device (twin counters; /stats has the core's own). */
  deviceAllocFailures: number;
  queue: { bound: number; maxSeen: number; samples: number };
  /** The device was running when the clients were done. */
  aliveAtEnd: boolean;
  /** null for a board (nothing was stopped). */
  stop: StopReport | null;
}

/** The checks on a local device's stop report, shared by the stress run and the echo churn: no
 *  sanitizer report, no crash, and the final counters at zero. `device` names the device in the
 *  missing-counters message; `heap` and `servers` add the heapUsed and serversListening checks. */
export function checkStop(stop: StopReport, opts: { device?: string; heap?: boolean; servers?: boolean } = {}): Violation[] {
  const v: Violation[] = [];
  const add = (invariant: Invariant, detail: string): void => { v.push({ invariant, detail }); };
  if (stop.sanitizerReports.length > 0) {
    add('no-sanitizer-report', `${stop.sanitizerReports.length} sanitizer report(s); the first:\n${stop.sanitizerReports[0]}`);
  }
  if (stop.signal) add('no-crash', `the device process died of ${stop.signal}`);
  else if (stop.exitCode !== 0) add('no-crash', `the device exited with code ${stop.exitCode}`);
  const c = stop.counters;
  if (!c) {
    add('clean-stop', `the ${opts.device ?? 'device'} reported no final counters`);
    return v;
  }
  if (c.clientsAlive !== 0) add('clean-stop', `${c.clientsAlive} AsyncClient(s) alive after stop`);
  if (c.connectionsOpen !== 0) add('clean-stop', `${c.connectionsOpen} connection(s) open after stop`);
  if (opts.heap && c.heapUsed !== 0) add('clean-stop', `${c.heapUsed} heap byte(s) still held after stop`);
  if (c.threadsAlive !== 0) add('clean-stop', `${c.threadsAlive} device thread(s) alive after stop`);
  if (opts.servers && c.serversListening !== 0) add('clean-stop', `${c.serversListening} server(s) listening after stop`);
  return v;
}

/** finalStats minus baseline (the run's own counts); clients stay absolute. */
export function runCounts(final: ServerCounts, baseline: ServerCounts | null | undefined): ServerCounts {
  if (!baseline) return final;
  const d = (a: number, b: number): number => Math.max(0, a - b);
  return {
    events: { connect: d(final.events.connect, baseline.events.connect), disconnect: d(final.events.disconnect, baseline.events.disconnect) },
    clients: final.clients, connected: final.connected,
    dropped: d(final.dropped, baseline.dropped), closedOnFull: d(final.closedOnFull, baseline.closedOnFull),
    allocFailures: d(final.allocFailures, baseline.allocFailures),
  };
}

/** Splits a trace of keys into per-epoch seq ranges, in arrival order; `backwards` counts ranges
 *  of an earlier run arriving after a later run's (one run's telemetry after the next began). */
function splitEpochs(ranges: SeqRanges): { byEpoch: Map<number, SeqRanges>; backwards: number } {
  const byEpoch = new Map<number, SeqRanges>();
  let maxEpoch = -1;
  let backwards = 0;
  for (const [a, b] of ranges) {
    const e = Math.floor(a / EPOCH_SPAN);
    const base = e * EPOCH_SPAN;
    if (e < maxEpoch) backwards++;
    maxEpoch = Math.max(maxEpoch, e);
    let list = byEpoch.get(e);
    if (!list) byEpoch.set(e, (list = []));
    list.push([a - base, b - base]);
  }
  return { byEpoch, backwards };
}

/** Every violated invariant; empty when the run is clean. */
export function checkInvariants(input: OracleInput): Violation[] {
  const v: Violation[] = [];
  const add = (invariant: Invariant, detail: string): void => { v.push({ invariant, detail }); };
  const local = input.targetKind !== 'url';

  // Device life.
  if (!input.aliveAtEnd) add('no-crash', 'the device was not running at the end of the run');
  const stop = input.stop;
  if (local) {
    if (!stop) add('no-crash', 'the device was not stopped (no stop report)');
    else v.push(...checkStop(stop, { heap: true }));
  }

  // Connect/disconnect balance, over this run's counts.
  const fs = input.finalStats ? runCounts(input.finalStats, input.baseline) : null;
  const before = input.baseline?.clients ?? 0;
  if (input.interrupted) {
    // Not settled: nothing to compare.
  } else if (!fs) {
    add('connect-disconnect', 'the final /stats could not be read');
  } else if (local) {
    if (fs.events.connect !== fs.events.disconnect) {
      add('connect-disconnect', `${fs.events.connect} CONNECT event(s) but ${fs.events.disconnect} DISCONNECT event(s) once every client closed`);
    }
    if (fs.clients !== before) add('connect-disconnect', `${fs.clients} client(s) still listed once every client closed`);
  } else if (fs.events.connect - fs.events.disconnect !== fs.clients - before) {
    add('connect-disconnect', `this run: CONNECT ${fs.events.connect} - DISCONNECT ${fs.events.disconnect} != ${fs.clients - before} client(s) more listed than before it (${fs.clients} now, ${before} before)`);
  }

  // Queues.
  if (input.queue.maxSeen > input.queue.bound) {
    add('queue-bound', `a data queue held ${input.queue.maxSeen} messages; the bound is ${input.queue.bound}`);
  }

  // Coverage: a run in which none of the scenario's clients connected tested nothing.
  const cov = input.coverage;
  if (cov && cov.planned > 0 && cov.connected === 0) add('coverage', `none of the ${cov.planned} scenario client(s) connected: nothing was tested`);

  // Telemetry and echoes, per session and broadcast run.
  const allocFailures = Math.max(fs?.allocFailures ?? 0, input.deviceAllocFailures);
  const dropped = fs?.dropped ?? 0;
  const N = input.broadcastSent;
  const epochN = input.epochs ?? [N];
  const lastEpoch = epochN.length - 1;
  if (N === null) add('broadcast-ran', 'the broadcast\'s last seq is unknown (no `stopped` reply, no /stats)');
  else if (N === 0 && epochN.every((n) => !n)) add('broadcast-ran', 'the broadcast sent nothing');
  let readersFed = 0;
  for (const s of input.sessions) {
    const who = `${s.client}#${s.session}`;
    const { byEpoch, backwards } = splitEpochs(s.telemetry);
    const survived = s.survived && !input.interrupted;
    if (backwards > 0) add('broadcast-in-order', `${who}: telemetry of a broadcast run arrived after the next run's (${backwards} time(s))`);
    const seen = [...byEpoch.keys()];
    const lastSeen = seen.length ? Math.max(...seen) : -1;
    const je = s.joinEpoch ?? 0;
    const upto = survived ? Math.max(lastEpoch, lastSeen) : lastSeen;
    let missing = 0;
    const parts: string[] = [];
    const multi = epochN.length > 1;
    for (let e = Math.min(je, seen.length ? Math.min(...seen) : je); e <= upto; e++) {
      const at = multi ? ` of run ${e + 1}` : '';
      const a = analyzeSeqs(byEpoch.get(e) ?? []);
      if (s.wellBehaved && a.received > 0) readersFed++;
      if (a.duplicates > 0) add('broadcast-once', `${who}: ${a.duplicates} duplicate(s)${at} (${a.examples.join('; ')})`);
      if (a.reorders > 0) add('broadcast-in-order', `${who}: ${a.reorders} out of order${at} (${a.examples.join('; ')})`);
      if (e < je) continue; // received before the join point's run: nothing was due
      const Ne = epochN[e] ?? null;
      // Misses: inside the trace, before it (after the join point) and, when the tail is due
      // (a survivor, or a later run's message arrived), after it.
      missing += a.gaps;
      if (a.gaps) parts.push(`${a.gaps} inside ${a.first}..${a.max}${at}`);
      const tailDue = (survived && e === lastEpoch) || e < lastSeen;
      const joinSeq = e === je ? s.seqAtJoin : 0;
      if (joinSeq !== null) {
        const firstDue = joinSeq + 1;
        const firstGot = a.first ?? (tailDue && Ne !== null ? Ne + 1 : firstDue);
        if (firstGot > firstDue) {
          missing += firstGot - firstDue;
          parts.push(`${firstGot - firstDue} after joining${at} at seq ${joinSeq}`);
        }
      }
      if (tailDue && Ne !== null && a.max !== null && a.max < Ne) {
        missing += Ne - a.max;
        parts.push(`${Ne - a.max} at the end${at} (last ${a.max} of ${Ne})`);
      }
    }
    if (s.telemetryOverflow) parts.push('trace overflowed');
    if (s.malformed > 0) add('broadcast-intact', `${who}: ${s.malformed} malformed telemetry message(s)${s.malformedExample ? `, e.g. ${s.malformedExample}` : ''}`);
    const excused = s.wellBehaved ? allocFailures : allocFailures + dropped;
    if (missing > excused) {
      add('broadcast-complete', `${who} (${s.behaviour}): missed ${missing} message(s): ${parts.join(', ')}; ` +
        `the server counted ${allocFailures} failed allocation(s)${s.wellBehaved ? '' : ` and ${dropped} drop(s)`}`);
    }
    if (s.echo) {
      const e = analyzeSeqs(s.echo.replies);
      if (e.duplicates > 0 || e.reorders > 0) {
        add('echo', `${who}: echo replies ${e.duplicates} duplicate(s), ${e.reorders} out of order (${e.examples.join('; ')})`);
      }
      if (e.max !== null && e.max > s.echo.sent) add('echo', `${who}: a reply to request ${e.max}, only ${s.echo.sent} sent`);
      if (s.echo.mismatches > 0) add('echo', `${who}: ${s.echo.mismatches} echo reply(ies) differ from the request`);
      if (s.wellBehaved && s.echo.timeouts > 0) add('echo', `${who}: ${s.echo.timeouts} request(s) got no reply within the op timeout on an open connection`);
      if (!s.wellBehaved && e.gaps > allocFailures + dropped) {
        add('echo', `${who}: ${e.gaps} echo reply(ies) missing; the server counted ${dropped} drop(s), ${allocFailures} failed allocation(s)`);
      }
    }
    if (s.faultClose && !s.faultClose.refused && !input.interrupted) {
      const f = s.faultClose;
      if (!f.closed) add('fault-close', `${who}: asked to be closed from the ${f.from} with ${f.code}, still open after the op timeout`);
      else if (f.closeCode !== f.code && allocFailures === 0) {
        add('fault-close', `${who}: asked to be closed from the ${f.from} with ${f.code}, closed with ${f.closeCode ?? 'no code'}`);
      }
    }
  }
  if (N !== null && epochN.some((n) => n) && readersFed === 0 && !input.interrupted) add('broadcast-ran', 'no well-behaved client received a telemetry message');
  return v;
}
