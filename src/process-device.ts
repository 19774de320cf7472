// ProcessDevice: the Device surface over a child process running a sanitizer build of the
// standalone device (build-native/<asan|tsan>/twincore-device, native/device/main.cpp).
//
// Protocol (stdout, one line each): `TWINCORE_DEVICE_READY {"ports":[...]}` once setup()
// returned; `LOG <line>` per device log line; `TWINCORE_DEVICE_EXIT {<counters>}` after the
// device stopped (SIGTERM/SIGINT). Exit codes: 0 clean, 2 usage, 3 sockets or clients left
// behind, 4 start failed; the sanitizers use their own (see PROCESS_DEVICE_DEFAULTS.env).
//
// Lifetime: start() resolves on the READY line; stop() (idempotent) sends SIGTERM and resolves
// once the process has exited and its output is read, with the exit code, the final counters and
// every sanitizer report found on stderr. A process still alive when this Node process exits is
// killed (SIGKILL); --max-seconds is a second safety net for a parent that dies harder.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { PROCESS_DEVICE_DEFAULTS, PROFILES, loopbackUrls, type Profile } from './defaults.js';
import type { DeviceEvents } from './device.js';
import { ProcessDeviceError, TwincoreRangeError, TwincoreTypeError } from './errors.js';
import { LogRing } from './log-ring.js';
import { packageRoot } from './native.js';
import { checkInt, optInt, resolveDeviceOptions, type DeviceOptions } from './options.js';
import { within } from './time.js';
import { MAX_STALL_MS, STALL_TASKS, type DeviceCounters, type FaultKind, type LogEntry, type StallTask, type StopReport } from './types.js';

/** The device build: 'plain' (no sanitizer), AddressSanitizer+UBSan+LSan, or ThreadSanitizer. */
export type Sanitizer = 'plain' | 'asan' | 'tsan';
export const SANITIZERS: readonly Sanitizer[] = ['plain', 'asan', 'tsan'];

export interface ProcessDeviceOptions extends DeviceOptions {
  /** Which build to run. Default 'asan'. */
  sanitizer?: Sanitizer;
  /** Path of the device executable; default build-native/<sanitizer>/twincore-device. */
  binary?: string;
  /** Extra environment for the process (merged over the sanitizer defaults). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** The process exits by itself after this long (a safety net, not a schedule). */
  maxSeconds?: number;
  /** A user firmware built by buildFirmware() (its `executable`): runs instead of a built-in
   *  firmware; `firmware` and `config` do not apply. The sanitizer is the one it was built with. */
  firmwareExecutable?: string;
  /** The board's flash (LittleFS, SPIFFS, Preferences) as a host folder, kept across runs
   *  (default: a temporary folder the device removes when it exits). */
  dataDir?: string;
}

export const READY_PREFIX = 'TWINCORE_DEVICE_READY ';
export const EXIT_PREFIX = 'TWINCORE_DEVICE_EXIT ';
export const LOG_PREFIX = 'LOG ';
export const REPLY_PREFIX = 'TWINCORE_REPLY ';
export const RESTART_PREFIX = 'TWINCORE_DEVICE_RESTART ';

const FAULT_COMMAND: Record<FaultKind, string> = { accept: 'failAccepts', alloc: 'failAllocs', listen: 'failListen' };

const REPORT_START = /WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|^twincore-device: fatal signal/;
const SEPARATOR = /^={10,}\s*$/;
const ASAN_END = /^==\d+==ABORTING|^twincore-device: end of stack/;
const SUMMARY_END = /^SUMMARY: (ThreadSanitizer|UndefinedBehaviorSanitizer)/;

/** Splits sanitizer output into reports: each block starting with a TSan warning, an ASan or LSan
 *  error, or containing a UBSan `runtime error:`, up to its closing separator line. */
export function parseSanitizerReports(stderr: string): string[] {
  const reports: string[] = [];
  let current: string[] | null = null;
  const close = (): void => {
    if (current) reports.push(current.join('\n').trimEnd());
    current = null;
  };
  for (const line of stderr.split(/\r?\n/)) {
    if (REPORT_START.test(line)) {
      close();
      current = [line];
      continue;
    }
    if (!current) continue;
    if (SEPARATOR.test(line)) {
      close();
      continue;
    }
    current.push(line);
    if (ASAN_END.test(line) || SUMMARY_END.test(line)) close();
  }
  close();
  return reports;
}

