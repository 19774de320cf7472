// `twincore build`: a firmware project (project.ts) becomes a device executable per variant:
// plain, asan (AddressSanitizer + UBSan + LeakSanitizer) or tsan. The executable is the device
// process of native/device/runner.h running the sketch's globals, setup() and loop().
//
// Cache: <project>/.twincore/build/<env|sketch>-<variant>/ (or $TWINCORE_CACHE_DIR/<name>-<hash>/
// when set). The inputs (sources, include folders, defines, flags, variant) are written to
// inputs.cmake there, only when they changed; CMake re-configures when that file changes, and the
// compiler's dependency files rebuild only what a change touches. A build with nothing changed
// runs one no-op `make` (well under a second).
//
// Board defines: what PlatformIO's espressif32/arduino build sets and sketches test (ESP32,
// ARDUINO_ARCH_ESP32, ARDUINO=10812, ESP_PLATFORM, F_CPU, ARDUINO_<BOARD>, CONFIG_IDF_TARGET_*),
// plus TWINCORE_HOST=1 for the rare sketch that must know.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { FirmwareBuildError, FirmwareProjectError, TwincoreRangeError } from '../errors.js';
import { packageRoot } from '../native.js';
import { resolveProject, type FirmwareProject, type ResolveOptions } from './project.js';
import { joinSketch } from './sketch.js';

export type Variant = 'plain' | 'asan' | 'tsan';
export const VARIANTS: readonly Variant[] = ['plain', 'asan', 'tsan'];

export type Board = 'esp32' | 'esp32s3' | 'esp32c3';
const BOARD_DEFINES: Record<Board, string[]> = {
  esp32: ['ARDUINO_ESP32_DEV', 'ARDUINO_BOARD="ESP32_DEV"', 'ARDUINO_VARIANT="esp32"', 'CONFIG_IDF_TARGET_ESP32=1', 'F_CPU=240000000L'],
  esp32s3: ['ARDUINO_ESP32S3_DEV', 'ARDUINO_BOARD="ESP32S3_DEV"', 'ARDUINO_VARIANT="esp32s3"', 'CONFIG_IDF_TARGET_ESP32S3=1', 'F_CPU=240000000L'],
  esp32c3: ['ARDUINO_ESP32C3_DEV', 'ARDUINO_BOARD="ESP32C3_DEV"', 'ARDUINO_VARIANT="esp32c3"', 'CONFIG_IDF_TARGET_ESP32C3=1', 'F_CPU=160000000L'],
};
const COMMON_DEFINES = ['ESP32', 'ARDUINO_ARCH_ESP32', 'ARDUINO=10812', 'ESP_PLATFORM', 'TWINCORE_HOST=1'];

/** Which AsyncWebServer the firmware is built against: upstream ESPAsyncWebServer when the project
 *  brings it (a library providing ESPAsyncWebServer.h), else twincore's core and its drop-in
 *  (native/core: ESPAsyncWebServer.h, AsyncWebServer.h, AsyncWebSocket.h), as the Arduino tools pick
 *  an installed library. `library: 'twincore'` on a project that brings upstream leaves upstream's
 *  library out (its sources and include folders) so the same sketch builds against the drop-in. */
export type WebLibrary = 'twincore' | 'upstream';
export const WEB_LIBRARIES: readonly WebLibrary[] = ['twincore', 'upstream'];

export interface BuildOptions extends ResolveOptions {
  /** Force the web library (default: detected, see WebLibrary). */
  library?: WebLibrary;
  /** The firmware project: a PlatformIO project, a sketch folder, or (with src) any folder. */
  project: string;
  variant?: Variant;
  board?: Board;
  /** Extra -D definitions (NAME or NAME=VALUE). */
  defines?: string[];
  /** Compiler output as it comes (for a live CLI); the result keeps it too. */
  onOutput?: (text: string) => void;
  /** Parallel compile jobs (default: CPUs, at most 4). */
  jobs?: number;
}

