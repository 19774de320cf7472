// Types shared by the in-process Device, the ProcessDevice and the harness.

/** twin::Counters (native/host/twin.h), as numbers. */
export interface DeviceCounters {
  connectionsOpen: number;
  connectionsTotal: number;
  connectionsDeferred: number;
  clientsAlive: number;
  serversListening: number;
  threadsAlive: number;
  polls: number;
  acks: number;
  ackTimeouts: number;
  rxTimeouts: number;
  bytesIn: number;
  bytesOut: number;
  errors: number;
  loopIterations: number;
  heapUsed: number;
  heapPeak: number;
  allocFailures: number;
  droppedPosts: number;
}

/** The in-process device adds the log bridge's own figures. */
export interface Counters extends DeviceCounters {
  /** Log lines dropped: the bridge's queue was full, or they arrived after stop() resolved. */
  logDropped: number;
  /** Log lines delivered to JavaScript. */
  logLines: number;
}

export const COUNTER_NAMES: readonly (keyof DeviceCounters)[] = [
  'connectionsOpen', 'connectionsTotal', 'connectionsDeferred', 'clientsAlive', 'serversListening',
  'threadsAlive', 'polls', 'acks', 'ackTimeouts', 'rxTimeouts', 'bytesIn', 'bytesOut', 'errors',
  'loopIterations', 'heapUsed', 'heapPeak', 'allocFailures', 'droppedPosts',
];

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: LogLevel;
  line: string;
}

/** Faults the twin can arm for the next `count` matching operations. */
export type FaultKind = 'accept' | 'alloc' | 'listen';
export const FAULT_KINDS: readonly FaultKind[] = ['accept', 'alloc', 'listen'];

/** A device task a stall fault blocks (a long flash write, a blocking sensor read): async_tcp
 *  delivers no callback, the loop task runs no loop(), for the stall's milliseconds. */
export type StallTask = 'async_tcp' | 'loop';
export const STALL_TASKS: readonly StallTask[] = ['async_tcp', 'loop'];
/** Longest stall (ms), the twin's limit (twin::stallTask). */
export const MAX_STALL_MS = 60_000;

/** What a stopped device reports, whichever target ran it. */
export interface StopReport {
  /** Process exit code; 0 for the in-process device. */
  exitCode: number | null;
  /** The terminating signal of a device process, if any. */
  signal: NodeJS.Signals | null;
  /** Final counters; null if the process died before printing them. */
  counters: DeviceCounters | null;
  /** Sanitizer reports found on stderr (always empty in-process). */
  sanitizerReports: string[];
  /** Why a device process stopped, from its exit line: 'SIGTERM' (stop()), 'maxSeconds' (its
   *  safety limit), 'stop', ...; absent in-process or when the process printed no exit line. */
  reason?: string;
}