export function deviceBinary(sanitizer: Sanitizer): string {
  return path.join(packageRoot(), 'build-native', sanitizer, 'twincore-device');
}

/** The device executable's flags for a profile (native/device/runner.h): every knob, validated
 *  once by resolveDeviceOptions against PROFILE_LIMITS, the same table the executable checks. */
export function profileArgs(profile: Profile): string[] {
  const named = PROFILES[profile.name] ? profile.name : profile.dualCore ? 'esp32' : 'esp32c3';
  const base = PROFILES[named]!;
  const args: string[] = ['--profile', named];
  const flags: Array<[keyof Profile, string]> = [
    ['hostPort', '--port'], ['maxConnections', '--max-connections'], ['sendWindow', '--send-window'],
    ['recvWindow', '--recv-window'], ['mss', '--mss'], ['pollIntervalMs', '--poll-ms'],
    ['ackTimeoutMs', '--ack-timeout-ms'], ['heapBytes', '--heap-bytes'],
    ['linkBandwidthKbps', '--link-kbps'], ['linkRttMs', '--link-rtt-ms'], ['linkJitterMs', '--link-jitter-ms'],
    ['linkSeed', '--link-seed'], ['schedJitterSeed', '--sched-jitter-seed'],
  ];
  for (const [key, flag] of flags) if (profile[key] !== base[key]) args.push(flag, String(profile[key]));
  if (profile.dualCore !== base.dualCore) args.push('--dual-core', profile.dualCore ? '1' : '0');
  return args;
}

// Children alive in this process, killed if it exits first (one listener for all of them).
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

