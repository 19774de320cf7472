// Targets a scenario runs against, behind one small interface (docs/architecture.md, "Words": target):
//   addon        the device in this process (fast, full fault control)
//   asan | tsan  the sanitizer build of the device as a child process, driven over loopback;
//                it reports its counters when it exits, and cannot inject faults
//   ws://host/ws a real board (or anything serving the reference firmware's protocol) by URL:
//                no device lifecycle, no fault injection; its counters come from http://host/stats
// Local targets are reached on 127.0.0.1 only; a URL target is the one way to leave the machine,
// and only because the user typed that URL.
import { WS_PATH, loopbackUrls } from '../defaults.js';
import { Device } from '../device.js';
import { TwincoreRangeError, TwincoreTypeError, UnsupportedError } from '../errors.js';
import type { DeviceOptions } from '../options.js';
import { ProcessDevice } from '../process-device.js';
import type { DeviceCounters, FaultKind, StallTask, StopReport } from '../types.js';

export type LocalTargetName = 'addon' | 'asan' | 'tsan';
export const LOCAL_TARGETS: readonly LocalTargetName[] = ['addon', 'asan', 'tsan'];

/** What a target can do: decides which checks and faults apply. */
export type TargetKind = 'addon' | 'process' | 'url';

/** A parsed `--target`: a local target name or a ws:// / wss:// URL. */
export type TargetSpec =
  | { kind: 'addon' | 'process'; name: LocalTargetName }
  | { kind: 'url'; name: 'url'; url: URL };

/** Parses a target: 'addon', 'asan', 'tsan' or a ws:// / wss:// URL (the path defaults to /ws). */
export function parseTarget(input: unknown): TargetSpec {
  if (typeof input !== 'string') throw new TwincoreTypeError(`target must be a string, got ${typeof input}`);
  if ((LOCAL_TARGETS as readonly string[]).includes(input)) {
    const name = input as LocalTargetName;
    return { kind: name === 'addon' ? 'addon' : 'process', name };
  }
  if (/^wss?:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new TwincoreRangeError(`target '${input}' is not a valid URL`);
    }
    if (url.username || url.password) throw new TwincoreRangeError('target URL must not carry credentials');
    if (url.pathname === '/' || url.pathname === '') url.pathname = WS_PATH;
    url.hash = '';
    return { kind: 'url', name: 'url', url };
  }
  throw new TwincoreRangeError(`target must be one of ${LOCAL_TARGETS.join(', ')} or a ws://host/path URL, got '${input}'`);
}

export interface Target {
  /** 'addon', 'asan', 'tsan' or 'url'. */
  readonly name: LocalTargetName | 'url';
  readonly kind: TargetKind;
  /** Shown in reports: the target name, or the URL. */
  readonly label: string;
  /** TCP port of the firmware's server (the URL's port for a board). */
  readonly port: number;
  /** The WebSocket endpoint. */
  readonly wsUrl: string;
  /** The reference firmware's counters. */
  readonly statsUrl: string;
  /** True where injectFault works (the in-process device only). */
  readonly canInjectFaults: boolean;
  injectFault(kind: FaultKind, count: number): void;
  /** True where stall works (a local target: the addon or a device process). */
  readonly canStall: boolean;
  /** Stalls a device task for ms (its next turn blocks); rejects where it cannot. */
  stall(task: StallTask, ms: number): Promise<void>;
  /** Live twin counters where the target has them (a device process reports only at exit). */
  counters(): DeviceCounters | null;
  /** Live twin counters, also of a device process (over its control channel); null for a board. */
  liveCounters(): Promise<DeviceCounters | null>;
  /** False once the device is gone (a device process that died); a board is assumed alive. */
  alive(): boolean;
  /** Stops the device; null for a board (nothing to stop). Idempotent. */
  stop(): Promise<StopReport | null>;
}

/** The endpoints of a local target (127.0.0.1). */
function localUrls(port: number): { wsUrl: string; statsUrl: string } {
  const { wsUrl, statsUrl } = loopbackUrls(port);
  return { wsUrl, statsUrl };
}

/** Options of a local target: the device's, and for a device process its safety limit. */
export interface TargetOptions extends DeviceOptions {
  /** A device process stops by itself after this long (--max-seconds): a safety net for a harness
   *  that died, sized by the caller to outlast the run (PROCESS_DEVICE_DEFAULTS.maxSeconds if unset). */
  maxSeconds?: number;
}

/** Starts (or, for a URL, just describes) a target. `options` are ignored for a URL. */
export async function startTarget(spec: TargetSpec | LocalTargetName, options: TargetOptions = {}): Promise<Target> {
  const t = typeof spec === 'string' ? parseTarget(spec) : spec;
  if (t.kind === 'url') {
    const url = t.url;
    const httpBase = `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
    return {
      name: 'url', kind: 'url', label: url.href,
      port: Number(url.port) || (url.protocol === 'wss:' ? 443 : 80),
      wsUrl: url.href, statsUrl: `${httpBase}/stats`,
      canInjectFaults: false,
      injectFault: () => { throw new UnsupportedError('fault injection needs the in-process device (--target addon)'); },
      canStall: false,
      stall: async () => { throw new UnsupportedError('a stall needs a local target (addon, asan, tsan)'); },
      counters: () => null,
      liveCounters: async () => null,
      alive: () => true,
      stop: async () => null,
    };
  }
  const { maxSeconds, ...deviceOptions } = options;
  if (t.kind === 'addon') {
    const device = await Device.start(deviceOptions);
    let report: Promise<StopReport> | undefined;
    return {
      name: 'addon', kind: 'addon', label: 'addon', port: device.port, ...localUrls(device.port),
      canInjectFaults: true,
      injectFault: (kind, count) => device.injectFault(kind, count),
      canStall: true,
      stall: async (task, ms) => device.stall(task, ms),
      counters: () => device.counters(),
      liveCounters: async () => device.counters(),
      alive: () => device.running,
      stop: () =>
        (report ??= device.stop().then(() => ({
          exitCode: 0, signal: null, counters: device.counters(), sanitizerReports: [],
        }))),
    };
  }
  const device = await ProcessDevice.start({
    ...deviceOptions, sanitizer: t.name === 'tsan' ? 'tsan' : 'asan', ...(maxSeconds !== undefined ? { maxSeconds } : {}),
  });
  return {
    name: t.name, kind: 'process', label: t.name, port: device.port, ...localUrls(device.port),
    canInjectFaults: false,
    injectFault: () => { throw new UnsupportedError('fault injection is not available on the device process (use --target addon)'); },
    canStall: true,
    stall: (task, ms) => device.stall(task, ms),
    counters: () => device.counters(),
    liveCounters: () => (device.running ? device.readCounters().catch(() => null) : Promise.resolve(device.counters())),
    alive: () => device.running,
    stop: () => device.stop(),
  };
}
