// The stress CLI as a load tool (issue 10, sections 1-3): verdicts that do not mislead, latency and
// thresholds, scenario files with stages, replay, seeds/shards/merge. Real sockets against the
// reference firmware on the twin (in-process unless said otherwise); every run is short.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { main, type CliIo } from '../src/cli.js';
import { Device } from '../src/device.js';
import { runEchoChurn } from '../src/harness/echo-churn.js';
import { ClockSync, Histogram } from '../src/harness/metrics.js';
import { checkInvariants, EPOCH_SPAN, SeqRecorder } from '../src/harness/oracle.js';
import type { RunReport } from '../src/harness/run-report.js';
import { buildSchedule, deviceFor, resolveScenario, SCENARIOS, type Scenario } from '../src/harness/scenario.js';
import { resolveStressOptions, runStress, startStress, type StressResult } from '../src/harness/stress.js';
import { parseThreshold } from '../src/harness/thresholds.js';
import { decideStatus, EXIT_CODES, worstStatus } from '../src/harness/verdict.js';
import { deviceBinary } from '../src/process-device.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'twincore-loadtool-'));

function captureIo(extra: Partial<CliIo> = {}): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', isTty: false, stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; }, ...extra };
  return io;
}

function writeJson(name: string, v: unknown): string {
  const f = path.join(tmp, name);
  writeFileSync(f, JSON.stringify(v, null, 2));
  return f;
}

// ---------------------------------------------------------------------------------------------
// 1. Verdicts that do not mislead

