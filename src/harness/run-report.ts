// The shape every stress report shares, whatever the scenario kind (the WebSocket stress and the
// echo churn): the JSON a run prints, the HTML report reads, `--replay` and `twincore merge` take.
// Kind-specific counts live under `stats`; `broadcast`, `faults` and `server` are present for
// every kind (null or empty where the kind has none).
import type { Profile } from '../defaults.js';
import type { StopReport } from '../types.js';
import type { ClockEstimate, Percentiles, Timeline } from './metrics.js';
import type { Violation } from './oracle.js';
import type { FaultName, LimitRaise, Schedule } from './scenario.js';
import type { TargetKind } from './targets.js';
import type { ThresholdResult } from './thresholds.js';
import type { Check, RunStatus } from './verdict.js';
import type { WifiSettings } from './wifi-faults.js';

export interface MetricsSummary {
  /** Broadcast latency: textAll() on the device to the message handler in the harness (ms),
   *  well-behaved readers only. */
  latency: Percentiles;
  /** Echo round trips (ms): request sent to reply received. */
  echo: Percentiles;
  /** TCP connect (ms) and the WebSocket upgrade after it (ms). */
  connect: Percentiles;
  handshake: Percentiles;
  messages: { count: number; perSec: number };
  bytes: { count: number; perSec: number };
  connections: { count: number; perSec: number; failed: number; byReason: Record<string, number> };
  /** The harness's own event-loop delay (ms): what the harness adds to every latency it reports. */
  eventLoopDelay: { p50: number | null; p99: number | null; max: number | null };
}

export interface RunReport {
  tool: 'twincore';
  version: string;
  kind: 'ws' | 'echo-churn';
  status: RunStatus;
  exitCode: number;
  ok: boolean;
  interrupted: boolean;
  scenario: string;
  seed: number;
  target: string;
  targetKind: TargetKind;
  startedAt: string;
  /** Wall time of the client phase (from the first client to the end of the wind-down). */
  durationMs: number;
  /** The board profile the device ran with (null for a board by URL: its own). */
  profile: Profile | null;
  /** The firmware config the device ran with. */
  config: Record<string, string>;
  /** Limits the harness raised so the scenario fits (device.fitLimits). */
  limitsRaised: LimitRaise[];
  /** The link model the device ran with (null: loopback, or a board by URL) and its scheduling
   *  jitter seed (null: off); README "Faults that make loopback behave like WiFi". */
  link: WifiSettings['link'];
  jitterSeed: number | null;
  /** The resolved scenario (a WebSocket scenario, or the echo churn's options). */
  spec: unknown;
  /** The schedule the seed produced (null for the echo churn: its sessions are drawn in order
   *  from the seed, so the seed alone replays them). */
  schedule: Schedule | null;
  metrics: MetricsSummary;
  clock: ClockEstimate | null;
  timeline: Timeline;
  thresholds: ThresholdResult[];
  /** The verdict table. */
  checks: Check[];
  warnings: string[];
  violations: Violation[];
  violationsOmitted: number;
  stop: StopReport | null;
  connectionsPerSec: number;
  broadcast: { rate: number; size: number; sent: number | null; perSec: number; runs: (number | null)[] } | null;
  faults: { run: Partial<Record<FaultName, number>>; skipped: Partial<Record<FaultName, number>>; noVictim: number; skipReason?: string };
  server: {
    final: unknown;
    maxQueueDepth: number;
    queueBound: number;
    samples: number;
    rejected: number | null;
    protocolErrors: number | null;
    heapHeld: number | null;
  } | null;
  stats: unknown;
  /** The command that runs this again (same scenario, seed and target). */
  replay: string;
  /** A harness failure (the target did not start, ...), if any. */
  error?: string;
  errorCode?: string;
}
