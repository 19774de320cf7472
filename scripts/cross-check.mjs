#!/usr/bin/env node
// The embedded build, checked without the ESP32 toolchain: compiles the WebSocket core, the
// ESP32 port seam and the firmware with Debian's arm-none-eabi-g++ under ESP32-like flags
// (-Os -fno-rtti -fno-exceptions, 32-bit int/long/size_t, no std::mutex/std::thread), against
// the AsyncTCP/Arduino declarations in native/host and the FreeRTOS declaration stubs in
// native/port/freertos/crosscheck. Compile only: nothing is linked. Prints each object's
// .text/.data/.bss and a JSON summary line `CROSS_CHECK {...}`; exits 1 on any error.
// Two more checks, reported apart from the totals: the Arduino/PlatformIO library layout
// (src/twincore_library.cpp compiled with only src/ on the include path, as both tools do, and
// listing every native/core source), and the ESPAsyncWebServer drop-in headers in use: each
// examples/<name>/<name>.ino compiled as a sketch (Arduino.h first) against the library.
// Usage: node scripts/cross-check.mjs [--cxx arm-none-eabi-g++]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const cxx = argv.includes('--cxx') ? argv[argv.indexOf('--cxx') + 1] : 'arm-none-eabi-g++';
const size = cxx.replace(/g\+\+$/, 'size');
const out = path.join(root, 'build-native', 'cross');
mkdirSync(out, { recursive: true });

const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`cross-check: ${cxx} not found (Debian: apt-get install gcc-arm-none-eabi libstdc++-arm-none-eabi-dev libnewlib-dev)`);
  process.exit(1);
}

const cpp = (dir) => existsSync(path.join(root, dir))
  ? readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.cpp')).map((f) => path.join(dir, f))
  : [];
// The firmware's host-only parts (firmware/host/) and the twin are not part of the board build.
const sources = [...cpp('native/core'), ...cpp('native/port/freertos'), ...cpp('firmware')];
const flags = [
  '-std=gnu++17', '-Os', '-fno-rtti', '-fno-exceptions', '-ffunction-sections', '-fdata-sections',
  '-mcpu=cortex-m4', '-mthumb', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror',
  '-DTWINCORE_BOARD=1',
  '-I', 'native/core', '-I', 'native/port/freertos', '-I', 'native/port/freertos/crosscheck',
  '-I', 'native/host', '-I', 'native/arduino', '-I', 'firmware',
];
let failed = 0;
const objects = [];
for (const src of sources) {
  const obj = path.join(out, src.replace(/[\\/]/g, '_').replace(/\.cpp$/, '.o'));
  const r = spawnSync(cxx, [...flags, '-c', src, '-o', obj], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    failed++;
    console.error(`cross-check: FAILED ${src}\n${r.stderr}`);
  } else {
    objects.push(obj);
  }
}
let text = 0, data = 0, bss = 0;
if (objects.length) {
  const r = spawnSync(size, objects, { encoding: 'utf8' });
  for (const line of r.stdout.split('\n').slice(1)) {
    const m = line.trim().split(/\s+/);
    if (m.length >= 6 && /^\d+$/.test(m[0])) {
      text += +m[0]; data += +m[1]; bss += +m[2];
      console.log(`${m[0].padStart(8)} ${m[1].padStart(6)} ${m[2].padStart(6)}  ${path.basename(m[5])}`);
    }
  }
}
// The library layout and the drop-in headers (not in the totals: the library is the same core).
const boardFlags = flags.filter((f, i) => !['native/core', 'native/port/freertos', 'firmware'].includes(f) &&
  !(f === '-I' && ['native/core', 'native/port/freertos', 'firmware'].includes(flags[i + 1])));
const libraryFlags = [...boardFlags, '-I', 'src', '-DESP32', '-DARDUINO_ARCH_ESP32'];
const libraryShim = readFileSync(path.join(root, 'src', 'twincore_library.cpp'), 'utf8');
for (const src of cpp('native/core')) {
  if (!libraryShim.includes(`"../${src}"`)) {
    failed++;
    console.error(`cross-check: src/twincore_library.cpp does not include ${src} (the library would miss it)`);
  }
}
const extra = [{ name: 'library', src: 'src/twincore_library.cpp' }];
const examplesDir = path.join(root, 'examples');
for (const e of existsSync(examplesDir) ? readdirSync(examplesDir).sort() : []) {
  const ino = path.join(examplesDir, e, `${e}.ino`);
  if (!existsSync(ino)) continue;
  const joined = path.join(out, `example_${e}.cpp`);
  writeFileSync(joined, `#include <Arduino.h>\n#line 1 ${JSON.stringify(ino)}\n${readFileSync(ino, 'utf8')}`);
  extra.push({ name: `examples/${e}`, src: joined });
}
const extraSizes = {};
for (const x of extra) {
  const obj = path.join(out, `${x.name.replace(/[\\/]/g, '_')}.o`);
  const r = spawnSync(cxx, [...libraryFlags, '-c', x.src, '-o', obj], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    failed++;
    console.error(`cross-check: FAILED ${x.name}\n${r.stderr}`);
    continue;
  }
  const m = spawnSync(size, [obj], { encoding: 'utf8' }).stdout.split('\n')[1]?.trim().split(/\s+/) ?? [];
  extraSizes[x.name] = { text: +m[0], data: +m[1], bss: +m[2] };
  console.log(`${String(m[0]).padStart(8)} ${String(m[1]).padStart(6)} ${String(m[2]).padStart(6)}  ${x.name} (not in the totals)`);
}
const summary = { compiler: probe.stdout.split('\n')[0], files: sources.length, failed, text, data, bss, extra: extraSizes };
console.log(`CROSS_CHECK ${JSON.stringify(summary)}`);
process.exit(failed ? 1 : 0);
