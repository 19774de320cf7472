// The WebSocket stress harness: the oracle on crafted traces (each check must catch its fault),
// scenarios and schedules, runs against the addon, a URL and the ASan device, and the CLI.
import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { main, type CliIo } from '../src/cli.js';
import { Device } from '../src/device.js';
import { TwincoreRangeError, TwincoreTypeError } from '../src/errors.js';
import { analyzeSeqs, checkInvariants, SeqRecorder, type OracleInput, type SessionTrace } from '../src/harness/oracle.js';
import { buildSchedule, resolveScenario, scaleClients, SCENARIOS } from '../src/harness/scenario.js';
import { runStress, startStress, type StressProgress, type StressResult, type StressStart } from '../src/harness/stress.js';
import { loopbackUrls } from '../src/defaults.js';
import { parseTarget } from '../src/harness/targets.js';
import { deviceBinary } from '../src/process-device.js';

function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', isTty: false, stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
  return io;
}

// ---------------------------------------------------------------------------------------------
// The oracle on crafted traces

const N = 100;
function session(over: Partial<SessionTrace> & { seqs?: number[] } = {}): SessionTrace {
  const { seqs, ...rest } = over;
  return {
    client: 'reader-1', behaviour: 'reader', wellBehaved: true, session: 1, seqAtJoin: 0,
    telemetry: SeqRecorder.of(seqs ?? Array.from({ length: N }, (_, i) => i + 1)).ranges,
    malformed: 0, survived: true, end: 'harness', closeCode: 1000, ...rest,
  };
}
function cleanInput(over: Partial<OracleInput> = {}): OracleInput {
  return {
    targetKind: 'addon', broadcastSize: 128, broadcastSent: N,
    sessions: [session(), session({ client: 'reader-2', seqAtJoin: 40, seqs: range(41, N) })],
    finalStats: { events: { connect: 2, disconnect: 2 }, clients: 0, connected: 0, dropped: 0, closedOnFull: 0, allocFailures: 0 },
    deviceAllocFailures: 0,
    queue: { bound: 16, maxSeen: 3, samples: 10 },
    aliveAtEnd: true,
    stop: {
      exitCode: 0, signal: null, sanitizerReports: [],
      counters: {
        connectionsOpen: 0, connectionsTotal: 2, connectionsDeferred: 0, clientsAlive: 0, serversListening: 0, threadsAlive: 0,
        polls: 0, acks: 0, ackTimeouts: 0, rxTimeouts: 0, bytesIn: 0, bytesOut: 0, errors: 0, loopIterations: 0,
        heapUsed: 0, heapPeak: 100, allocFailures: 0, droppedPosts: 0,
      },
    },
    ...over,
  };
}
function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
const invariants = (input: OracleInput): string[] => checkInvariants(input).map((v) => v.invariant);

