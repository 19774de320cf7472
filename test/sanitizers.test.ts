// The standalone device under AddressSanitizer(+UBSan) and ThreadSanitizer, churned by real
// clients while the firmware's loop task writes ticks. A run passes with exit code 0, no
// sanitizer report and no client, connection or thread left behind.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { ProcessDeviceError } from '../src/errors.js';
import { runEchoChurn } from '../src/harness/echo-churn.js';
import { ProcessDevice, deviceBinary, parseSanitizerReports, type Sanitizer } from '../src/process-device.js';
import { connectLines, destroyAllSockets } from './helpers.js';

const fakeDevice = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-device.sh');
const devices: ProcessDevice[] = [];
afterEach(async () => {
  destroyAllSockets();
  await Promise.all(devices.splice(0).map((d) => d.stop()));
});

describe('parseSanitizerReports', () => {
  it('finds TSan, ASan, LSan and UBSan reports and nothing else', () => {
    const stderr = [
      'device: booting',
      '==================',
      'WARNING: ThreadSanitizer: data race (pid=1234)',
      '  Write of size 8 at 0x7b0400000000 by thread T2:',
      '    #0 AsyncClient::close() AsyncTCP.cpp:120',
      'SUMMARY: ThreadSanitizer: data race AsyncTCP.cpp:120 in AsyncClient::close()',
      '==================',
      'LOG echo firmware ready',
      '=================================================================',
      '==1234==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010',
      '    #0 0x4f1 in EchoFirmware::loop() EchoFirmware.cpp:40',
      'SUMMARY: AddressSanitizer: heap-use-after-free EchoFirmware.cpp:40 in EchoFirmware::loop()',
      'Shadow bytes around the buggy address:',
      '==1234==ABORTING',
      'firmware/EchoFirmware.cpp:12:7: runtime error: signed integer overflow: 2147483647 + 1',
      '    #0 0x55 in EchoFirmware::loop()',
      'SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior firmware/EchoFirmware.cpp:12:7',
      '=================================================================',
      '==1234==ERROR: LeakSanitizer: detected memory leaks',
      'Direct leak of 64 byte(s) in 1 object(s) allocated from:',
      'SUMMARY: AddressSanitizer: 64 byte(s) leaked in 1 allocation(s).',
    ].join('\n');
    const reports = parseSanitizerReports(stderr);
    expect(reports).toHaveLength(4);
    expect(reports[0]).toMatch(/^WARNING: ThreadSanitizer: data race/);
    expect(reports[0]).toMatch(/SUMMARY: ThreadSanitizer/);
    expect(reports[1]).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    expect(reports[1]).toMatch(/ABORTING$/);
    expect(reports[2]).toMatch(/runtime error: signed integer overflow/);
    expect(reports[3]).toMatch(/ERROR: LeakSanitizer/);
    expect(reports.join('\n')).not.toContain('LOG echo firmware ready');
    expect(parseSanitizerReports('all good\nnothing here\n')).toEqual([]);
  });
});

describe('ProcessDevice protocol (fake device)', () => {
  it('parses READY, LOG and EXIT and collects the reports from stderr', async () => {
    const d = await ProcessDevice.start({ binary: fakeDevice });
    devices.push(d);
    expect(d.ports).toEqual([4242]);
    expect(d.running).toBe(true);
    expect(d.counters()).toBeNull();
    const report = await d.stop();
    expect(d.running).toBe(false);
    expect(report.exitCode).toBe(1);
    expect(report.counters).toMatchObject({ clientsAlive: 0, connectionsOpen: 0 });
    expect(report.sanitizerReports).toHaveLength(1);
    expect(report.sanitizerReports[0]).toMatch(/ERROR: AddressSanitizer: heap-use-after-free[\s\S]*ABORTING/);
    expect(d.logs).toEqual([{ level: 'info', line: 'echo firmware ready' }]);
  });

  it('a device that dies before READY is a ProcessDeviceError with its stderr', async () => {
    const err = await ProcessDevice.start({ binary: fakeDevice, env: { FAKE_DEVICE_MODE: 'die' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessDeviceError);
    expect(err).toMatchObject({ code: 'TC_PROCESS_FAILED' });
    expect((err as ProcessDeviceError).stderr).toContain('address in use');
  });
});

for (const sanitizer of ['asan', 'tsan'] as Sanitizer[]) {
  describe(`the ${sanitizer} device`, () => {
    it('builds exist (npm install builds them)', () => {
      expect(existsSync(deviceBinary(sanitizer)), deviceBinary(sanitizer)).toBe(true);
    });

    it('boots, echoes and stops with a clean report', async () => {
      const d = await ProcessDevice.start({ sanitizer, config: { tickMs: 50 } });
      devices.push(d);
      expect(d.port).toBeGreaterThan(0);
      const client = await connectLines(d.port);
      client.send('over the process boundary');
      expect(await client.next(10_000)).toBe('over the process boundary');
      expect(d.logs.map((l) => l.line)).toContain('echo firmware ready');
      const report = await d.stop();
      if (report.sanitizerReports.length) console.log(report.sanitizerReports.join('\n\n'));
      expect(report.sanitizerReports).toEqual([]);
      expect(report).toMatchObject({ exitCode: 0, signal: null });
      expect(report.counters).toMatchObject({ clientsAlive: 0, connectionsOpen: 0, threadsAlive: 0 });
      expect(report.counters!.connectionsTotal).toBe(1);
      expect(await d.stop()).toBe(report);
    }, 60_000);

    it('survives a connection churn with loop-task ticks', async () => {
      const r = await runEchoChurn({
        target: sanitizer,
        // More clients than the profile's 16 sockets: deferred accepts are part of the churn.
        // Bounded: 6 s or 3000 connections, whichever comes first.
        clients: 20,
        durationMs: 6000,
        maxConnections: 3000,
        tickMs: 10,
        maxLinesPerSession: 6,
        seed: sanitizer === 'asan' ? 11 : 22,
        opTimeoutMs: 15_000,
        drainTimeoutMs: 20_000,
      });
      console.log(`[${sanitizer}] churn: ${r.stats.connections} connections in ${(r.durationMs / 1000).toFixed(2)} s ` +
        `(${r.connectionsPerSec.toFixed(1)}/s); endings ${JSON.stringify(r.stats.endings)}; ` +
        `${r.stats.linesEchoed} echoes, ${r.stats.ticks} ticks; ` +
        (r.stop?.counters ? `device accepted ${r.stop.counters.connectionsTotal}, deferred ${r.stop.counters.connectionsDeferred}, ` +
          `errors ${r.stop.counters.errors}` : `device gave no counters (exit ${r.stop?.exitCode ?? r.stop?.signal})`));
      if (r.stop?.sanitizerReports.length) {
        console.log(`[${sanitizer}] sanitizer reports:\n${r.stop.sanitizerReports.join('\n\n')}`);
      }
      if (r.violations.length) console.log(`[${sanitizer}] violations:\n${r.violations.map((v) => `[${v.invariant}] ${v.detail}`).join('\n')}`);
      expect(r.error).toBeUndefined();
      expect(r.stop?.sanitizerReports).toEqual([]);
      expect(r.stop).toMatchObject({ exitCode: 0, signal: null });
      expect(r.stop?.counters).toMatchObject({ clientsAlive: 0, connectionsOpen: 0 });
      expect(r.violations).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.stats.connections).toBeGreaterThan(20);
      // Each way of ending a session was exercised.
      for (const n of Object.values(r.stats.endings)) expect(n).toBeGreaterThan(0);
    }, 120_000);
  });
}
