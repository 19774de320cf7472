// twincore's version, from its package.json (the one place it is written).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from './native.js';

let cached: string | undefined;

export function version(): string {
  if (cached) return cached;
  try {
    cached = String((JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  } catch {
    cached = '0.0.0';
  }
  return cached;
}
