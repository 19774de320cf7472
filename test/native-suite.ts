// Runs the C++ test binary (native/test/*_test.cpp: codec, twin, core, firmware) of one sanitizer
// build and checks its closing line and its sanitizer output. A missing build is a failure, not a
// skip. Shared by native-asan.test.ts and native-tsan.test.ts (two files so vitest runs them in
// parallel workers).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'vitest';

import { parseSanitizerReports } from '../src/process-device.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RUN_TIMEOUT_MS = 480_000;  // ~240 tests; TSan on a loaded 2-core CI machine

export async function runNativeSuite(build: 'asan' | 'tsan'): Promise<void> {
  const binary = path.join(root, 'build-native', build, 'twincore_unit_tests');
  if (!existsSync(binary)) {
    throw new Error(`C++ test binary not found at ${path.relative(root, binary)}; build it with \`npm install\``);
  }
  const env = {
    ...process.env,
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
    UBSAN_OPTIONS: 'print_stacktrace=1',
    TSAN_OPTIONS: 'halt_on_error=0:second_deadlock_stack=1:report_signal_unsafe=0',
  };
  const started = Date.now();
  const { code, signal, output } = await new Promise<{ code: number | null; signal: string | null; output: string }>(
    (resolve, reject) => {
      const child = spawn(binary, [], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (c, s) => {
        clearTimeout(timer);
        resolve({ code: c, signal: s, output: out });
      });
    },
  );
  const tail = output.trim().split('\n').slice(-60).join('\n');
  const m = /^core unit tests: (\d+) passed, (\d+) failed$/m.exec(output);
  console.log(`[${build}] ${m ? `${m[1]} passed, ${m[2]} failed` : 'no summary'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  expect(signal, `C++ tests killed by ${signal}\n${tail}`).toBeNull();
  expect(parseSanitizerReports(output), `sanitizer report in the ${build} run\n${tail}`).toEqual([]);
  expect(m, `no summary line in the C++ test output\n${tail}`).not.toBeNull();
  expect(Number(m![2]), `C++ tests failed\n${tail}`).toBe(0);
  expect(Number(m![1])).toBeGreaterThan(0);
  expect(code, `C++ tests exited with ${code}\n${tail}`).toBe(0);
}