describe('oracle', () => {
  it('passes a clean trace', () => {
    expect(checkInvariants(cleanInput())).toEqual([]);
  });

  it('SeqRecorder keeps a clean trace as one range; analyzeSeqs counts gaps, duplicates, reorders', () => {
    expect(SeqRecorder.of(range(1, 1000)).ranges).toEqual([[1, 1000]]);
    expect(analyzeSeqs(SeqRecorder.of([1, 2, 4, 5]).ranges)).toMatchObject({ gaps: 1, duplicates: 0, reorders: 0, first: 1, max: 5 });
    expect(analyzeSeqs(SeqRecorder.of([1, 2, 3, 2, 4]).ranges)).toMatchObject({ gaps: 0, duplicates: 1, reorders: 0 });
    expect(analyzeSeqs(SeqRecorder.of([1, 3, 2, 4]).ranges)).toMatchObject({ gaps: 0, duplicates: 0, reorders: 1 });
    expect(analyzeSeqs(SeqRecorder.of([5, 6, 7]).ranges)).toMatchObject({ gaps: 0, first: 5, max: 7, received: 3 });
  });

  it('flags a gap in a well-behaved reader', () => {
    const seqs = range(1, N).filter((n) => n !== 50);
    const v = checkInvariants(cleanInput({ sessions: [session({ seqs })] }));
    expect(v.map((x) => x.invariant)).toEqual(['broadcast-complete']);
    expect(v[0]!.detail).toMatch(/missed 1 message/);
  });

  it('flags a duplicate and a reordering, whatever the behaviour', () => {
    const dup = [...range(1, 50), 50, ...range(51, N)];
    expect(invariants(cleanInput({ sessions: [session({ seqs: dup })] }))).toEqual(['broadcast-once']);
    const reorder = [...range(1, 49), 51, 50, ...range(52, N)];
    expect(invariants(cleanInput({ sessions: [session({ seqs: reorder })] }))).toEqual(['broadcast-in-order']);
    const lossy = { behaviour: 'slow-reader' as const, wellBehaved: false };
    expect(invariants(cleanInput({ sessions: [session({ ...lossy, seqs: dup })] }))).toContain('broadcast-once');
    expect(invariants(cleanInput({ sessions: [session({ ...lossy, seqs: reorder })] }))).toContain('broadcast-in-order');
  });

  it('flags misses before the first message (after the join point) and at the end of a survivor', () => {
    expect(invariants(cleanInput({ sessions: [session({ seqAtJoin: 10, seqs: range(15, N) })] }))).toEqual(['broadcast-complete']);
    expect(invariants(cleanInput({ sessions: [session({ seqs: range(1, N - 3) })] }))).toEqual(['broadcast-complete']);
    // A survivor that received nothing although messages were due after it joined.
    expect(invariants(cleanInput({ sessions: [session(), session({ client: 'late', seqAtJoin: 90, seqs: [] })] }))).toEqual(['broadcast-complete']);
    // Not a survivor (closed mid-run): the tail is not due; joining late is fine.
    expect(checkInvariants(cleanInput({ sessions: [session({ survived: false, end: 'server-close', seqs: range(1, 60) })] }))).toEqual([]);
    expect(checkInvariants(cleanInput({ sessions: [session({ seqAtJoin: 95, seqs: range(96, N) })] }))).toEqual([]);
  });

  it('excuses misses only as far as the server counted them', () => {
    const seqs = range(1, N).filter((n) => n % 10 !== 0); // 10 missing
    const slow = { client: 'slow-1', behaviour: 'slow-reader' as const, wellBehaved: false, seqs };
    const stats = (dropped: number, allocFailures: number): OracleInput['finalStats'] =>
      ({ events: { connect: 2, disconnect: 2 }, clients: 0, connected: 0, dropped, closedOnFull: 0, allocFailures });
    expect(invariants(cleanInput({ sessions: [session(), session(slow)], finalStats: stats(0, 0) }))).toEqual(['broadcast-complete']);
    expect(invariants(cleanInput({ sessions: [session(), session(slow)], finalStats: stats(9, 0) }))).toEqual(['broadcast-complete']);
    expect(checkInvariants(cleanInput({ sessions: [session(), session(slow)], finalStats: stats(10, 0) }))).toEqual([]);
    // Drops do not excuse a well-behaved reader; failed allocations do.
    expect(invariants(cleanInput({ sessions: [session({ seqs })], finalStats: stats(1000, 0) }))).toEqual(['broadcast-complete']);
    expect(checkInvariants(cleanInput({ sessions: [session({ seqs })], finalStats: stats(0, 10) }))).toEqual([]);
  });

  it('flags CONNECT != DISCONNECT and clients left on /stats', () => {
    const fs = cleanInput().finalStats!;
    expect(invariants(cleanInput({ finalStats: { ...fs, events: { connect: 5, disconnect: 4 } } }))).toEqual(['connect-disconnect']);
    expect(invariants(cleanInput({ finalStats: { ...fs, clients: 1 } }))).toEqual(['connect-disconnect']);
    expect(invariants(cleanInput({ finalStats: null }))).toEqual(['connect-disconnect']);
    // A board may have foreign clients: CONNECT - DISCONNECT must equal them.
    expect(checkInvariants(cleanInput({ targetKind: 'url', stop: null, finalStats: { ...fs, events: { connect: 5, disconnect: 4 }, clients: 1 } }))).toEqual([]);
    expect(invariants(cleanInput({ targetKind: 'url', stop: null, finalStats: { ...fs, events: { connect: 5, disconnect: 3 }, clients: 1 } }))).toEqual(['connect-disconnect']);
  });

  it('flags leaks after stop: clients, connections, heap bytes, threads', () => {
    const base = cleanInput().stop!;
    for (const [key, detail] of [['clientsAlive', /AsyncClient/], ['connectionsOpen', /connection/], ['heapUsed', /heap byte/], ['threadsAlive', /thread/]] as const) {
      const v = checkInvariants(cleanInput({ stop: { ...base, counters: { ...base.counters!, [key]: 1 } } }));
      expect(v.map((x) => x.invariant), key).toEqual(['clean-stop']);
      expect(v[0]!.detail).toMatch(detail);
    }
    expect(invariants(cleanInput({ stop: { ...base, counters: null } }))).toEqual(['clean-stop']);
  });

  it('flags a crash, a non-zero exit, a sanitizer report, a dead device, a queue over its bound', () => {
    const base = cleanInput().stop!;
    expect(invariants(cleanInput({ stop: { ...base, exitCode: 67 } }))).toEqual(['no-crash']);
    expect(invariants(cleanInput({ stop: { ...base, exitCode: null, signal: 'SIGSEGV' } }))).toEqual(['no-crash']);
    expect(invariants(cleanInput({ stop: { ...base, sanitizerReports: ['ERROR: AddressSanitizer: heap-use-after-free'] } }))).toEqual(['no-sanitizer-report']);
    expect(invariants(cleanInput({ aliveAtEnd: false }))).toEqual(['no-crash']);
    expect(invariants(cleanInput({ queue: { bound: 16, maxSeen: 17, samples: 5 } }))).toEqual(['queue-bound']);
    expect(checkInvariants(cleanInput({ queue: { bound: 16, maxSeen: 16, samples: 5 } }))).toEqual([]);
  });

  it('does not pass a run that tested nothing', () => {
    expect(invariants(cleanInput({ broadcastSent: null }))).toContain('broadcast-ran');
    expect(invariants(cleanInput({ broadcastSent: 0, sessions: [] }))).toEqual(['broadcast-ran']);
    expect(invariants(cleanInput({ sessions: [session({ seqs: [], seqAtJoin: null })] }))).toEqual(['broadcast-ran']);
  });

  it('flags malformed telemetry, echo faults and a close that did not happen', () => {
    expect(invariants(cleanInput({ sessions: [session({ malformed: 1 })] }))).toEqual(['broadcast-intact']);
    const echo = (e: Partial<NonNullable<SessionTrace['echo']>>): SessionTrace =>
      session({ behaviour: 'echo', echo: { sent: 5, replies: SeqRecorder.of(range(1, 5)).ranges, timeouts: 0, mismatches: 0, ...e } });
    expect(checkInvariants(cleanInput({ sessions: [echo({})] }))).toEqual([]);
    expect(invariants(cleanInput({ sessions: [echo({ timeouts: 1 })] }))).toEqual(['echo']);
    expect(invariants(cleanInput({ sessions: [echo({ mismatches: 1 })] }))).toEqual(['echo']);
    expect(invariants(cleanInput({ sessions: [echo({ replies: SeqRecorder.of([1, 3, 2, 4, 5]).ranges })] }))).toEqual(['echo']);
    const fc = (f: Partial<NonNullable<SessionTrace['faultClose']>>): SessionTrace =>
      session({ survived: false, end: 'fault-close', faultClose: { from: 'loop', code: 4001, closed: true, closeCode: 4001, ...f } });
    expect(checkInvariants(cleanInput({ sessions: [session(), fc({})] }))).toEqual([]);
    expect(invariants(cleanInput({ sessions: [session(), fc({ closed: false, closeCode: null })] }))).toEqual(['fault-close']);
    expect(invariants(cleanInput({ sessions: [session(), fc({ closeCode: 1006 })] }))).toEqual(['fault-close']);
    expect(checkInvariants(cleanInput({ sessions: [session(), fc({ closed: false, refused: 'too many pending closes' })] }))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Scenarios and schedules

describe('scenarios', () => {
  it('the built-ins resolve, and a seed fixes the schedule', () => {
    for (const name of ['default', 'lifetime', 'backpressure', 'faults', 'smoke']) expect(SCENARIOS[name], name).toBeDefined();
    const a = buildSchedule(resolveScenario('lifetime'));
    const b = buildSchedule(resolveScenario('lifetime'));
    const c = buildSchedule(resolveScenario('lifetime', { seed: 99 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.faults.length).toBeGreaterThan(20);
    expect(a.faults.every((f, i) => i === 0 || f.atMs >= a.faults[i - 1]!.atMs)).toBe(true);
    expect(a.faults.every((f) => f.atMs < 6000)).toBe(true);
  });

  it('overrides: duration clips faults, clients scale the groups', () => {
    const s = resolveScenario('lifetime', { durationMs: 1000, clients: 22 });
    expect(s.clients.reduce((n, g) => n + g.count, 0)).toBe(22);
    expect(buildSchedule(s).faults.every((f) => f.atMs < 1000)).toBe(true);
    expect(scaleClients([{ count: 12, behaviour: 'reader' }, { count: 2, behaviour: 'slow-reader' }], 3).map((g) => g.count)).toEqual([2, 1]);
  });

  it('rejects bad scenarios and targets with coded errors', async () => {
    expect(() => resolveScenario('nope')).toThrow(TwincoreRangeError);
    expect(() => resolveScenario({ ...SCENARIOS.smoke!, clients: [{ count: 1, behaviour: 'dance' as never }] })).toThrow(TwincoreRangeError);
    expect(() => resolveScenario({ ...SCENARIOS.smoke!, broadcast: { rate: 5000, size: 100, count: 0 } })).toThrow(TwincoreRangeError);
    expect(() => resolveScenario({ ...SCENARIOS.smoke!, extra: 1 } as never)).toThrow(TwincoreTypeError);
    expect(() => parseTarget('board')).toThrow(TwincoreRangeError);
    expect(parseTarget('ws://192.168.4.1')).toMatchObject({ kind: 'url' });
    expect((parseTarget('ws://192.168.4.1') as { url: URL }).url.href).toBe('ws://192.168.4.1/ws');
    expect(() => startStress({ clients: 0 })).toThrow(TwincoreRangeError);
    expect(() => startStress({ target: 'http://x' })).toThrow(TwincoreRangeError);
    await expect(runStress({ clients: 0 })).rejects.toThrow(TwincoreRangeError);
  });

  it('the echo churn stays reachable through runStress (the sanitizer churn)', async () => {
    const run = startStress({ scenario: 'echo-churn', clients: 2, durationMs: 300, tickMs: 5 });
    expect(run.kind).toBe('echo-churn');
    const r = await run.result;
    expect(r.violations).toEqual([]);
    expect(r.stats.connections).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Runs

function expectClean(r: StressResult): void {
  if (!r.ok) console.log(JSON.stringify({ error: r.error, violations: r.violations }, null, 2));
  expect(r.error).toBeUndefined();
  expect(r.violations).toEqual([]);
  expect(r.ok).toBe(true);
}

describe('runStress (addon target)', () => {
  it('smoke: emits start, tick and done, passes with sensible counts', async () => {
    const run = startStress({ scenario: 'smoke', tickIntervalMs: 100 });
    const starts: StressStart[] = [];
    const ticks: StressProgress[] = [];
    const dones: StressResult[] = [];
    run.on('start', (s) => starts.push(s));
    run.on('tick', (p) => ticks.push(p));
    run.on('done', (r) => dones.push(r));
    const r = await run.result;
    expectClean(r);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ scenario: 'smoke', target: 'addon', clients: 7, faults: 3 });
    expect(ticks.length).toBeGreaterThanOrEqual(10);
    expect(dones).toEqual([r]);
    // 2 s at 50/s.
    expect(r.broadcast.sent).toBeGreaterThanOrEqual(60);
    expect(r.broadcast.sent).toBeLessThanOrEqual(140);
    // Every behaviour ran; the control client got every message; churners reconnected.
    for (const b of ['reader', 'slow-reader', 'churn', 'rst', 'echo', 'control'] as const) {
      expect(r.stats.byBehaviour[b]?.sessions, b).toBeGreaterThan(0);
    }
    expect(r.stats.byBehaviour.control!.received).toBe(r.broadcast.sent);
    expect(r.stats.byBehaviour.churn!.sessions).toBeGreaterThan(1);
    expect(r.stats.byBehaviour.rst!.sessions).toBeGreaterThan(1);
    expect(r.stats.echoesSent).toBeGreaterThan(10);
    expect(r.faults.run).toEqual({ 'close-from-loop': 1, 'peer-reset': 1, 'close-in-callback': 1 });
    // The firmware saw each session connect and disconnect once.
    expect(r.server.final).toMatchObject({ clients: 0 });
    expect(r.server.final!.events.connect).toBe(r.stats.sessions - r.stats.connectFailures);
    expect(r.server.final!.events.disconnect).toBe(r.server.final!.events.connect);
    expect(r.server.samples).toBeGreaterThan(3);
    expect(r.stop).toMatchObject({ exitCode: 0, sanitizerReports: [] });
    expect(r.stop?.counters).toMatchObject({ clientsAlive: 0, connectionsOpen: 0, heapUsed: 0, threadsAlive: 0 });
  }, 30_000);

  it('faults: injected allocation and accept failures are survived (addon only)', async () => {
    const r = await runStress({ scenario: 'faults', durationMs: 2000 });
    expectClean(r);
    expect(r.faults.run['inject-alloc']).toBeGreaterThan(0);
    expect(r.faults.run['inject-accept']).toBeGreaterThan(0);
    expect(r.stop!.counters!.allocFailures).toBeGreaterThan(0);
  }, 30_000);

  it('backpressure: stalled readers are closed on a full queue, never above the bound', async () => {
    const r = await runStress({ scenario: 'backpressure', durationMs: 2500 });
    expectClean(r);
    expect(r.server.final!.closedOnFull).toBeGreaterThan(0);
    expect(r.server.maxQueueDepth).toBeLessThanOrEqual(16);
  }, 30_000);
});

describe('runStress (url target)', () => {
  it('runs a scenario against a board URL (here: a device started apart) without lifecycle checks', async () => {
    const device = await Device.start({ firmware: 'reference', config: { maxClients: 16 } });
    try {
      const r = await runStress({ scenario: 'smoke', target: device.url, durationMs: 1000 });
      expectClean(r);
      expect(r).toMatchObject({ targetKind: 'url', target: device.url, stop: null });
      expect(r.broadcast.sent).toBeGreaterThan(20);
    } finally {
      await device.stop();
    }
  }, 30_000);

  it('reports an error, not a pass, when the URL does not serve the reference firmware', async () => {
    const device = await Device.start({ firmware: 'echo' });
    try {
      const r = await runStress({ scenario: 'smoke', target: loopbackUrls(device.port).wsUrl, opTimeoutMs: 2000 });
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/did not answer .*is it the reference firmware/);
      expect(r).toMatchObject({ status: 'unreachable', exitCode: 3 });
    } finally {
      await device.stop();
    }
  }, 30_000);
});

describe('runStress (asan target)', () => {
  it.skipIf(!existsSync(deviceBinary('asan')))('lifetime: closes from loop and callback and resets, under ASan', async () => {
    const r = await runStress({ scenario: 'lifetime', target: 'asan', durationMs: 5000 });
    if (r.stop?.sanitizerReports.length) console.log(r.stop.sanitizerReports.join('\n\n'));
    expectClean(r);
    expect(r.stop).toMatchObject({ exitCode: 0, signal: null, sanitizerReports: [] });
    expect(r.stop?.counters).toMatchObject({ clientsAlive: 0, connectionsOpen: 0, heapUsed: 0 });
    expect(r.faults.run['close-from-loop']).toBeGreaterThan(5);
    expect(r.faults.run['close-in-callback']).toBeGreaterThan(5);
    expect(r.faults.run['peer-reset']).toBeGreaterThan(5);
  }, 60_000);

  it.skipIf(!existsSync(deviceBinary('asan')))('skips addon-only faults and says so', async () => {
    const r = await runStress({ scenario: 'faults', target: 'asan', durationMs: 1500 });
    expectClean(r);
    expect(r.faults.run['inject-alloc']).toBeUndefined();
    expect(r.faults.skipped['inject-alloc']).toBeGreaterThan(0);
    expect(r.faults.skipReason).toMatch(/in-process device/);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// The CLI

describe('cli', () => {
  it('prints help and exits 0', async () => {
    const io = captureIo();
    expect(await main(['help'], io)).toBe(0);
    expect(io.out).toContain('stress');
    expect(io.out).toContain('serve');
    const io2 = captureIo();
    expect(await main(['help', 'stress'], io2)).toBe(0);
    for (const flag of ['--scenario', '--target', '--duration', '--clients', '--seed', '--json', '--quiet']) expect(io2.out).toContain(flag);
    expect(io2.out).toContain('lifetime');
    const io3 = captureIo();
    expect(await main(['serve', '--help'], io3)).toBe(0);
    expect(io3.out).toContain('--port');
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [[], ['frobnicate'], ['stress', '--clients'], ['stress', '--clients', 'many'],
      ['stress', '--target', 'board'], ['stress', '--target', 'http://1.2.3.4/'], ['stress', '--bogus'],
      ['stress', '--scenario', 'nope'], ['stress', '--duration', '-1'], ['stress', '--config', 'novalue'],
      ['stress', '--scenario', 'echo-churn', '--target', 'ws://127.0.0.1:1/ws'],
      ['serve', '--port', '70000'], ['serve', '--profile', 'esp8266'], ['help', 'nope']]) {
      const io = captureIo();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.err + io.out, argv.join(' ')).toMatch(/twincore: |usage/);
    }
  });

  it('exits 2 on a bad firmware config, before anything runs: one line, no table', async () => {
    const io = captureIo();
    expect(await main(['stress', '--scenario', 'smoke', '--config', 'bogus=1', '--quiet', '--json'], io)).toBe(2);
    expect(io.out).toBe('');
    expect(io.err).toMatch(/^twincore: unknown config key 'bogus' for firmware 'reference'/);
  });

  it('stress --json prints a parseable result and exits 0', async () => {
    const io = captureIo();
    const code = await main(['stress', '--scenario', 'smoke', '--duration', '1', '--seed', '9', '--json'], io);
    expect(code, io.err).toBe(0);
    const result = JSON.parse(io.out) as StressResult;
    expect(result).toMatchObject({ kind: 'ws', ok: true, scenario: 'smoke', seed: 9, violations: [] });
    expect(result.broadcast.sent).toBeGreaterThan(0);
    expect(io.err).toContain('twincore stress: scenario smoke (seed 9)');
  }, 30_000);

  it('prints a summary table', async () => {
    const io = captureIo();
    expect(await main(['stress', '--scenario', 'smoke', '--duration', '0.5', '--clients', '4', '--quiet'], io)).toBe(0);
    expect(io.out).toMatch(/result\s+OK/);
    expect(io.out).toMatch(/max queue depth/);
    expect(io.err).toBe('');
  }, 30_000);
});
