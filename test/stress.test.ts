// The stress harness against the in-process device, and the CLI shell over it.
import { describe, expect, it } from 'vitest';

import { main, type CliIo } from '../src/cli.js';
import { TwincoreRangeError, UnsupportedError } from '../src/errors.js';
import { runStress, type StressProgress, type StressResult, type StressStart } from '../src/harness/stress.js';

function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', isTty: false, stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
  return io;
}

describe('runStress (addon target)', () => {
  it('emits start, tick and done, and ends clean', async () => {
    const run = runStress({ clients: 6, durationMs: 1500, tickIntervalMs: 100, tickMs: 5, seed: 7 });
    const starts: StressStart[] = [];
    const ticks: StressProgress[] = [];
    const dones: StressResult[] = [];
    run.on('start', (s) => starts.push(s));
    run.on('tick', (p) => ticks.push(p));
    run.on('done', (r) => dones.push(r));
    const r = await run.result;
    expect(starts).toHaveLength(1);
    expect(starts[0]!.port).toBeGreaterThan(0);
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    expect(dones).toEqual([r]);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.stats.connections).toBeGreaterThan(10);
    expect(r.stats.linesEchoed).toBe(r.stats.linesSent);
    expect(r.stop).toMatchObject({ exitCode: 0, sanitizerReports: [] });
    expect(r.stop?.counters).toMatchObject({ clientsAlive: 0, connectionsOpen: 0, threadsAlive: 0 });
  });

  it('is bounded by maxConnections', async () => {
    const r = await runStress({ clients: 4, durationMs: 20_000, maxConnections: 25, tickMs: 0 }).result;
    expect(r.ok).toBe(true);
    expect(r.stats.connections).toBe(25);
  });

  it('rejects bad options synchronously', () => {
    expect(() => runStress({ clients: 0 })).toThrow(TwincoreRangeError);
    expect(() => runStress({ target: 'board' as never })).toThrow(TwincoreRangeError);
    expect(() => runStress({ firmware: 'webui' })).toThrow(UnsupportedError);
    expect(() => runStress({ endings: { reset: 0 } })).toThrow(TwincoreRangeError);
  });
});

describe('cli', () => {
  it('prints help and exits 0', async () => {
    const io = captureIo();
    expect(await main(['help'], io)).toBe(0);
    expect(io.out).toContain('stress');
    const io2 = captureIo();
    expect(await main(['help', 'stress'], io2)).toBe(0);
    expect(io2.out).toContain('--clients');
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [[], ['frobnicate'], ['stress', '--clients'], ['stress', '--clients', 'many'],
      ['stress', '--target', 'board'], ['stress', '--bogus'], ['stress', '--firmware', 'nope'], ['help', 'nope']]) {
      const io = captureIo();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
    }
  });

  it('runs stress with --json and exits 0', async () => {
    const io = captureIo();
    const code = await main(['stress', '--clients', '4', '--duration', '1', '--json'], io);
    expect(code, io.err).toBe(0);
    const result = JSON.parse(io.out) as StressResult;
    expect(result.ok).toBe(true);
    expect(result.stats.connections).toBeGreaterThan(0);
    expect(io.err).toContain('twincore stress: 4 clients');
  });

  it('prints a summary table', async () => {
    const io = captureIo();
    expect(await main(['stress', '--clients', '2', '--duration', '0.5', '--quiet'], io)).toBe(0);
    expect(io.out).toMatch(/result\s+OK/);
    expect(io.err).toBe('');
  });
});
