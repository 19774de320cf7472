// The twin's fidelity, as a regression suite: firmwares written here that carry the client-lifetime
// bugs real ESP32 firmware has (test/fixtures/firmware/bug_*), built with a sanitizer, churned by
// raw TCP clients, must be caught within seconds, with a report that names the firmware's own
// line. They show up only because the twin behaves like AsyncTCP on a dual-core board (close()
// runs onDisconnect synchronously, _recv reads the client after onData, async_tcp and loop() run in
// parallel). A correct firmware under the same churn gets no report (no false alarm).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { buildFirmware, type Variant } from '../src/firmware/build.js';
import { runTcpChurn } from '../src/harness/tcp-churn.js';
import { ProcessDevice } from '../src/process-device.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'firmware');
const cache = mkdtempSync(path.join(os.tmpdir(), 'twincore-bugs-test-'));
process.env.TWINCORE_CACHE_DIR = cache;
const devices: ProcessDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.stop()));
});
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** Builds, starts and churns a fixture until the device dies or `budgetMs` passes. */
async function hunt(fixture: string, variant: Exclude<Variant, 'plain'>, lines: string[], budgetMs: number) {
  const build = await buildFirmware({ project: path.join(fixtures, fixture), variant });
  const device = await ProcessDevice.start({ firmwareExecutable: build.executable, sanitizer: variant });
  devices.push(device);
  const started = Date.now();
  const churn = await runTcpChurn({ port: device.port, durationMs: budgetMs, lines, parallel: 8, seed: 7, until: () => !device.running });
  const report = await device.stop();
  return { foundMs: Date.now() - started, churn, report };
}

describe('bug-pattern fixtures are caught by the sanitizer builds', () => {
  it('a client deleted inside its own onData (close() -> onDisconnect -> delete): ASan use-after-free', async () => {
    const { foundMs, report } = await hunt('bug_delete_in_ondata', 'asan', ['hello', 'quit'], 15_000);
    expect(report.sanitizerReports.length).toBeGreaterThan(0);
    const r = report.sanitizerReports[0]!;
    expect(r).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    expect(r).toMatch(/AsyncClient::_twinRecv/); // the read after onData, as AsyncTCP's _recv does
    expect(r).toMatch(/bug_delete_in_ondata\.ino:\d+/); // freed by the sketch's onDisconnect
    expect(report.exitCode).toBe(67);
    console.log(`bug_delete_in_ondata: ASan report after ${foundMs} ms`);
  }, 120_000);

  it('a client list erased on async_tcp while loop() iterates it: TSan data race', async () => {
    const { foundMs, report } = await hunt('bug_erase_while_iterating', 'tsan', ['hello'], 15_000);
    expect(report.sanitizerReports.length).toBeGreaterThan(0);
    expect(report.sanitizerReports[0]).toMatch(/WARNING: ThreadSanitizer: data race/);
    expect(report.sanitizerReports[0]).toMatch(/bug_erase_while_iterating\.ino:\d+/);
    expect(report.exitCode).toBe(66);
    console.log(`bug_erase_while_iterating: TSan report after ${foundMs} ms`);
  }, 120_000);

  it('a status flag written on async_tcp and read by loop() without a lock: TSan data race', async () => {
    const { foundMs, report } = await hunt('bug_unlocked_status', 'tsan', ['hello'], 15_000);
    expect(report.sanitizerReports.length).toBeGreaterThan(0);
    expect(report.sanitizerReports[0]).toMatch(/WARNING: ThreadSanitizer: data race/);
    expect(report.sanitizerReports[0]).toMatch(/bug_unlocked_status\.ino:2[0-9]/);
    console.log(`bug_unlocked_status: TSan report after ${foundMs} ms`);
  }, 120_000);

  it('a correct firmware under the same churn gets no report (ASan and TSan)', async () => {
    for (const variant of ['asan', 'tsan'] as const) {
      const { churn, report } = await hunt('pio_project', variant, ['hello', 'quit'], 3_000);
      expect(report.sanitizerReports).toEqual([]);
      expect(report.exitCode).toBe(0);
      expect(churn.sessions).toBeGreaterThan(20);
      expect(churn.bytesIn).toBeGreaterThan(0);
      expect(report.counters).toMatchObject({ connectionsOpen: 0, threadsAlive: 0 });
    }
  }, 240_000);
});
