#!/usr/bin/env node
// Measures how often a bug-pattern fixture is found, with and without scheduling jitter (--jitter):
// n runs of T seconds each way, `twincore stress DIR --target <variant>` as the CLI runs it (the
// generic firmware stress), each run with its own seed (1..n). Prints, per mode, "found in k of n
// runs of T s" and the time each finding took. Not a test: a measurement (README "Faults that make
// loopback behave like WiFi" quotes its numbers). Needs dist/ (npx tsc -p tsconfig.json) and the
// variant's runtime (node scripts/build.mjs native).
// Usage: node scripts/jitter-rates.mjs [--fixture NAME] [--variant asan|tsan] [--runs N] [--seconds T]
//        [--modes off,on]
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const fixture = opt('fixture', 'bug_erase_while_iterating');
const variant = opt('variant', 'asan');
const runs = Number(opt('runs', '5'));
const seconds = Number(opt('seconds', '20'));
const modes = opt('modes', 'off,on').split(',');
if (!Number.isInteger(runs) || runs < 1 || !(seconds > 0)) {
  console.error('usage: node scripts/jitter-rates.mjs [--fixture NAME] [--variant asan|tsan] [--runs N] [--seconds T] [--modes off,on]');
  process.exit(2);
}

const cache = mkdtempSync(path.join(os.tmpdir(), 'twincore-jitter-rates-'));
process.env.TWINCORE_CACHE_DIR = cache;
const { runFirmwareStress } = await import(path.join(root, 'dist', 'harness', 'firmware-stress.js'));
const project = path.join(root, 'test', 'fixtures', 'firmware', fixture);

const summary = {};
try {
  for (const mode of modes) {
    const found = [];
    for (let seed = 1; seed <= runs; seed++) {
      const run = runFirmwareStress({ project, variant, durationMs: seconds * 1000, seed, ...(mode === 'on' ? { jitter: true } : {}) });
      let runStart = 0;
      let runEnd = 0;
      run.on('progress', (p) => {
        if (p.phase === 'run' && !runStart) runStart = Date.now();
        if (p.phase === 'settle' && !runEnd) runEnd = Date.now();
      });
      const r = await run.result;
      const hit = r.sanitizerReports.length > 0;
      const ms = hit && runStart ? (runEnd || Date.now()) - runStart : null;
      found.push(ms);
      console.log(`${fixture} ${variant} jitter ${mode} seed ${seed}${r.jitterSeed !== null ? ` (jitter seed ${r.jitterSeed})` : ''}: ` +
        `${hit ? `FOUND after ~${(ms / 1000).toFixed(1)} s: ${r.sanitizerReports[0].split('\n').find((l) => /ERROR|WARNING/.test(l))?.trim() ?? ''}` : 'not found'}`);
    }
    const k = found.filter((m) => m !== null).length;
    summary[mode] = { found: k, runs, seconds, foundAfterMs: found };
    console.log(`== jitter ${mode}: found in ${k} of ${runs} runs of ${seconds} s`);
  }
  console.log(JSON.stringify({ fixture, variant, summary }));
} finally {
  rmSync(cache, { recursive: true, force: true });
}