export class ProcessDevice extends EventEmitter<DeviceEvents> {
  readonly kind = 'process' as const;
  readonly sanitizer: Sanitizer;
  readonly firmware: string;
  readonly profile: Readonly<Profile>;
  readonly ports: readonly number[];
  readonly #child: ChildProcess;
  readonly #ring: LogRing;
  readonly #stopTimeoutMs: number;
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr: string[];
  #finalCounters: DeviceCounters | null = null;
  #exitReason: string | undefined;
  #stopping: Promise<StopReport> | undefined;
  #exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(init: {
    child: ChildProcess; ring: LogRing; stderr: string[]; sanitizer: Sanitizer; firmware: string; profile: Profile;
    ports: number[]; stopTimeoutMs: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  }) {
    super();
    this.#child = init.child;
    this.#ring = init.ring;
    this.#stderr = init.stderr;
    this.sanitizer = init.sanitizer;
    this.firmware = init.firmware;
    this.profile = Object.freeze({ ...init.profile });
    this.ports = Object.freeze([...init.ports]);
    this.#stopTimeoutMs = init.stopTimeoutMs;
    this.#exited = init.exited;
    void this.#exited.then((info) => {
      this.#exitInfo = info;
      for (const p of this.#pending.values()) p.reject(new ProcessDeviceError('the device process exited'));
      this.#pending.clear();
    });
  }

  static async start(options: ProcessDeviceOptions = {}): Promise<ProcessDevice> {
    const { sanitizer = 'asan', binary, env, readyTimeoutMs, stopTimeoutMs, maxSeconds, firmwareExecutable, dataDir, ...deviceOptions } = options;
    if (!SANITIZERS.includes(sanitizer)) {
      throw new TwincoreRangeError(`options.sanitizer must be one of ${SANITIZERS.join(', ')}, got '${String(sanitizer)}'`);
    }
    if (env !== undefined && (typeof env !== 'object' || env === null)) throw new TwincoreTypeError('options.env must be an object');
    const readyMs = optInt(readyTimeoutMs, 'options.readyTimeoutMs', PROCESS_DEVICE_DEFAULTS.readyTimeoutMs, 1, 600_000);
    const stopMs = optInt(stopTimeoutMs, 'options.stopTimeoutMs', PROCESS_DEVICE_DEFAULTS.stopTimeoutMs, 1, 600_000);
    const maxSec = optInt(maxSeconds, 'options.maxSeconds', PROCESS_DEVICE_DEFAULTS.maxSeconds, 1, 86_400);
    const opts = resolveDeviceOptions(deviceOptions);
    const file = firmwareExecutable ?? binary ?? deviceBinary(sanitizer);
    if (!existsSync(file)) {
      throw new ProcessDeviceError(firmwareExecutable
        ? `the firmware executable ${file} does not exist (build it with buildFirmware() / "twincore build")`
        : `the ${sanitizer} device build is missing (${file}); run "npm install" (or "node scripts/build.mjs native")`);
    }
    const args = [...profileArgs(opts.profile), '--max-seconds', String(maxSec)];
    if (dataDir !== undefined) {
      if (typeof dataDir !== 'string' || !dataDir) throw new TwincoreTypeError('options.dataDir must be a folder path');
      args.push('--data-dir', path.resolve(dataDir));
    }
    if (firmwareExecutable) {
      opts.firmware = path.basename(firmwareExecutable).replace(/-device$/, '');
    } else {
      args.unshift('--firmware', opts.firmware);
      for (const [k, v] of Object.entries(opts.config)) args.push('--config', `${k}=${v}`);
    }

    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...PROCESS_DEVICE_DEFAULTS.env, ...env },
    });
    track(child);
    // The control channel: a write after the process died is an EPIPE, not a crash of the harness.
    child.stdin?.on('error', () => undefined);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      // 'close': the process exited and its stdout/stderr are fully read.
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const ring = new LogRing(opts.logCapacity);
    const stderr: string[] = [];
    let stderrBytes = 0;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (stderrBytes >= PROCESS_DEVICE_DEFAULTS.stderrCapacityBytes) return;
      stderrBytes += chunk.length;
      stderr.push(chunk);
    });

    let device: ProcessDevice | undefined;
    let finalCounters: DeviceCounters | null = null;
    let exitReason: string | undefined;
    let onReady: ((ports: number[]) => void) | undefined;
    let partial = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.startsWith(LOG_PREFIX)) {
          const text = line.slice(LOG_PREFIX.length);
          ring.push({ level: 'info', line: text });
          device?.emit('log', 'info', text);
        } else if (line.startsWith(READY_PREFIX)) {
          let ready: { ports?: unknown; boot?: unknown } = {};
          try {
            ready = JSON.parse(line.slice(READY_PREFIX.length)) as { ports?: unknown; boot?: unknown };
          } catch {
            // a truncated line: no ports
          }
          if (device) {
            // A READY after ESP.restart(): the re-executed device is up again, on the same ports.
            device.#boots = Number(ready.boot) || device.#boots + 1;
            device.emit('log', 'info', `device up again (boot ${device.#boots})`);
            for (const w of device.#bootWaiters.splice(0)) w(device.#boots);
          } else {
            onReady?.(Array.isArray(ready.ports) ? ready.ports.map(Number) : []);
          }
        } else if (line.startsWith(REPLY_PREFIX)) {
          device?.handleReply(line.slice(REPLY_PREFIX.length));
        } else if (line.startsWith(RESTART_PREFIX)) {
          ring.push({ level: 'info', line: 'ESP.restart(): the device process restarts' });
          device?.emit('log', 'info', 'ESP.restart(): the device process restarts');
        } else if (line.startsWith(EXIT_PREFIX)) {
          try {
            const exit = JSON.parse(line.slice(EXIT_PREFIX.length)) as { counters?: DeviceCounters; reason?: unknown };
            finalCounters = exit.counters ?? null;
            if (typeof exit.reason === 'string') exitReason = exit.reason;
            if (device) {
              device.#finalCounters = finalCounters;
              device.#exitReason = exitReason;
            }
          } catch {
            // a truncated line: the exit code tells the rest
          }
        }
      }
    });

    let timer: NodeJS.Timeout | undefined;
    try {
      const ports = await new Promise<number[]>((resolve, reject) => {
        onReady = resolve;
        timer = setTimeout(() => reject(new ProcessDeviceError(`no READY line within ${readyMs} ms`)), readyMs);
        void exited.then(({ code, signal }) =>
          reject(new ProcessDeviceError(`the device process exited before READY (code ${code}, signal ${signal})`)));
        child.once('error', (e) => reject(new ProcessDeviceError(`cannot run ${file}: ${e.message}`, { cause: e })));
      });
      device = new ProcessDevice({
        child, ring, stderr, sanitizer, firmware: opts.firmware, profile: opts.profile, ports, stopTimeoutMs: stopMs, exited,
      });
      device.#finalCounters = finalCounters;
      device.#exitReason = exitReason;
      return device;
    } catch (e) {
      child.kill('SIGKILL');
      await within(2000, exited);
      if (e instanceof ProcessDeviceError) {
        e.stderr = stderr.join('');
        if (e.stderr) e.message += `\n${e.stderr.trimEnd()}`;
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when the process has exited (for whatever reason). */
  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exited;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get port(): number {
    const p = this.ports[0];
    if (p === undefined) throw new TwincoreRangeError('the firmware listens on no port');
    return p;
  }

  get url(): string {
    return loopbackUrls(this.port).wsUrl;
  }

  get httpUrl(): string {
    return loopbackUrls(this.port).httpUrl;
  }

  get running(): boolean {
    return this.#exitInfo === undefined && this.#stopping === undefined;
  }

  get logs(): LogEntry[] {
    return this.#ring.entries();
  }

  /** Everything the process wrote to stderr so far (bounded). */
  get stderr(): string {
    return this.#stderr.join('');
  }

  /** The device reports its counters only when it exits: null until then. */
  counters(): DeviceCounters | null {
    return this.#finalCounters;
  }

  /** Arms a fault in the device (control channel); the same kinds as the in-process Device. */
  injectFault(kind: FaultKind, count = 1): void {
    if (!FAULT_COMMAND[kind]) throw new TwincoreRangeError(`unknown fault kind '${String(kind)}'`);
    checkInt(count, 'count', 0, 1_000_000);
    void this.request(`fault ${FAULT_COMMAND[kind]} ${count}`).catch(() => undefined);
  }

  /** Stalls a device task (control channel `fault stallAsyncTcp|stallLoop MS`): its next turn
   *  blocks `ms` milliseconds. Resolves once the device accepted it. */
  async stall(task: StallTask, ms: number): Promise<void> {
    if (!STALL_TASKS.includes(task)) throw new TwincoreRangeError(`stall task must be one of ${STALL_TASKS.join(', ')}, got '${String(task)}'`);
    checkInt(ms, 'ms', 1, MAX_STALL_MS);
    await this.request(`fault ${task === 'loop' ? 'stallLoop' : 'stallAsyncTcp'} ${ms}`);
  }

  /** The device's counters now, over the control channel. */
  async readCounters(): Promise<DeviceCounters> {
    const r = await this.request('counters');
    return r.counters as DeviceCounters;
  }

  #boots = 1;
  #bootWaiters: Array<(boot: number) => void> = [];

  /** Boots of the device so far: 1, plus one per ESP.restart(). */
  get boots(): number {
    return this.#boots;
  }

  /** Resolves with the boot number once the device has booted more than `after` times (an
   *  ESP.restart() completed), or rejects after timeoutMs. */
  waitForBoot(after: number, timeoutMs = 10_000): Promise<number> {
    if (this.#boots > after) return Promise.resolve(this.#boots);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ProcessDeviceError(`no restart within ${timeoutMs} ms`)), timeoutMs);
      this.#bootWaiters.push((b) => { clearTimeout(timer); resolve(b); });
    });
  }

  #nextId = 1;
  #pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();

  /** Sends one control command (native/device/runner.h) and resolves with its reply's fields. */
  request(command: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    if (!this.running || !this.#child.stdin?.writable) return Promise.reject(new ProcessDeviceError('the device process is not running'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ProcessDeviceError(`no reply to '${command}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.#child.stdin!.write(`${id} ${command}\n`);
    });
  }

  /** @internal a TWINCORE_REPLY line */
  handleReply(json: string): void {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(json) as Record<string, unknown>;
    } catch {
      return;
    }
    const p = this.#pending.get(Number(r.id));
    if (!p) return;
    this.#pending.delete(Number(r.id));
    if (r.ok === false) p.reject(new ProcessDeviceError(`device: ${String(r.error)}`));
    else p.resolve(r);
  }

  /** SIGTERM, then the exit report. Idempotent. After stopTimeoutMs the process is SIGKILLed
   *  (the report then shows signal SIGKILL and no counters). */
  stop(): Promise<StopReport> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopReport> {
    if (!this.#exitInfo) this.#child.kill('SIGTERM');
    if ((await within(this.#stopTimeoutMs, this.#exited)) === 'timeout') this.#child.kill('SIGKILL');
    const { code, signal } = await this.#exited;
    return {
      exitCode: code,
      signal,
      counters: this.#finalCounters,
      sanitizerReports: parseSanitizerReports(this.stderr),
      ...(this.#exitReason !== undefined ? { reason: this.#exitReason } : {}),
    };
  }
}
