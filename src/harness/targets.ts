// Targets a scenario runs against, behind one small interface:
//   addon        the device in this process (fast, full fault control)
//   asan | tsan  the sanitizer build of the device as a child process
// (A real board by URL is the third target of DESIGN.md; it plugs in here.)
import { Device } from '../device.js';
import type { DeviceOptions } from '../options.js';
import { ProcessDevice } from '../process-device.js';
import type { DeviceCounters, StopReport } from '../types.js';

export type TargetName = 'addon' | 'asan' | 'tsan';
export const TARGET_NAMES: readonly TargetName[] = ['addon', 'asan', 'tsan'];

export interface Target {
  readonly name: TargetName;
  readonly port: number;
  /** Live counters where the target has them (the process reports only at exit). */
  counters(): DeviceCounters | null;
  /** False once the device is gone (a device process that died): the run stops early. */
  alive(): boolean;
  stop(): Promise<StopReport>;
}

export async function startTarget(name: TargetName, options: DeviceOptions): Promise<Target> {
  if (name === 'addon') {
    const device = await Device.start(options);
    let report: Promise<StopReport> | undefined;
    return {
      name,
      port: device.port,
      counters: () => device.counters(),
      alive: () => device.running,
      stop: () =>
        (report ??= device.stop().then(() => ({
          exitCode: 0, signal: null, counters: device.counters(), sanitizerReports: [],
        }))),
    };
  }
  const device = await ProcessDevice.start({ ...options, sanitizer: name });
  return {
    name,
    port: device.port,
    counters: () => device.counters(),
    alive: () => device.running,
    stop: () => device.stop(),
  };
}