describe('verdicts', () => {
  it('an unreachable target exits 3 with one line, not an invariant violation with a table', async () => {
    const io = captureIo();
    expect(await main(['stress', '--target', 'ws://127.0.0.1:1/ws'], io)).toBe(3);
    expect(io.out).toBe('');
    expect(io.err.trim().split('\n')).toEqual(['twincore stress: target unreachable: cannot reach ws://127.0.0.1:1/ws: connection refused']);
    const json = captureIo();
    expect(await main(['stress', '--target', 'ws://127.0.0.1:1/ws', '--json'], json)).toBe(3);
    expect(JSON.parse(json.out)).toMatchObject({ status: 'unreachable', exitCode: 3, violations: [] });
  });

  it('refuses --profile and --config for a board by URL (exit 2), and a bad --config before anything runs', async () => {
    for (const extra of [['--profile', 'esp32c3'], ['--config', 'closeOnQueueFull=true']]) {
      const io = captureIo();
      expect(await main(['stress', '--target', 'ws://127.0.0.1:1/ws', ...extra], io), extra.join(' ')).toBe(2);
      expect(io.err).toMatch(/cannot be applied to a board by URL/);
      expect(io.out).toBe('');
    }
    const io = captureIo();
    expect(await main(['stress', '--config', 'maxClients=0'], io)).toBe(2);
    expect(io.err.split('\n')[0]).toBe("twincore: config 'maxClients' must be an integer 1..4096, got '0'");
    expect(io.out).toBe('');
  });

  it('counts a board\'s /stats for this run only, not its running totals', async () => {
    const device = await Device.start({ firmware: 'reference', config: { maxClients: 16 } });
    try {
      const url = device.url!;
      const first = await runStress({ scenario: 'smoke', target: url, durationMs: 600 });
      const second = await runStress({ scenario: 'smoke', target: url, durationMs: 600, seed: 77 });
      for (const r of [first, second]) {
        expect(r.status, JSON.stringify(r.violations)).toBe('ok');
        // This run's sessions, not the device's total since boot.
        expect(r.server.final!.events.connect).toBe(r.stats.sessions - r.stats.connectFailures);
        expect(r.server.final!.events.disconnect).toBe(r.server.final!.events.connect);
      }
    } finally {
      await device.stop();
    }
  }, 30_000);

  it('Ctrl-C stops within about a second with a partial report marked interrupted (exit 130); a second Ctrl-C exits at once', async () => {
    let fire: (() => void) | undefined;
    const exits: number[] = [];
    const io = captureIo({ onInterrupt: (h) => { fire = h; return () => { fire = undefined; }; }, exit: (c) => { exits.push(c); } });
    const done = main(['stress', '--duration', '30', '--json'], io);
    for (let i = 0; i < 200 && !io.err.includes('[ '); i++) await new Promise((r) => setTimeout(r, 50));
    expect(fire).toBeDefined();
    const t0 = Date.now();
    fire!();
    const code = await done;
    const took = Date.now() - t0;
    expect(code).toBe(130);
    expect(took).toBeLessThan(2500);
    const r = JSON.parse(io.out) as StressResult;
    expect(r).toMatchObject({ status: 'interrupted', exitCode: 130, interrupted: true });
    expect(r.durationMs).toBeLessThan(10_000);
    expect(r.violations).toEqual([]); // the cut-short drain is not reported as lost messages
    expect(io.err).toMatch(/interrupted/);
    expect(io.err).toMatch(/\] [\d.]+s interrupted drain /); // every phase gets its progress line
    // A second Ctrl-C during the stop exits at once.
    const io2 = captureIo({ onInterrupt: (h) => { fire = h; return () => undefined; }, exit: (c) => { exits.push(c); } });
    const done2 = main(['stress', '--duration', '30', '--quiet'], io2);
    await new Promise((r) => setTimeout(r, 1500));
    fire!();
    fire!();
    expect(exits).toEqual([130]);
    expect(await done2).toBe(130);
  }, 30_000);

  it.skipIf(!existsSync(path.join(root, 'dist', 'cli.js')))('a real SIGINT to the CLI process: exit 130 within about a second', async () => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'stress', '--duration', '30', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    for (let i = 0; i < 300 && !err.includes('[ '); i++) await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(JSON.parse(out)).toMatchObject({ status: 'interrupted', interrupted: true });
  }, 30_000);

  it('honours its duration: clients stuck waiting for a slot do not hold the run, and the progress shows the drain', async () => {
    // 40 readers, a board that takes 6 sockets, limits not raised: most clients wait, unaccepted,
    // each connect bounded only by the op timeout (20 s here).
    const sc: Scenario = {
      ...SCENARIOS.smoke!, name: 'crowd', durationMs: 1500, clients: [{ count: 40, behaviour: 'reader' }], faults: [],
      device: { profile: { name: 'esp32', maxConnections: 6 }, fitLimits: false },
    };
    const run = startStress({ scenario: sc, opTimeoutMs: 20_000 });
    const phases = new Set<string>();
    run.on('tick', (p) => phases.add(p.phase));
    const t0 = Date.now();
    const r = await run.result;
    const took = Date.now() - t0;
    expect(took).toBeLessThan(1500 + 11_000); // before: the 20 s op timeout of every stuck connect, then more
    expect([...phases]).toEqual(['run', 'wind-down', 'drain', 'settle', 'stop']);
    // The clients that never connected are in the verdict, not silently fine.
    expect(r.stats.neverConnected.length).toBeGreaterThan(30);
    expect(r.warnings.join('\n')).toMatch(/never connected/);
    expect(r.checks.find((c) => c.name === 'clients connected')).toMatchObject({ status: 'warn' });
    expect(r.limitsRaised).toEqual([]);
  }, 40_000);

  it('a run in which no scenario client could connect is not OK', async () => {
    const sc: Scenario = {
      ...SCENARIOS.smoke!, name: 'locked-out', durationMs: 800, clients: [{ count: 3, behaviour: 'reader' }], faults: [],
      device: { profile: { name: 'esp32', maxConnections: 1 }, fitLimits: false },
    };
    const r = await runStress({ scenario: sc });
    expect(r.ok).toBe(false);
    expect(r.status).toBe('failed');
    expect(r.violations.map((v) => v.invariant)).toContain('coverage');
  }, 30_000);

  it('says when the harness raised a profile limit, and lists faults the target could not run', async () => {
    expect(deviceFor(resolveScenario('default'), 4).raised).toEqual([
      { what: 'profile.maxConnections', from: 16, to: 24 }, { what: 'config.maxClients', from: 8, to: 20 },
    ]);
    const io = captureIo();
    expect(await main(['stress', '--duration', '0.6', '--quiet'], io)).toBe(0);
    expect(io.out).toMatch(/limits raised\s+profile\.maxConnections 16 -> 24, config\.maxClients 8 -> 20/);
    expect(io.out).toMatch(/warn\s+device limits/);
    // Faults a board by URL cannot take appear in the verdict.
    const device = await Device.start({ firmware: 'reference', config: { maxClients: 16 } });
    try {
      const r = await runStress({ scenario: 'faults', target: device.url!, durationMs: 1200 });
      expect(r.faults.skipped['inject-alloc']).toBeGreaterThan(0);
      expect(r.checks.find((c) => c.name === 'faults skipped')).toMatchObject({ status: 'warn' });
      expect(r.warnings.join('\n')).toMatch(/fault\(s\) skipped/);
    } finally {
      await device.stop();
    }
  }, 30_000);

  it('echo-churn: 200 clients on a 16-connection board wait for slots; waits are not lost echoes', async () => {
    // Before: 63 "no echo within 2500 ms" violations for connections the device had not accepted.
    const r = await runEchoChurn({ clients: 200, durationMs: 1500, opTimeoutMs: 2500, drainTimeoutMs: 5000, seed: 3 });
    expect(r.violations, JSON.stringify(r.violations.slice(0, 3))).toEqual([]);
    expect(r.status).toBe('ok');
    expect(r.stats.slotWaits).toBeGreaterThan(0); // reported apart, as waits
    expect(r.checks.find((c) => c.name === 'accept waits')).toMatchObject({ status: 'warn' });
    expect(r.stats.deferred).toBeGreaterThan(100); // the device left connections waiting at its limit
    expect(r.stats.connections).toBeGreaterThan(200);
    expect(r.profile!.maxConnections).toBe(16);
  }, 30_000);

  it('Device.start() with no firmware: url is absent for the plain TCP echo firmware; the reference firmware\'s url works', async () => {
    const echo = await Device.start();
    const ref = await Device.start({ firmware: 'reference' });
    try {
      expect(echo.firmware).toBe('echo');
      expect(echo.url).toBeUndefined();
      const ws = new WebSocket(ref.url!);
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
      ws.close();
    } finally {
      await Promise.all([echo.stop(), ref.stop()]);
    }
  }, 30_000);

  it('exit codes: a crash without a sanitizer report is 3, with one it is a finding (1); thresholds 99; worst wins a merge', () => {
    const crash = [{ invariant: 'no-crash', detail: 'the device process died of SIGSEGV' }];
    const base = { interrupted: false, violations: crash, violationCount: 1, thresholds: [] };
    expect(decideStatus({ ...base, sanitizerReports: 0 })).toBe('crashed');
    expect(EXIT_CODES.crashed).toBe(3);
    expect(decideStatus({ ...base, sanitizerReports: 1 })).toBe('failed');
    expect(decideStatus({ ...base, violations: [], violationCount: 0, sanitizerReports: 0, thresholds: [{ ...parseThreshold('latency.p99<1'), ok: false, actual: 2 }] })).toBe('thresholds');
    expect(decideStatus({ ...base, interrupted: true, sanitizerReports: 0 })).toBe('interrupted');
    expect(worstStatus(['ok', 'thresholds', 'failed', 'ok'])).toBe('failed');
    expect(worstStatus(['ok', 'unreachable', 'thresholds'])).toBe('unreachable');
  });

  it('a device process\'s safety limit follows the run, and a device stopped by it is not a crash', async () => {
    expect(resolveStressOptions({ target: 'asan', durationMs: 11 * 60_000 }).deviceMaxSeconds).toBeGreaterThan(11 * 60 + 30);
    expect(resolveStressOptions({ target: 'asan', durationMs: 3 * 3_600_000 }).deviceMaxSeconds).toBeGreaterThan(3 * 3600);
  });

  it.skipIf(!existsSync(deviceBinary('asan')))('an ASan device that reached its safety limit is reported as such, not as a crash', async () => {
    const r = await runStress({ scenario: 'smoke', target: 'asan', durationMs: 4000, deviceMaxSeconds: 1 });
    expect(r.stop?.reason).toBe('maxSeconds');
    expect(r.status).not.toBe('crashed');
    expect(r.violations.filter((v) => v.invariant === 'no-crash')).toEqual([]);
    expect(r.error).toMatch(/safety limit/);
  }, 60_000);

  it('--version, and a JSON of one shape carrying the version, profile, config and seed for every scenario kind', async () => {
    const v = captureIo();
    expect(await main(['--version'], v)).toBe(0);
    expect(v.out).toMatch(/^twincore \d+\.\d+\.\d+\n$/);
    const ws = await runStress({ scenario: 'smoke', durationMs: 400, seed: 3 });
    const echo = await runStress({ scenario: 'echo-churn', clients: 2, durationMs: 300, seed: 4 });
    for (const r of [ws, echo] as RunReport[]) {
      expect(r.version).toBe(v.out.trim().split(' ')[1]);
      expect(r.profile).toMatchObject({ name: 'esp32' });
      expect(typeof r.config).toBe('object');
      expect(r.status).toBe('ok');
    }
    expect(ws.seed).toBe(3);
    expect(echo.seed).toBe(4);
    expect(ws.config).toMatchObject({ maxClients: '8' });
    expect(Object.keys(ws).sort()).toEqual(Object.keys(echo).sort().filter((k) => k !== 'firmware'));
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// 2. Latency, thresholds, scenario files, replay

describe('metrics', () => {
  it('histogram percentiles are within a bucket of the exact ones', () => {
    const h = new Histogram();
    const xs = Array.from({ length: 10_000 }, (_, i) => (i % 1000) / 10 + 0.05);
    for (const x of xs) h.record(x);
    const sorted = [...xs].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * xs.length) - 1]!;
      expect(Math.abs(h.quantile(q)! - exact) / exact).toBeLessThan(0.02);
    }
    expect(h.summary().max).toBeCloseTo(99.95, 2);
  });

  it('the clock offset is bounded by the start round trip and the fastest message', () => {
    const c = new ClockSync();
    const lat = new Histogram();
    // Device clock = harness clock - 1000 ms; start sent at 5000, handled at 5000.4; messages take 0.3..2 ms.
    c.calibrate(5000, 4000, 5000.7);
    c.startSent(0, 6000);
    c.observe(0, 1, 5000, 6000.5, [lat]);
    for (let i = 2; i < 100; i++) c.observe(0, i, 5000 + i, 6000 + i + 0.3 + (i % 10) / 5, [lat]);
    const e = c.finish();
    expect(e.method).toBe('round-trip');
    expect(e.offsetMs! - 1000).toBeLessThanOrEqual(e.uncertaintyMs! + 1e-9);
    const s = lat.summary(e.shiftMs);
    expect(s.max!).toBeLessThan(3);
    expect(s.p50!).toBeGreaterThan(0);
  });

  it('a run reports latency percentiles, echo round trips, connect and upgrade times, and a timeline', async () => {
    const r = await runStress({ scenario: 'smoke', durationMs: 1500, seed: 11 });
    expect(r.status, JSON.stringify(r.violations)).toBe('ok');
    const m = r.metrics;
    for (const p of [m.latency, m.echo, m.connect, m.handshake]) {
      expect(p.count).toBeGreaterThan(0);
      expect(p.p50!).toBeLessThanOrEqual(p.p90!);
      expect(p.p90!).toBeLessThanOrEqual(p.p99!);
      expect(p.p99!).toBeLessThanOrEqual(p.max!);
    }
    expect(m.latency.count).toBeGreaterThan(200);
    expect(r.clock).toMatchObject({ method: 'round-trip' });
    expect(r.clock!.uncertaintyMs!).toBeLessThan(25);
    expect(m.messages.perSec).toBeGreaterThan(50);
    expect(r.timeline.points.length).toBeGreaterThan(4);
    expect(r.timeline.points.some((p) => p.msgsPerSec > 0 && p.latency.p50 !== null && p.server !== null)).toBe(true);
    expect(r.timeline.faults.map((f) => f.kind).sort()).toEqual(['close-from-loop', 'close-in-callback', 'peer-reset']);
    expect(r.timeline.phases.map((p) => p.phase)).toEqual(['run', 'wind-down', 'drain', 'settle', 'stop']);
  }, 30_000);

  it('thresholds: a broken one exits 99 and is named; bad ones are usage errors', async () => {
    expect(() => parseThreshold('latency.p99 < 50')).not.toThrow();
    for (const bad of ['latency.p98<5', 'latency.p99', 'p99<5', 'latency.p99<fast']) {
      const io = captureIo();
      expect(await main(['stress', '--threshold', bad], io), bad).toBe(2);
      expect(io.err).toMatch(/threshold/);
    }
    const io = captureIo();
    const code = await main(['stress', '--scenario', 'smoke', '--duration', '0.6', '--quiet', '--threshold', 'latency.p99<100000', '--threshold', 'echo.max<0.0001'], io);
    expect(code).toBe(99);
    expect(io.out).toMatch(/THRESHOLDS BROKEN \(exit 99\)/);
    expect(io.out).toMatch(/FAIL\s+threshold echo\.max<0\.0001\s+actual/);
    expect(io.out).toMatch(/ok\s+threshold latency\.p99<100000/);
  }, 30_000);

  it('scenario files: errors name the field; stages ramp the clients and step the broadcast rate', async () => {
    const bad = writeJson('bad.json', { ...SCENARIOS.smoke, stages: [{ durationMs: 500, clients: 3 }, { durationMs: 500, clients: -1 }] });
    const io = captureIo();
    expect(await main(['stress', '--scenario', bad], io)).toBe(2);
    expect(io.err).toMatch(/bad\.json: scenario\.stages\[1\]\.clients must be an integer in 0\.\.4000, got -1/);
    const typo = writeJson('typo.json', { ...SCENARIOS.smoke, clients: [{ count: 2, behavior: 'reader' }] });
    const io2 = captureIo();
    expect(await main(['stress', '--scenario', typo], io2)).toBe(2);
    expect(io2.err).toMatch(/scenario\.clients\[0\]\.behavior is not a client group field/);

    const ramp: Scenario = {
      name: 'ramp-test', seed: 9, durationMs: 0,
      clients: [{ count: 3, behaviour: 'reader' }, { count: 1, behaviour: 'churn', sessionMs: [200, 500] }, { count: 1, behaviour: 'echo' }],
      stages: [{ durationMs: 1000, clients: 10, rate: 60 }, { durationMs: 1000, clients: 10 }, { durationMs: 1000, clients: 3, rate: 20 }],
      broadcast: { rate: 20, size: 128, count: 0 }, faults: [{ atMs: 800, kind: 'peer-reset', everyMs: 700 }], device: {},
      thresholds: ['latency.p99<5000'],
    };
    delete (ramp as Partial<Scenario>).durationMs;
    const sched = buildSchedule(resolveScenario(ramp));
    expect(sched.clients).toHaveLength(10);
    expect(sched.clients.filter((c) => c.leaveAtMs !== null)).toHaveLength(7);
    expect(sched.rates.map((s) => s.rate)).toEqual([60, 20]);
    const r = await runStress({ scenario: ramp });
    expect(r.status, JSON.stringify(r.violations.slice(0, 3))).toBe('ok');
    expect(r.broadcast.runs.length).toBe(2);
    expect(r.broadcast.runs.every((n) => n !== null && n > 0)).toBe(true);
    expect(Math.max(...r.timeline.points.map((p) => p.clients))).toBeGreaterThanOrEqual(8);
    expect(r.thresholds).toEqual([expect.objectContaining({ source: 'latency.p99<5000', ok: true })]);
  }, 30_000);

  it('the oracle checks each broadcast run of a staged scenario on its own', () => {
    const key = (e: number, s: number): number => e * EPOCH_SPAN + s;
    const base = {
      targetKind: 'addon' as const, broadcastSize: 128, broadcastSent: 50, epochs: [30, 50] as (number | null)[], deviceAllocFailures: 0,
      finalStats: { events: { connect: 1, disconnect: 1 }, clients: 0, connected: 0, dropped: 0, closedOnFull: 0, allocFailures: 0 },
      queue: { bound: 16, maxSeen: 0, samples: 1 }, aliveAtEnd: true, stop: null,
    };
    const trace = (keys: number[]) => ({
      client: 'reader-1', behaviour: 'reader' as const, wellBehaved: true, session: 1, seqAtJoin: 0, telemetry: SeqRecorder.of(keys).ranges,
      malformed: 0, survived: true, end: 'harness' as const, closeCode: 1000,
    });
    const all = [...Array.from({ length: 30 }, (_, i) => key(0, i + 1)), ...Array.from({ length: 50 }, (_, i) => key(1, i + 1))];
    const inv = (keys: number[]): string[] => checkInvariants({ ...base, targetKind: 'url', sessions: [trace(keys)] }).map((v) => v.invariant);
    expect(inv(all)).toEqual([]);
    expect(inv(all.filter((k) => k !== key(0, 30)))).toEqual(['broadcast-complete']); // run 1's tail, owed: run 2 came after
    expect(inv(all.filter((k) => k !== key(1, 1)))).toEqual(['broadcast-complete']);
    expect(inv([...all.slice(0, 31), key(0, 30), ...all.slice(31)])).toContain('broadcast-in-order');
  });

  it('--replay runs the schedule of a report again', async () => {
    const io = captureIo();
    expect(await main(['stress', '--scenario', 'smoke', '--duration', '0.8', '--seed', '21', '--json', '--quiet'], io)).toBe(0);
    const file = path.join(tmp, 'run.json');
    writeFileSync(file, io.out);
    const first = JSON.parse(io.out) as StressResult;
    const io2 = captureIo();
    expect(await main(['stress', '--replay', file, '--json', '--quiet'], io2)).toBe(0);
    const again = JSON.parse(io2.out) as StressResult;
    expect(again.schedule).toEqual(first.schedule);
    expect(again.spec).toEqual(first.spec);
    expect(again.seed).toBe(21);
    const io3 = captureIo();
    expect(await main(['stress', '--replay', file, '--clients', '3'], io3)).toBe(2);
  }, 30_000);

  it('--churn-rate sets the rate of connections that arrive, read briefly and close', async () => {
    const r = await runStress({ scenario: 'smoke', durationMs: 1500, churnRate: 150, seed: 2 });
    expect(r.status, JSON.stringify(r.violations.slice(0, 3))).toBe('ok');
    expect(r.stats.arrivals!.started).toBeGreaterThan(150);
    expect(r.stats.byBehaviour.arrival!.sessions).toBeGreaterThan(150);
    expect(r.metrics.connections.perSec).toBeGreaterThan(100);
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// 3. Seeds, shards, merge

describe('seeds, shards, merge', () => {
  it('--seeds A..B --shard i/n split a range; merge gives one verdict and notices a missing shard', async () => {
    const files: string[] = [];
    for (const shard of ['1/2', '2/2']) {
      const io = captureIo();
      expect(await main(['stress', '--scenario', 'smoke', '--duration', '0.4', '--seeds', '1..4', '--shard', shard, '--json', '--quiet'], io), io.err).toBe(0);
      const b = JSON.parse(io.out) as { entries: { seed: number }[]; shard: unknown };
      expect(b.entries.map((e) => e.seed)).toEqual(shard === '1/2' ? [1, 3] : [2, 4]);
      const f = path.join(tmp, `shard-${shard.replace('/', 'of')}.json`);
      writeFileSync(f, io.out);
      files.push(f);
    }
    const io = captureIo();
    const html = path.join(tmp, 'merged.html');
    expect(await main(['merge', ...files, '--html', html], io)).toBe(0);
    expect(io.out).toMatch(/result\s+OK \(exit 0\)/);
    expect(io.out).toMatch(/runs\s+4: ok 4/);
    expect(readFileSync(html, 'utf8')).toMatch(/<table class="batch">[\s\S]*<td>4<\/td>/);
    const one = captureIo();
    expect(await main(['merge', files[0]!, '--json'], one)).toBe(1);
    expect(JSON.parse(one.out).problems).toEqual(['shard(s) 2/2 missing']);
    const usage = captureIo();
    expect(await main(['stress', '--shard', '1/2'], usage)).toBe(2);
    expect(readFileSync(files[1]!, 'utf8')).toMatch(/"kind": "batch"/);
  }, 60_000);
});

