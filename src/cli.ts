#!/usr/bin/env node
// twincore CLI: a thin shell over the programmatic API. argv is parsed here, in one place, with a
// typed flag table per command; each command returns its exit code:
//   0 ok, 1 an invariant was violated (or the run failed), 2 usage error; the reference-firmware
//   stress adds 3 (target unreachable or crashed), 99 (a threshold broken), 130 (interrupted).
// Commands are a table: stress (the main job), serve (the reference firmware until Ctrl-C), merge
// (one verdict over many stress reports), build, help. `twincore --version` prints the version.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { PROFILES, type Profile } from './defaults.js';
import { UsageError, isTwincoreError } from './errors.js';
import { MERGE_FLAGS, STRESS_FLAGS, STRESS_HELP_TAIL, jitterOption, mergeCommand, referenceStressCommand, wifiFlags } from './cli-stress.js';
import { applyWifi, parseStall, wifiSettings } from './harness/wifi-faults.js';
import { version } from './version.js';
import { SERVE_DEFAULTS, parseConfigPairs, serve, type ServeOptions } from './serve.js';
import { FirmwareBuildError, FirmwareProjectError } from './errors.js';
import { VARIANTS, WEB_LIBRARIES, buildFirmware, type Board, type BuildResult, type Variant, type WebLibrary } from './firmware/build.js';
import { ProcessDevice } from './process-device.js';
import { FIRMWARE_STRESS_DEFAULTS, runFirmwareStress, type FirmwareStressResult } from './harness/firmware-stress.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal: the progress line is redrawn in place. */
  isTty: boolean;
  /** Subscribes to Ctrl-C; returns the unsubscribe (default: the process's SIGINT). */
  onInterrupt?: (handler: () => void) => () => void;
  /** Ends the process at once (a second Ctrl-C; default process.exit). */
  exit?: (code: number) => void;
}

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

type FlagKind = 'int' | 'seconds' | 'string' | 'boolean' | 'pairs' | 'list';
type ValueOf<K extends FlagKind> = K extends 'boolean' ? boolean : K extends 'string' ? string : K extends 'pairs' ? Record<string, string> : K extends 'list' ? string[] : number;

/** One flag, tied to a key of the command's config type C. */
export interface FlagDef<C> {
  flag: string;
  key: keyof C & string;
  kind: FlagKind;
  help: string;
  /** Shown in the help as the value's name. */
  arg?: string;
  choices?: readonly string[];
  /** Extra validation of a string value (of each value of a list); throws a message. */
  check?: (value: string) => void;
  /** An int flag whose value may be left out (`--jitter` alone): it then holds -1. */
  optionalValue?: boolean;
  min?: number;
  max?: number;
}

function parseFlags<C extends object>(args: string[], table: readonly FlagDef<C>[]): Partial<C> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const def = table.find((f) => f.flag === name);
    if (!def) throw new UsageError(`unknown flag --${name}`);
    if (def.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[def.key] = true;
      continue;
    }
    if (def.optionalValue && eq < 0 && (args[i + 1] === undefined || args[i + 1]!.startsWith('--'))) {
      out[def.key] = -1;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (raw === undefined || raw === '') throw new UsageError(`--${name} needs a value`);
    if (def.kind === 'list') {
      try {
        def.check?.(raw);
      } catch (e) {
        throw new UsageError(`--${def.flag}: ${(e as Error).message}`);
      }
      ((out[def.key] ??= []) as string[]).push(raw);
      continue;
    }
    if (def.kind === 'pairs') {
      let pair: Record<string, string>;
      try {
        pair = parseConfigPairs([raw]);
      } catch {
        throw new UsageError(`--${name} takes key=value, got '${raw}'`);
      }
      Object.assign((out[def.key] ??= {}) as Record<string, string>, pair);
      continue;
    }
    out[def.key] = convert(def, raw);
  }
  return out as Partial<C>;
}

