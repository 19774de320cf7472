// The embedded build, checked here without the ESP32 toolchain: the core, the ESP32 port seam and
// the firmware compile with arm-none-eabi-g++ under ESP32-like flags (scripts/cross-check.mjs).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('cross-compile for a 32-bit MCU (-Os -fno-rtti -fno-exceptions)', () => {
  it('compiles the core, the port seam and the firmware', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'cross-check.mjs')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    const m = /^CROSS_CHECK (\{.*\})$/m.exec(r.stdout ?? '');
    expect(m, out).not.toBeNull();
    const summary = JSON.parse(m![1]) as { files: number; failed: number; text: number; data: number; bss: number };
    console.log(`[cross] ${summary.files} files, .text ${summary.text} B, .data ${summary.data} B, .bss ${summary.bss} B`);
    expect(summary.failed, out).toBe(0);
    expect(summary.files).toBeGreaterThanOrEqual(10);
    expect(r.status, out).toBe(0);
  }, 200_000);
});