export interface BuildResult {
  project: FirmwareProject;
  variant: Variant;
  library: WebLibrary;
  executable: string;
  buildDir: string;
  /** False when nothing needed compiling. */
  compiled: boolean;
  ms: number;
  output: string;
}

function run(cmd: string, args: string[], cwd: string, onOutput?: (t: string) => void): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t;
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      err += t;
      onOutput?.(t);
    });
    child.on('error', (e) => resolve({ code: 127, out, err: `${err}${cmd}: ${e.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

function writeIfChanged(file: string, content: string): boolean {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return false;
  writeFileSync(file, content);
  return true;
}

const cmakeList = (xs: string[]) => xs.map((x) => `  "${x.replace(/\\/g, '/').replace(/"/g, '\\"')}"`).join('\n');

/** The prebuilt runtime of a variant (npm install builds all three). */
export function runtimeDir(variant: Variant): string {
  return path.join(packageRoot(), 'build-native', variant);
}

/** Compiler output reduced to what a person needs: the compiler's messages, not make's. A header
 *  the twin does not have gets a line saying so. */
export function compilerMessages(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => !/^(make(\[\d+\])?: |gmake|\[\s*\d+%\]|-- )/.test(l) && l.trim() !== '');
  const extra: string[] = [];
  for (const m of stderr.matchAll(/fatal error: ([\w./+-]+\.h): No such file or directory/g)) {
    extra.push(`twincore: <${m[1]}> is neither in the project nor in the simulated Arduino-ESP32 API; ` +
      'if it is a board-only library, the twin cannot run it (see README, "What the twin simulates")');
  }
  return [...lines, ...new Set(extra)].join('\n');
}