function convert<C>(def: FlagDef<C>, raw: string): ValueOf<FlagKind> {
  if (def.kind === 'string') {
    if (def.choices && !def.choices.includes(raw)) {
      throw new UsageError(`--${def.flag} must be one of ${def.choices.join(', ')}, got '${raw}'`);
    }
    try {
      def.check?.(raw);
    } catch (e) {
      throw new UsageError(`--${def.flag}: ${(e as Error).message}`);
    }
    return raw;
  }
  const n = Number(raw);
  const min = def.min ?? 0;
  const max = def.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(n) || n < min || n > max || (def.kind === 'int' && !Number.isInteger(n))) {
    throw new UsageError(`--${def.flag} must be ${def.kind === 'int' ? 'an integer' : 'a number of seconds'} in ${min}..${max}, got '${raw}'`);
  }
  return def.kind === 'seconds' ? Math.round(n * 1000) : n;
}

function flagHelp<C>(table: readonly FlagDef<C>[]): string {
  const rows = table.map((f) => {
    const arg = f.kind === 'boolean' ? ''
      : f.arg ? (f.optionalValue ? ` [${f.arg}]` : ` <${f.arg}>`)
        : f.kind === 'string' ? (f.choices ? ` <${f.choices.join('|')}>` : ' <name>')
          : f.kind === 'pairs' ? ' <key=value>' : f.kind === 'list' ? ' <dir>' : f.kind === 'seconds' ? ' <s>' : ' <n>';
    return [`--${f.flag}${arg}`, f.help] as const;
  });
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** `twincore stress DIR`: the firmware stress's flags. */
interface FirmwareStressCliConfig {
  target: string;
  env: string;
  board: string;
  lib: string[];
  ws: string[];
  http: string[];
  message: string[];
  durationMs: number;
  clients: number;
  seed: number;
  profile: string;
  link: string;
  jitter: number;
  stall: string[];
  json: boolean;
  quiet: boolean;
}

const FIRMWARE_STRESS_FLAGS: readonly FlagDef<FirmwareStressCliConfig>[] = [
  { flag: 'target', key: 'target', kind: 'string', choices: ['asan', 'tsan', 'plain'], help: `the build to run: asan (default: AddressSanitizer+UBSan+LeakSanitizer), tsan (ThreadSanitizer), plain` },
  { flag: 'ws', key: 'ws', kind: 'list', arg: 'path', help: `WebSocket path, repeatable (default ${FIRMWARE_STRESS_DEFAULTS.wsPaths.join(', ')})` },
  { flag: 'http', key: 'http', kind: 'list', arg: 'path', help: `HTTP path fetched during the run, repeatable (default ${FIRMWARE_STRESS_DEFAULTS.httpPaths.join(', ')})` },
  { flag: 'message', key: 'message', kind: 'list', arg: 'text', help: 'a text message senders pick from, repeatable (default: generated text and binary)' },
  { flag: 'duration', key: 'durationMs', kind: 'seconds', min: 0.5, max: 86_400, help: `seconds of client activity (default ${FIRMWARE_STRESS_DEFAULTS.durationMs / 1000})` },
  { flag: 'clients', key: 'clients', kind: 'int', min: 1, max: 4094, help: `concurrent clients (default ${FIRMWARE_STRESS_DEFAULTS.clients}; 2 sockets more are kept for the liveness probe)` },
  { flag: 'seed', key: 'seed', kind: 'int', max: 0xffff_ffff, help: `schedule seed (default ${FIRMWARE_STRESS_DEFAULTS.seed})` },
  { flag: 'profile', key: 'profile', kind: 'string', choices: Object.keys(PROFILES), help: 'board profile (default esp32)' },
  ...wifiFlags<FirmwareStressCliConfig>(),
  { flag: 'env', key: 'env', kind: 'string', help: 'PlatformIO environment (default: the project\'s default_envs)' },
  { flag: 'board', key: 'board', kind: 'string', choices: ['esp32', 'esp32s3', 'esp32c3'], help: 'board whose defines the build sets (default esp32)' },
  { flag: 'lib', key: 'lib', kind: 'list', help: 'a library folder, or a folder of libraries (repeatable)' },
  { flag: 'json', key: 'json', kind: 'boolean', help: 'print the result as JSON on stdout' },
  { flag: 'quiet', key: 'quiet', kind: 'boolean', help: 'no progress line' },
];

export function formatFirmwareStress(r: FirmwareStressResult): string {
  const wifi = [r.link ? `link ${r.link.name ?? `${r.link.linkBandwidthKbps} kbit/s, ${r.link.linkRttMs} ms`}` : '', r.jitterSeed !== null ? `jitter ${r.jitterSeed}` : '',
    r.stalls.run ? `${r.stalls.run} stalls` : ''].filter(Boolean).join(', ');
  const lines = [`twincore stress ${r.firmware} (${r.variant}, seed ${r.seed}, ${r.clients} clients, ${r.durationMs / 1000} s${wifi ? `, ${wifi}` : ''}): ${r.ok ? 'OK' : 'FAILED'}`];
  const w = Math.max(...r.invariants.map((i) => i.name.length));
  for (const i of r.invariants) lines.push(`  ${i.ok ? 'ok  ' : 'FAIL'}  ${i.name.padEnd(w)}  ${i.detail}`);
  const s = r.stats.sessions;
  lines.push(`  sessions: ${Object.entries(s).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  messages: ${r.stats.messagesSent} sent, ${r.stats.messagesReceived} received (${r.stats.bytesReceived} B); probes ${r.stats.probes}, slowest ${r.stats.probeMaxMs} ms`);
  if (!r.ok) {
    for (const rep of r.sanitizerReports.slice(0, 2)) lines.push('', rep.split('\n').slice(0, 30).join('\n'));
    if (r.deviceLog.length) lines.push('', 'device log (last lines):', ...r.deviceLog.slice(-10).map((l) => `  ${l}`));
    lines.push('', `replay: ${r.replay}`);
  }
  return lines.join('\n');
}

async function firmwareStressCommand(dir: string, args: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args, FIRMWARE_STRESS_FLAGS);
  const run = runFirmwareStress({
    project: dir, variant: (flags.target ?? FIRMWARE_STRESS_DEFAULTS.variant) as Variant, env: flags.env, board: flags.board as Board | undefined,
    lib: flags.lib, wsPaths: flags.ws, httpPaths: flags.http, messages: flags.message, durationMs: flags.durationMs,
    clients: flags.clients, seed: flags.seed, profile: flags.profile,
    link: flags.link, jitter: jitterOption(flags.jitter), stalls: flags.stall?.map(parseStall),
  });
  if (!flags.quiet) {
    run.on('progress', (p) => {
      const line = `twincore stress: ${p.phase} ${(p.elapsedMs / 1000).toFixed(1)} s, ${p.sessions} sessions, ${p.probes} probes`;
      io.stderr(io.isTty ? `\r\x1b[2K${line}` : `${line}\n`);
    });
  }
  const onSigint = (): void => run.abort();
  process.once('SIGINT', onSigint);
  let result: FirmwareStressResult;
  try {
    result = await run.result;
  } catch (e) {
    if (e instanceof FirmwareBuildError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    if (e instanceof FirmwareProjectError) throw new UsageError(e.message);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (!flags.quiet && io.isTty) io.stderr('\n');
  io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatFirmwareStress(result)}\n`);
  // The exit codes of every stress run: 0 ok, 1 an invariant broke (a sanitizer report is a
  // finding), 3 the device crashed with no report to say why.
  const inv = Object.fromEntries(result.invariants.map((i) => [i.name, i.ok]));
  if (result.ok) return 0;
  return !inv['no-crash'] && inv.sanitizer ? 3 : 1;
}

async function stressCommand(argv: string[], io: CliIo): Promise<number> {
  const [dir, args] = projectArg(argv);
  if (dir !== undefined) return firmwareStressCommand(dir, args, io);
  return referenceStressCommand(parseFlags(args, STRESS_FLAGS), io);
}

/** The serve command's config. */
interface ServeCliConfig {
  port: number;
  profile: string;
  firmwareConfig: Record<string, string>;
  link: string;
  jitter: number;
  stall: string[];
}

const SERVE_FLAGS: readonly FlagDef<ServeCliConfig>[] = [
  { flag: 'port', key: 'port', kind: 'int', max: 65535, help: `port on 127.0.0.1 (default ${SERVE_DEFAULTS.port}; 0 picks one)` },
  { flag: 'profile', key: 'profile', kind: 'string', choices: Object.keys(PROFILES), help: `board profile (default ${SERVE_DEFAULTS.profile})` },
  { flag: 'config', key: 'firmwareConfig', kind: 'pairs', help: 'reference firmware config, repeatable (e.g. rate=10)' },
  ...wifiFlags<ServeCliConfig>(false),
];

/** `twincore serve DIR`: the user's firmware on the twin until Ctrl-C. */
interface FirmwareServeCliConfig {
  port: number;
  profile: string;
  target: string;
  env: string;
  board: string;
  lib: string[];
  dataDir: string;
  link: string;
  jitter: number;
  stall: string[];
}

const FIRMWARE_SERVE_FLAGS: readonly FlagDef<FirmwareServeCliConfig>[] = [
  { flag: 'port', key: 'port', kind: 'int', max: 65535, help: `host port of the firmware's first server on 127.0.0.1 (default ${SERVE_DEFAULTS.port}; 0 picks one)` },
  { flag: 'profile', key: 'profile', kind: 'string', choices: Object.keys(PROFILES), help: 'board profile (default esp32)' },
  { flag: 'target', key: 'target', kind: 'string', choices: ['plain', 'asan', 'tsan'], help: 'the build to run (default plain)' },
  { flag: 'env', key: 'env', kind: 'string', help: 'PlatformIO environment' },
  { flag: 'board', key: 'board', kind: 'string', choices: ['esp32', 'esp32s3', 'esp32c3'], help: 'board whose defines the build sets (default esp32)' },
  { flag: 'lib', key: 'lib', kind: 'list', help: 'a library folder, or a folder of libraries (repeatable)' },
  { flag: 'data-dir', key: 'dataDir', kind: 'string', arg: 'dir', help: 'the board\'s flash (LittleFS, SPIFFS, Preferences) as a host folder, kept (default: a temporary one)' },
  ...wifiFlags<FirmwareServeCliConfig>(false),
];

/** ", over the weak-wifi link ..." for a profile with the link model or jitter on (else ''). */
function wifiNote(p: Profile): string {
  const w = wifiSettings(p);
  return (w.link ? `, over the ${w.link.name ?? 'custom'} link (${w.link.linkBandwidthKbps || 'unlimited'} kbit/s, round trip ${w.link.linkRttMs} ms + 0..${w.link.linkJitterMs} ms)` : '') +
    (w.jitterSeed !== null ? `, with scheduling jitter (seed ${w.jitterSeed})` : '');
}

async function firmwareServeCommand(dir: string, args: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args, FIRMWARE_SERVE_FLAGS);
  const variant = (flags.target ?? 'plain') as Variant;
  let build: BuildResult;
  try {
    build = await buildFirmware({ project: dir, variant, env: flags.env, board: flags.board as Board | undefined, lib: flags.lib });
  } catch (e) {
    if (e instanceof FirmwareBuildError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    if (e instanceof FirmwareProjectError) throw new UsageError(e.message);
    throw e;
  }
  let profile: Profile;
  try {
    profile = applyWifi({ ...PROFILES[flags.profile ?? 'esp32']!, hostPort: flags.port ?? SERVE_DEFAULTS.port }, 1, flags.link, jitterOption(flags.jitter));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const device = await ProcessDevice.start({
    firmwareExecutable: build.executable, sanitizer: variant, profile, maxSeconds: 86_400,
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
  });
  device.on('log', (_lvl, line) => io.stdout(`[${build.project.name}] ${line}\n`));
  for (const l of device.logs) io.stdout(`[${build.project.name}] ${l.line}\n`);
  io.stdout(`${build.project.name} (${variant}, ${build.library === 'upstream' ? 'ESPAsyncWebServer' : 'twincore core'}) on a simulated ${profile.name}: ` +
    `http://127.0.0.1:${device.port}/  ws://127.0.0.1:${device.port}/ws  (ports ${device.ports.join(', ')})${wifiNote(profile)}; Ctrl-C stops it\n`);
  const why = await new Promise<string>((resolve) => {
    const onSig = (sig: string) => () => resolve(sig);
    process.once('SIGINT', onSig('SIGINT'));
    process.once('SIGTERM', onSig('SIGTERM'));
    void device.exited.then(() => resolve('exit'));
  });
  const report = await device.stop();
  if (report.sanitizerReports.length) {
    io.stderr(`${report.sanitizerReports.join('\n\n')}\n`);
    return 1;
  }
  if (why === 'exit') {
    io.stderr(`the device process ended by itself (exit ${report.exitCode ?? report.signal})\n`);
    return 1;
  }
  return report.exitCode === 0 ? 0 : 1;
}

async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const [dir, args] = projectArg(argv);
  if (dir !== undefined) return firmwareServeCommand(dir, args, io);
  const flags = parseFlags(args, SERVE_FLAGS);
  const options: ServeOptions = { print: (line) => io.stdout(`${line}\n`) };
  if (flags.port !== undefined) options.port = flags.port;
  if (flags.profile !== undefined) options.profile = flags.profile;
  if (flags.firmwareConfig !== undefined) options.firmwareConfig = flags.firmwareConfig;
  if (flags.link !== undefined) options.link = flags.link;
  const jitter = jitterOption(flags.jitter);
  if (jitter !== undefined) options.jitter = jitter;
  return serve(options);
}

/** The build command's config. */
interface BuildCliConfig {
  variant: string;
  env: string;
  board: string;
  src: string[];
  include: string[];
  lib: string[];
  define: string[];
  json: boolean;
  library: string;
}

const BUILD_FLAGS: readonly FlagDef<BuildCliConfig>[] = [
  { flag: 'variant', key: 'variant', kind: 'string', choices: [...VARIANTS, 'all'], help: 'plain (default), asan (AddressSanitizer+UBSan+LeakSanitizer), tsan (ThreadSanitizer), or all three' },
  { flag: 'env', key: 'env', kind: 'string', help: 'PlatformIO environment (default: the project\'s default_envs)' },
  { flag: 'board', key: 'board', kind: 'string', choices: ['esp32', 'esp32s3', 'esp32c3'], help: 'board whose defines the build sets (default esp32)' },
  { flag: 'src', key: 'src', kind: 'list', help: 'source folder (repeatable): build these instead of detecting the project' },
  { flag: 'include', key: 'include', kind: 'list', help: 'extra include folder (repeatable)' },
  { flag: 'lib', key: 'lib', kind: 'list', help: 'a library folder, or a folder of libraries (repeatable)' },
  { flag: 'define', key: 'define', kind: 'list', arg: 'NAME[=VALUE]', help: 'extra -D (repeatable)' },
  { flag: 'json', key: 'json', kind: 'boolean', help: 'print the result as JSON on stdout' },
  { flag: 'library', key: 'library', kind: 'string', choices: [...WEB_LIBRARIES], help: 'the AsyncWebServer to build against: twincore (its drop-in) or upstream (the project\'s ESPAsyncWebServer); default: upstream when the project brings it' },
];

/** Splits a leading positional project folder off the flags (`twincore build DIR --flag`). */
function projectArg(args: string[]): [string | undefined, string[]] {
  return args[0] !== undefined && !args[0].startsWith('--') ? [args[0], args.slice(1)] : [undefined, args];
}

async function buildCommand(args: string[], io: CliIo): Promise<number> {
  const [dir, rest] = projectArg(args);
  const flags = parseFlags(rest, BUILD_FLAGS);
  const variants = flags.variant === 'all' ? [...VARIANTS] : [(flags.variant ?? 'plain') as Variant];
  const results: BuildResult[] = [];
  for (const variant of variants) {
    try {
      const r = await buildFirmware({
        project: dir ?? '.', variant, env: flags.env, board: flags.board as Board | undefined,
        src: flags.src, include: flags.include, lib: flags.lib, defines: flags.define, library: flags.library as WebLibrary | undefined,
      });
      results.push(r);
      if (!flags.json) {
        const libs = r.project.libraries.map((l) => (l.skipped ? `${l.name} (${l.skipped})` : l.name));
        io.stdout(`${r.project.name} [${r.project.kind}${r.project.env ? ` env:${r.project.env}` : ''}] ${variant}, ` +
          `${r.library === 'upstream' ? 'upstream ESPAsyncWebServer' : 'twincore core (ESPAsyncWebServer drop-in)'}: ` +
          `${r.compiled ? 'built' : 'up to date'} in ${(r.ms / 1000).toFixed(1)} s -> ${r.executable}\n` +
          (libs.length ? `  libraries: ${libs.join(', ')}\n` : '') +
          (r.project.ignoredFlags.length ? `  build_flags not used on the host: ${[...new Set(r.project.ignoredFlags)].join(' ')}\n` : ''));
      }
    } catch (e) {
      if (e instanceof FirmwareBuildError) {
        io.stderr(`${e.message}\n`);
        return 1;
      }
      if (e instanceof FirmwareProjectError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (flags.json) {
    io.stdout(`${JSON.stringify(results.map((r) => ({
      name: r.project.name, kind: r.project.kind, env: r.project.env ?? null, variant: r.variant, library: r.library, executable: r.executable,
      compiled: r.compiled, ms: r.ms, libraries: r.project.libraries.map((l) => ({ name: l.name, dir: l.dir, skipped: l.skipped ?? null })),
    })), null, 2)}\n`);
  }
  return 0;
}

const COMMANDS: Record<string, Command> = {
  build: {
    summary: 'build a firmware project (PlatformIO project or Arduino sketch folder) into a device executable for the twin',
    usage: `twincore build [DIR] [flags]\n\n${flagHelp(BUILD_FLAGS)}\n\n` +
      'DIR (default .) is a PlatformIO project (platformio.ini), an Arduino sketch folder (DIR/DIR.ino), or, with --src,\n' +
      'any folder. Builds are cached in DIR/.twincore/build/ (or $TWINCORE_CACHE_DIR).',
    run: buildCommand,
  },
  stress: {
    summary: 'run a stress scenario against a device and check its invariants (exit 0 ok, 1 violated, 2 usage)',
    usage: `twincore stress DIR [flags]   your firmware (a PlatformIO project or an Arduino sketch folder)\n\n${flagHelp(FIRMWARE_STRESS_FLAGS)}\n\n` +
      `twincore stress [flags]       the reference firmware (no DIR)\n\n${flagHelp(STRESS_FLAGS)}\n\n${STRESS_HELP_TAIL}`,
    run: stressCommand,
  },
  merge: {
    summary: 'combine the --json reports of stress runs or shards into one verdict (exit code as stress)',
    usage: `twincore merge REPORT.json... [flags]\n\n${flagHelp(MERGE_FLAGS)}\n\n` +
      'Each report is the --json output of `twincore stress` (one run, or a --seeds batch). The merged verdict is the worst\n' +
      'status of every run; a shard of the range that is missing, or a seed run twice, fails it.',
    run: async (args, io) => {
      const files: string[] = [];
      const flagArgs: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (!a.startsWith('--')) files.push(a);
        else {
          flagArgs.push(a);
          if (a === '--html' && i + 1 < args.length) flagArgs.push(args[++i]!);
        }
      }
      return mergeCommand(files, parseFlags(flagArgs, MERGE_FLAGS), io);
    },
  },
  serve: {
    summary: 'run the reference firmware on a simulated board until Ctrl-C (dashboard, /ws, /stats)',
    usage: `twincore serve DIR [flags]   your firmware until Ctrl-C\n\n${flagHelp(FIRMWARE_SERVE_FLAGS)}\n\n` +
      `twincore serve [flags]       the reference firmware (dashboard, /ws, /stats)\n\n${flagHelp(SERVE_FLAGS)}`,
    run: serveCommand,
  },
  help: {
    summary: 'show this help, or a command\'s: twincore help <command>',
    usage: 'twincore help [command]',
    run: async (args, io) => {
      const cmd = args[0] !== undefined ? COMMANDS[args[0]] : undefined;
      if (args[0] !== undefined && !cmd) throw new UsageError(`unknown command '${args[0]}'`);
      io.stdout(`${cmd ? cmd.usage : usage()}\n`);
      return 0;
    },
  },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return 'usage: twincore <command> [flags]\n\ncommands:\n' +
    Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`).join('\n') +
    '\n\nrun "twincore help <command>" for its flags';
}

/** Runs the CLI; returns the exit code (also for usage errors, which it reports on stderr). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V') {
    io.stdout(`twincore ${version()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}'`);
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(`${cmd.usage}\n`);
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof UsageError || (isTwincoreError(e) && (e.code === 'TC_INVALID_OPTION' || e.code === 'TC_FIRMWARE_CONFIG'))) {
      io.stderr(`twincore: ${e.message}\n${cmd ? `usage: ${cmd.usage.split('\n')[0]}` : usage()}\n`);
      return 2;
    }
    io.stderr(`twincore: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const io: CliIo = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTty: Boolean(process.stderr.isTTY),
  };
  process.exitCode = await main(process.argv.slice(2), io);
}
