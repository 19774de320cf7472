#!/usr/bin/env node
// Builds everything `npm install` promises, offline apart from the npm registry:
//   1. the Node-API addon with cmake-js     -> build/Release/twincore.node
//   2. the standalone device + C++ unit tests under AddressSanitizer+UBSan and ThreadSanitizer
//                                            -> build-native/{asan,tsan}/
//   3. the TypeScript                        -> dist/, and node_modules/.bin/twincore -> dist/cli.js
//      (npm links the bins of dependencies, not the project's own; `npx twincore` looks there)
// Each step is incremental; a failing step fails the install with its compiler output.
// Usage: node scripts/build.mjs [addon|native|ts ...]   (default: all three)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const jobs = String(Math.max(1, Math.min(4, (await import('node:os')).availableParallelism())));

function run(cmd, args, env = {}) {
  console.log(`[twincore build] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`[twincore build] failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// Node's own headers (uv.h) sit in <prefix>/include/node next to the node binary.
function nodeIncludeDir() {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  const found = candidates.find((d) => existsSync(path.join(d, 'uv.h')));
  if (!found) {
    console.error('[twincore build] cannot find uv.h from Node\'s headers; looked in ' + candidates.join(', '));
    process.exit(1);
  }
  return found;
}

function buildAddon() {
  const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const addonApi = require('node-addon-api').include_dir.replace(/^"|"$/g, '');
  run(process.execPath, [cmakeJs, 'compile', '--log-level', 'warn', '-p', jobs,
    `--CDNODE_UV_INCLUDE_DIR=${nodeIncludeDir()}`,
    `--CDNODE_ADDON_API_DIR=${path.resolve(root, addonApi)}`]);
}

function buildNative() {
  // asan/tsan: everything (the device, the C++ tests, the runtime user firmware links);
  // plain: the runtime and the device only (user firmware for `twincore serve`, no tests).
  for (const [dir, sanitize] of [['plain', 'none'], ['asan', 'address'], ['tsan', 'thread']]) {
    const out = path.join('build-native', dir);
    run('cmake', ['-S', '.', '-B', out, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', `-DTC_SANITIZE=${sanitize === 'none' ? '' : sanitize}`,
      '--log-level=WARNING']);
    const targets = dir === 'plain' ? ['--target', 'twincore_sketch_main', 'twincore-device'] : [];
    run('cmake', ['--build', out, '--parallel', jobs, ...targets]);
  }
}

function buildTs() {
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);
  const cli = path.join(root, 'dist', 'cli.js');
  chmodSync(cli, 0o755);
  const binDir = path.join(root, 'node_modules', '.bin');
  mkdirSync(binDir, { recursive: true });
  const link = path.join(binDir, 'twincore');
  rmSync(link, { force: true });
  symlinkSync(path.relative(binDir, cli), link);
}

const steps = { addon: buildAddon, native: buildNative, ts: buildTs };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(steps);
for (const s of wanted) {
  if (!steps[s]) {
    console.error(`[twincore build] unknown step '${s}' (known: ${Object.keys(steps).join(', ')})`);
    process.exit(2);
  }
  steps[s]();
}