/** Builds the project for one variant; resolves to the executable. */
export async function buildFirmware(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const variant = options.variant ?? 'plain';
  if (!VARIANTS.includes(variant)) throw new TwincoreRangeError(`variant must be one of ${VARIANTS.join(', ')}, got '${String(variant)}'`);
  const board = options.board ?? 'esp32';
  if (!(board in BOARD_DEFINES)) throw new TwincoreRangeError(`board must be one of ${Object.keys(BOARD_DEFINES).join(', ')}, got '${String(board)}'`);
  const project = resolveProject(options.project, options);
  const runtime = runtimeDir(variant);
  if (!existsSync(path.join(runtime, 'libtwincore_runtime.a'))) {
    throw new FirmwareProjectError(`the ${variant} runtime is not built (${runtime}); run "npm install" in the twincore package`);
  }
  if (options.library !== undefined && !WEB_LIBRARIES.includes(options.library)) {
    throw new TwincoreRangeError(`library must be one of ${WEB_LIBRARIES.join(', ')}, got '${String(options.library)}'`);
  }
  const upstreamIncludes = project.includes.filter((inc) => existsSync(path.join(inc, 'ESPAsyncWebServer.h')));
  const bringsUpstream = upstreamIncludes.length > 0;
  const library: WebLibrary = options.library ?? (bringsUpstream ? 'upstream' : 'twincore');
  if (library === 'upstream' && !bringsUpstream) {
    throw new FirmwareProjectError(`${project.name}: --library upstream, but the project brings no ESPAsyncWebServer (no library provides ESPAsyncWebServer.h)`);
  }
  // A project that brings upstream but is built against the drop-in gets its own cache folder.
  const tag = `${project.env ?? project.kind}-${variant}${board === 'esp32' ? '' : `-${board}`}${library === 'twincore' && bringsUpstream ? '-dropin' : ''}`;
  const cacheRoot = process.env.TWINCORE_CACHE_DIR;
  const buildDir = cacheRoot
    ? path.join(path.resolve(cacheRoot), `${project.name}-${createHash('sha256').update(project.root).digest('hex').slice(0, 8)}`, tag)
    : path.join(project.root, '.twincore', 'build', tag);
  mkdirSync(buildDir, { recursive: true });

  let projectIncludes = project.includes;
  let projectSources = project.sources;
  if (library === 'twincore' && bringsUpstream) {
    // The libraries providing ESPAsyncWebServer.h are left out: their folders and their sources.
    const out = project.libraries.filter((l) => !l.skipped && upstreamIncludes.some((inc) => inc === l.dir || inc.startsWith(l.dir + path.sep)));
    for (const l of out) l.skipped = 'replaced by twincore\'s drop-in (--library twincore)';
    const under = (f: string) => out.some((l) => f === l.dir || f.startsWith(l.dir + path.sep));
    projectIncludes = project.includes.filter((inc) => !under(inc) && !upstreamIncludes.includes(inc));
    projectSources = project.sources.filter((f) => !under(f));
  }
  const includes = [...new Set(projectIncludes)];
  if (library === 'twincore') includes.push(path.join(packageRoot(), 'native', 'core'), path.join(packageRoot(), 'native', 'port', 'std'));
  const sources = [...projectSources];
  if (project.inoFiles.length) {
    const joined = path.join(buildDir, `${project.name}.ino.cpp`);
    writeIfChanged(joined, joinSketch(project.inoFiles));
    sources.unshift(joined);
  }
  const name = `${project.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-device`;
  const defines = [...COMMON_DEFINES, ...BOARD_DEFINES[board], ...project.defines, ...(options.defines ?? [])];
  const root = packageRoot();
  const inputs = [
    `# Written by twincore (src/firmware/build.ts) for ${project.root}; rewritten when the inputs change.`,
    `set(TC_ROOT "${root}")`,
    `set(TC_RUNTIME_DIR "${runtime}")`,
    `set(TC_VARIANT "${variant}")`,
    `set(TC_FW_NAME "${name}")`,
    `set(TC_FW_SOURCES\n${cmakeList(sources)})`,
    `set(TC_FW_INCLUDES\n${cmakeList(includes)})`,
    `set(TC_FW_DEFINES\n${cmakeList(defines)})`,
    'set(TC_FW_CXXFLAGS -g -Wno-unused-parameter)',
    'set(TC_FW_CFLAGS -g)',
    '',
  ].join('\n');
  const inputsFile = path.join(buildDir, 'inputs.cmake');
  writeIfChanged(inputsFile, inputs);

  let output = '';
  const cmakeDir = path.join(buildDir, 'cmake');
  if (!existsSync(path.join(cmakeDir, 'Makefile'))) {
    const type = variant === 'plain' ? 'RelWithDebInfo' : 'Debug';
    const r = await run('cmake', ['-S', path.join(root, 'native', 'firmware'), '-B', cmakeDir, `-DTC_INPUTS=${inputsFile}`,
      `-DCMAKE_BUILD_TYPE=${type}`, ...(variant === 'plain' ? [] : ['-DCMAKE_CXX_FLAGS_DEBUG=-g -O1', '-DCMAKE_C_FLAGS_DEBUG=-g -O1']),
      '--log-level=WARNING'], buildDir);
    output += r.err;
    if (r.code !== 0) throw new FirmwareBuildError(`cmake could not configure the firmware build:\n${r.err.trim()}`, r.err);
  }
  const jobs = String(options.jobs ?? Math.max(1, Math.min(4, (await import('node:os')).availableParallelism())));
  const r = await run('cmake', ['--build', cmakeDir, '--parallel', jobs], buildDir, options.onOutput);
  output += r.err;
  if (r.code !== 0) {
    const messages = compilerMessages(r.err);
    throw new FirmwareBuildError(`${project.name}: the firmware did not build for the twin (${variant}):\n${messages}`, messages);
  }
  const compiled = /Building (CXX|C) object|Linking CXX executable/.test(r.out);
  return { project, variant, library, executable: path.join(cmakeDir, name), buildDir, compiled, ms: Date.now() - started, output };
}
