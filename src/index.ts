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
// The stress harness: scenarios as data, targets, the oracle, the report.
export {
  runStress, StressRun, resolveStressOptions,
  type Phase, type StressOptions, type ResolvedStressOptions, type StressProgress, type StressResult, type StressStart, type StressStats,
} from './harness/stress.js';
export {
  ADDON_ONLY_FAULTS, BEHAVIOURS, FAULT_NAMES, SCENARIOS, WELL_BEHAVED, buildSchedule, resolveScenario, scaleClients,
  type Behaviour, type BroadcastSpec, type ClientGroup, type ClientPlan, type DeviceSpec, type FaultEvent, type FaultName,
  type FaultSpec, type Scenario, type ScenarioOverrides, type Schedule,
} from './harness/scenario.js';
export {
  SeqRecorder, analyzeSeqs, checkInvariants,
  type Invariant, type OracleInput, type SeqRanges, type ServerCounts, type SessionTrace, type Violation,
} from './harness/oracle.js';
export { WS_STRESS_DEFAULTS } from './harness/defaults.js';
export { fetchStats, type RefStats } from './harness/stats-client.js';
export {
  runEchoChurn, EchoChurnRun, type EchoChurnOptions, type EchoChurnProgress, type EchoChurnResult, type EchoChurnStats,
} from './harness/echo-churn.js';
export { ENDINGS, type Ending } from './harness/echo-client.js';
export { formatProgress, formatSummary } from './harness/report.js';
export {
  LOCAL_TARGETS, parseTarget, startTarget,
  type LocalTargetName, type Target, type TargetKind, type TargetSpec,
} from './harness/targets.js';
export { runBroadcastBench, type BroadcastBenchOptions, type BroadcastBenchResult } from './harness/bench.js';
export { serve, SERVE_DEFAULTS, type ServeOptions } from './serve.js';
export { loadNative } from './native.js';
