// The C++ unit tests (native/test/*_test.cpp) built by scripts/build.mjs under AddressSanitizer +
// UBSan. The binary must exist: a missing build is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = path.join(root, 'build-native', 'asan', 'twincore_unit_tests');
const RUN_TIMEOUT_MS = 120_000;

describe('native core unit tests (ASan + UBSan build)', () => {
  it('all pass', () => {
    if (!existsSync(binary)) {
      throw new Error(
        `C++ unit-test binary not found at ${path.relative(root, binary)}; build it with ` +
          '`node scripts/build.mjs native` (or `npm run build`)',
      );
    }
    const r = spawnSync(binary, [], {
      cwd: root,
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
    });
    const output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
    const tail = output.trim().split('\n').slice(-40).join('\n');
    if (r.error) throw new Error(`could not run ${binary}: ${r.error.message}\n${tail}`);
    expect(r.signal, `unit tests killed by ${r.signal}\n${tail}`).toBeNull();
    expect(output, 'sanitizer report in unit-test output').not.toMatch(/ERROR: (Address|Leak)Sanitizer|runtime error:/);

    const m = /^core unit tests: (\d+) passed, (\d+) failed$/m.exec(r.stdout ?? '');
    expect(m, `no summary line in unit-test output\n${tail}`).not.toBeNull();
    const passed = Number(m![1]);
    const failed = Number(m![2]);
    expect(failed, `C++ unit tests failed\n${tail}`).toBe(0);
    expect(passed).toBeGreaterThan(0);
    expect(r.status, `unit tests exited with ${r.status}\n${tail}`).toBe(0);
  }, RUN_TIMEOUT_MS + 10_000);
});
