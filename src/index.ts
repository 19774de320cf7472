// twincore's public API.
export { Device, type DeviceEvents } from './device.js';
export { ProcessDevice, SANITIZERS, deviceBinary, parseSanitizerReports, type ProcessDeviceOptions, type Sanitizer } from './process-device.js';
export type { DeviceOptions, ProfileInput, ConfigInput } from './options.js';
export {
  DEVICE_DEFAULTS, ESP32_PROFILE, PROCESS_DEVICE_DEFAULTS, PROFILES, PROFILE_LIMITS, STRESS_DEFAULTS,
  type Profile, type ProfileName,
} from './defaults.js';
export {
  DeviceStartError, DeviceStoppedError, FirmwareConfigError, FirmwareUnknownError, NativeLoadError, ProcessDeviceError,
  SanitizerReportError, TwincoreError, TwincoreRangeError, TwincoreTypeError, UnsupportedError, UsageError, isTwincoreError,
  type TwincoreErrorCode,
} from './errors.js';
export { COUNTER_NAMES, FAULT_KINDS, type Counters, type DeviceCounters, type FaultKind, type LogEntry, type LogLevel, type StopReport } from './types.js';
export { runStress, StressRun, resolveStressOptions, type StressOptions, type StressProgress, type StressResult, type StressStart, type StressStats } from './harness/stress.js';
export { ENDINGS, type Ending } from './harness/echo-client.js';
export { formatProgress, formatSummary } from './harness/report.js';
export { TARGET_NAMES, startTarget, type Target, type TargetName } from './harness/targets.js';
export { loadNative } from './native.js';
