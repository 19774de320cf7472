// Device: one simulated ESP32 running in this process through the addon.
//
// Lifetime: Device.start() boots it; stop() (idempotent) resolves once the firmware is destroyed,
// both device threads are joined and every socket is closed. After stop() resolves no 'log' event
// is emitted. A running device stays reachable (the addon's log bridge holds the listener, and
// so this object) until stop() or process exit; it never keeps the process alive by itself, and
// process exit stops it (an environment cleanup hook in the addon).
import { EventEmitter } from 'node:events';

import { PLAIN_TCP_FIRMWARES, loopbackUrls, type Profile } from './defaults.js';
import { DeviceStartError, TwincoreRangeError, fromNative } from './errors.js';
import { LogRing } from './log-ring.js';
import { loadNative, type NativeDevice } from './native.js';
import { checkInt, resolveDeviceOptions, type DeviceOptions } from './options.js';
import { FAULT_KINDS, MAX_STALL_MS, STALL_TASKS, type Counters, type FaultKind, type LogEntry, type LogLevel, type StallTask } from './types.js';

export type { DeviceOptions } from './options.js';

export interface DeviceEvents {
  log: [level: LogLevel, line: string];
}

export class Device extends EventEmitter<DeviceEvents> {
  readonly kind = 'addon' as const;
  readonly firmware: string;
  readonly profile: Readonly<Profile>;
  /** Host ports of the firmware's servers, in begin() order. */
  readonly ports: readonly number[];
  readonly #native: NativeDevice;
  readonly #ring: LogRing;

  private constructor(native: NativeDevice, ring: LogRing, firmware: string, profile: Profile, ports: number[]) {
    super();
    this.#native = native;
    this.#ring = ring;
    this.firmware = firmware;
    this.profile = Object.freeze({ ...profile });
    this.ports = Object.freeze([...ports]);
  }

  /** Boots a device; resolves once the firmware's setup() has returned. */
  static async start(options?: DeviceOptions): Promise<Device> {
    const opts = resolveDeviceOptions(options);
    const addon = loadNative();
    const ring = new LogRing(opts.logCapacity);
    let device: Device | undefined;
    const onLog = (level: LogLevel, line: string): void => {
      ring.push({ level, line });
      device?.emit('log', level, line);
    };
    let native: NativeDevice;
    let ports: number[];
    try {
      native = new addon.NativeDevice({ firmware: opts.firmware, config: opts.config, profile: opts.profile }, onLog);
      ports = native.start();
    } catch (e) {
      const err = fromNative(e);
      if (err instanceof DeviceStartError) {
        // Lines logged while failing are still queued in the log bridge: let them land.
        await new Promise((resolve) => setImmediate(resolve));
        err.logs = ring.entries().map((l) => l.line);
      }
      throw err;
    }
    device = new Device(native, ring, opts.firmware, opts.profile, ports);
    return device;
  }

  /** The firmware's first port on 127.0.0.1. */
  get port(): number {
    const p = this.ports[0];
    if (p === undefined) throw new TwincoreRangeError('the firmware listens on no port');
    return p;
  }

  /** The WebSocket endpoint of the firmware's first port; undefined for a plain TCP firmware (the
   *  default 'echo' line server: connect to `port` instead). */
  get url(): string | undefined {
    return PLAIN_TCP_FIRMWARES.includes(this.firmware) ? undefined : loopbackUrls(this.port).wsUrl;
  }

  get httpUrl(): string {
    return loopbackUrls(this.port).httpUrl;
  }

  get running(): boolean {
    return this.#native.running;
  }

  /** Recent log lines, oldest first (at most options.logCapacity). */
  get logs(): LogEntry[] {
    return this.#ring.entries();
  }

  /** A snapshot of the twin's counters (valid before, during and after stop()). */
  counters(): Counters {
    return this.#native.counters();
  }

  /** Arms a failure for the next `count` accepts, heap allocations or listens. */
  injectFault(kind: FaultKind, count = 1): void {
    if (!FAULT_KINDS.includes(kind)) {
      throw new TwincoreRangeError(`fault kind must be one of ${FAULT_KINDS.join(', ')}, got '${String(kind)}'`);
    }
    checkInt(count, 'count', 0, 1_000_000);
    try {
      this.#native.injectFault(kind, count);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Stalls a device task: its next turn blocks `ms` milliseconds (no callbacks on async_tcp, no
   *  loop() on the loop task), while data keeps arriving in the kernel. */
  stall(task: StallTask, ms: number): void {
    if (!STALL_TASKS.includes(task)) {
      throw new TwincoreRangeError(`stall task must be one of ${STALL_TASKS.join(', ')}, got '${String(task)}'`);
    }
    checkInt(ms, 'ms', 1, MAX_STALL_MS);
    try {
      this.#native.stall(task, ms);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Idempotent: every call returns the same promise. */
  stop(): Promise<void> {
    return this.#native.stop();
  }
}
