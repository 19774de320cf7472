// twincore's public API.
export { Device, type DeviceEvents } from './device.js';
export { ProcessDevice, SANITIZERS, deviceBinary, parseSanitizerReports, type ProcessDeviceOptions, type Sanitizer } from './process-device.js';
export type { DeviceOptions, ProfileInput, ConfigInput } from './options.js';
export {
  DEVICE_DEFAULTS, ESP32_PROFILE, LINKS, PROCESS_DEVICE_DEFAULTS, PROFILES, PROFILE_LIMITS, STRESS_DEFAULTS, parseLink,
  type LinkSpec, type Profile, type ProfileName,
} from './defaults.js';
export {
  DeviceStartError, DeviceStoppedError, FirmwareConfigError, FirmwareUnknownError, NativeLoadError, ProcessDeviceError,
  SanitizerReportError, TwincoreError, TwincoreRangeError, TwincoreTypeError, UnsupportedError, UsageError, isTwincoreError,
  type TwincoreErrorCode,
} from './errors.js';
export { COUNTER_NAMES, FAULT_KINDS, MAX_STALL_MS, STALL_TASKS, type StallTask, type Counters, type DeviceCounters, type FaultKind, type LogEntry, type LogLevel, type StopReport } from './types.js';
// The stress harness: scenarios as data, targets, the oracle, the report.
export {
  runStress, startStress, StressRun, resolveStressOptions, metricValues,
  type Phase, type StressOptions, type ResolvedStressOptions, type StressProgress, type StressResult, type StressStart, type StressStats,
} from './harness/stress.js';
export {
  ADDON_ONLY_FAULTS, BEHAVIOURS, ECHO_CHURN_SCENARIO, FAULT_NAMES, MAX_CLIENTS, SCENARIOS, WELL_BEHAVED, buildSchedule, loadScenarioFile,
  resolveScenario, scaleClients, scenariosDir,
  type Behaviour, type BroadcastSpec, type ChurnSpec, type ClientGroup, type ClientPlan, type DeviceSpec, type EchoChurnScenario,
  type FaultEvent, type FaultName, type FaultSpec, type LimitRaise, type RateStep, type Scenario, type ScenarioOverrides, type Schedule, type Stage,
} from './harness/scenario.js';
export { Histogram, ClockSync, type ClockEstimate, type Percentiles, type Timeline, type TimelinePoint } from './harness/metrics.js';
export { THRESHOLD_METRICS, evaluateThresholds, parseThreshold, type Threshold, type ThresholdResult } from './harness/thresholds.js';
export { EXIT_CODES, type Check, type RunStatus } from './harness/verdict.js';
export type { MetricsSummary, RunReport } from './harness/run-report.js';
export { version } from './version.js';
export {
  SeqRecorder, analyzeSeqs, checkInvariants,
  type Invariant, type OracleInput, type SeqRanges, type ServerCounts, type SessionTrace, type Violation,
} from './harness/oracle.js';
export { WS_STRESS_DEFAULTS } from './harness/defaults.js';
export {
  applyWifi, parseStall, stallTimes, wifiSettings, type JitterInput, type LinkInput, type StallSpec, type WifiSettings,
} from './harness/wifi-faults.js';
export { fetchStats, type RefStats } from './harness/stats-client.js';
export {
  runEchoChurn, startEchoChurn, EchoChurnRun, type EchoChurnOptions, type EchoChurnProgress, type EchoChurnResult, type EchoChurnStats,
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
