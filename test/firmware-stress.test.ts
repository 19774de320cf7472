// `twincore stress DIR`: any firmware, judged by invariants that need no help from it. A correct
// chat firmware passes every one under ASan and TSan; a leaking one fails the baseline check while
// it runs (and LeakSanitizer at exit); a bug-pattern fixture fails with the report and the command
// that replays it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { main } from '../src/cli.js';
import { runFirmwareStress } from '../src/harness/firmware-stress.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'firmware');
const cache = mkdtempSync(path.join(os.tmpdir(), 'twincore-fwstress-test-'));
process.env.TWINCORE_CACHE_DIR = cache;
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const byName = (r: { invariants: { name: string; ok: boolean; detail: string }[] }) =>
  Object.fromEntries(r.invariants.map((i) => [i.name, i]));

describe('generic firmware stress', () => {
  for (const variant of ['asan', 'tsan'] as const) {
    it(`a correct WebSocket firmware passes every invariant (${variant})`, async () => {
      const r = await runFirmwareStress({ project: path.join(fixtures, 'ws_chat'), variant, durationMs: 4000, seed: 3 }).result;
      const inv = byName(r);
      expect(r.invariants.filter((i) => !i.ok)).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.protocol).toBe('ws');
      expect(inv['valid-frames']!.detail).toMatch(/all valid/);
      expect(r.stats.wsOpened).toBeGreaterThan(10);
      expect(r.stats.messagesReceived).toBeGreaterThan(10);
      expect(r.stats.httpAnswered).toBeGreaterThan(0);
      expect(r.stats.probes).toBeGreaterThanOrEqual(3);
      for (const b of ['reader', 'sender', 'churn', 'malformed', 'bad-handshake', 'http'] as const) expect(r.stats.sessions[b]).toBeGreaterThan(0);
      expect(r.afterRun!.connectionsOpen).toBeLessThanOrEqual(r.baseline!.connectionsOpen!);
      expect(r.stop!.exitCode).toBe(0);
    }, 180_000);
  }

  it('a firmware that leaks per connection fails the baseline check while it runs, and LeakSanitizer at exit', async () => {
    const r = await runFirmwareStress({ project: path.join(fixtures, 'ws_leaky'), variant: 'asan', durationMs: 3000 }).result;
    const inv = byName(r);
    expect(r.ok).toBe(false);
    expect(inv.baseline!.ok).toBe(false);
    expect(inv.baseline!.detail).toMatch(/heap \d+ B -> \d+ B/);
    expect(inv.sanitizer!.ok).toBe(false);
    expect(r.sanitizerReports.join('\n')).toMatch(/LeakSanitizer: detected memory leaks/);
    expect(r.sanitizerReports.join('\n')).toMatch(/ws_leaky\.ino:\d+/);
    expect(inv['no-crash']!.ok).toBe(true);
  }, 180_000);

  it('the CLI fails a bug-pattern fixture with the report and the replay command (exit 1)', async () => {
    let out = '';
    let err = '';
    const code = await main(['stress', path.join(fixtures, 'bug_delete_in_ondata'), '--target', 'asan', '--duration', '10', '--quiet', '--message', 'quit'],
      { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTty: false });
    expect(code).toBe(1);
    expect(out).toMatch(/FAILED/);
    expect(out).toMatch(/FAIL\s+sanitizer\s+1 report/);
    expect(out).toMatch(/heap-use-after-free/);
    expect(out).toMatch(/replay: npx twincore stress .*bug_delete_in_ondata --target asan --seed 1/);
    expect(err).toBe('');
  }, 180_000);

  it('refuses more clients than the profile has sockets for, and a firmware without the named WebSocket path', async () => {
    let err = '';
    const io = { stdout: () => undefined, stderr: (t: string) => { err += t; }, isTty: false };
    expect(await main(['stress', path.join(fixtures, 'ws_chat'), '--clients', '15', '--quiet'], io)).toBe(2);
    expect(err).toMatch(/exceed the profile's 16 connections/);
    err = '';
    expect(await main(['stress', path.join(fixtures, 'ws_chat'), '--ws', '/nope', '--target', 'plain', '--quiet'], io)).toBe(2);
    expect(err).toMatch(/no WebSocket handshake at \/nope \(HTTP 404\)/);
  }, 180_000);
});
