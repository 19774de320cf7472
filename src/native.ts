// Loads the addon build/Release/twincore.node and types its surface (native/addon/addon.cpp).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Profile } from './defaults.js';
import { NativeLoadError } from './errors.js';
import type { Counters, FaultKind, LogLevel, StallTask } from './types.js';

export interface NativeDeviceOptions {
  firmware: string;
  config: Record<string, string>;
  profile: Profile;
}

/** One twin::Device. Threads and lifetimes: see the comment above NativeDevice in addon.cpp. */
export interface NativeDevice {
  /** Boots the device (blocks until the firmware's setup() returned); the host ports. */
  start(): number[];
  /** Idempotent: the same promise every time; resolves once every device thread is joined. */
  stop(): Promise<void>;
  counters(): Counters;
  injectFault(kind: FaultKind, count: number): void;
  /** That task's next turn blocks ms (1..60000) milliseconds (twin::stallTask). */
  stall(task: StallTask, ms: number): void;
  readonly running: boolean;
}

export interface NativeAddon {
  NativeDevice: new (options: NativeDeviceOptions, onLog: (level: LogLevel, line: string) => void) => NativeDevice;
  firmwareNames(): string[];
  /** twin::Profile{} as the C++ side defines it. */
  defaultProfile(): Profile;
}

let root: string | undefined;

/** The package root: the nearest directory above this file holding twincore's package.json
 *  (this file runs as src/native.ts under vitest and as dist/native.js when built). */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'twincore') return (root = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new NativeLoadError(`cannot find twincore's package.json above ${fileURLToPath(import.meta.url)}`);
}

export function addonPath(): string {
  return path.join(packageRoot(), 'build', 'Release', 'twincore.node');
}

let addon: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (addon) return addon;
  const file = addonPath();
  if (!existsSync(file)) {
    throw new NativeLoadError(`the native addon is missing (${file}); run "npm install" (or "node scripts/build.mjs addon")`);
  }
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (e) {
    throw new NativeLoadError(`cannot load the native addon ${file}: ${(e as Error).message}; rebuild it with "npm install"`,
      { cause: e });
  }
  return addon;
}
