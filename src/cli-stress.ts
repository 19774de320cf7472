// `twincore stress` without a project folder (the reference firmware) and `twincore merge`: the
// load-tool side of the CLI. cli.ts parses argv with these flag tables and calls in here.
//
// Exit codes (harness/verdict.ts): 0 ok, 1 invariant violated, 2 usage, 3 target unreachable or
// crashed, 99 a threshold broken, 130 interrupted (Ctrl-C; a second Ctrl-C exits at once).
import { writeFileSync } from 'node:fs';

import type { CliIo, FlagDef } from './cli.js';
import { LINKS, PROFILES, parseLink } from './defaults.js';
import { isTwincoreError, UsageError } from './errors.js';
import { batchReport, formatBatch, mergeReports, parseSeeds, parseShard, readReport, shardSeeds, type BatchReport } from './harness/batch.js';
import { WS_STRESS_DEFAULTS } from './harness/defaults.js';
import type { EchoChurnOptions, EchoChurnProgress, EchoChurnRun, ResolvedEchoChurnOptions } from './harness/echo-churn.js';
import { renderHtml } from './harness/html.js';
import { formatProgress, formatSummary } from './harness/report.js';
import type { RunReport } from './harness/run-report.js';
import { ECHO_CHURN_SCENARIO, ECHO_SCENARIOS, MAX_CLIENTS, SCENARIOS, loadScenarioFile, resolveScenario, type EchoChurnScenario, type Scenario, type Schedule } from './harness/scenario.js';
import { startStress, type StressOptions, type StressProgress, type StressResult, type StressRun } from './harness/stress.js';
import { LOCAL_TARGETS, parseTarget, type LocalTargetName } from './harness/targets.js';
import { THRESHOLD_METRICS } from './harness/thresholds.js';
import { EXIT_CODES } from './harness/verdict.js';
import { STALL_FORMAT, parseStall, type JitterInput } from './harness/wifi-faults.js';

/** The reference-firmware stress command's config: each flag sets one key. */
export interface StressCliConfig {
  scenario: string;
  target: string;
  durationMs: number;
  clients: number;
  seed: number;
  profile: string;
  firmwareConfig: Record<string, string>;
  link: string;
  jitter: number;
  stall: string[];
  churnRate: number;
  threshold: string[];
  replay: string;
  seeds: string;
  shard: string;
  json: boolean;
  html: string;
  quiet: boolean;
}

export const STRESS_FLAGS: readonly FlagDef<StressCliConfig>[] = [
  { flag: 'scenario', key: 'scenario', kind: 'string', arg: 'name|file.json',
    help: `a built-in scenario (${[...Object.keys(SCENARIOS), ...Object.keys(ECHO_SCENARIOS)].join(', ')}; default ${WS_STRESS_DEFAULTS.scenario}) or a scenario file` },
  { flag: 'target', key: 'target', kind: 'string', arg: `${LOCAL_TARGETS.join('|')}|ws://host/ws`, check: (v) => void parseTarget(v),
    help: 'the in-process device (default), a sanitizer build as a child process, or a board by URL' },
  { flag: 'duration', key: 'durationMs', kind: 'seconds', min: 0.001, max: 86_400, help: 'seconds of client activity (default: the scenario\'s; with stages, their total)' },
  { flag: 'clients', key: 'clients', kind: 'int', min: 1, max: MAX_CLIENTS, help: 'total clients, split over the scenario\'s groups in proportion (with stages: the peak)' },
  { flag: 'seed', key: 'seed', kind: 'int', max: 0xffff_ffff, help: 'schedule seed (default: the scenario\'s)' },
  { flag: 'seeds', key: 'seeds', kind: 'string', arg: 'A..B', help: 'run every seed of A..B, one run each, into one batch report' },
  { flag: 'shard', key: 'shard', kind: 'string', arg: 'i/n', help: 'with --seeds: run only share i of n (seeds at positions i-1 mod n), for a CI matrix' },
  { flag: 'churn-rate', key: 'churnRate', kind: 'int', min: 1, max: 10_000, arg: 'n', help: 'connections per second: arrivals that connect, read briefly and close (echo-churn: sessions started per second)' },
  { flag: 'threshold', key: 'threshold', kind: 'list', arg: 'metric<op>value', help: 'fail with exit 99 unless it holds, repeatable (e.g. \'latency.p99<50\'; see below)' },
  { flag: 'replay', key: 'replay', kind: 'string', arg: 'report.json', help: 'run the schedule of an earlier --json report again (with --seed N to pick a run of a batch)' },
  { flag: 'profile', key: 'profile', kind: 'string', choices: Object.keys(PROFILES), help: 'board profile of a local target (default esp32; refused for a URL)' },
  { flag: 'config', key: 'firmwareConfig', kind: 'pairs', help: 'reference firmware config of a local target, repeatable (e.g. closeOnQueueFull=true; refused for a URL)' },
  ...wifiFlags<StressCliConfig>(),
  { flag: 'json', key: 'json', kind: 'boolean', help: 'print the report as JSON on stdout' },
  { flag: 'html', key: 'html', kind: 'string', arg: 'file', help: 'write the report as one self-contained HTML page (plots over time, verdict table)' },
  { flag: 'quiet', key: 'quiet', kind: 'boolean', help: 'no progress line' },
];

/** --link, --jitter and --stall, the same for every command that runs a local device (stress,
 *  serve: stall only where a run schedules faults). */
export function wifiFlags<C extends { link: string; jitter: number; stall: string[] }>(withStall = true): FlagDef<C>[] {
  const flags: FlagDef<C>[] = [
    { flag: 'link', key: 'link', kind: 'string', arg: `${Object.keys(LINKS).join('|')}|kbps:rttMs:jitterMs`, check: (v) => void parseLink(v),
      help: 'the link model: bandwidth, round trip and jitter of a WiFi link (default loopback: none; see README)' },
    { flag: 'jitter', key: 'jitter', kind: 'int', max: 0xffff_ffff, arg: 'seed', optionalValue: true,
      help: 'scheduling jitter: seeded yields and short sleeps at the twin\'s lock and callback points (seed default: from the run\'s seed; 0 off)' },
  ];
  if (withStall) {
    flags.push({ flag: 'stall', key: 'stall', kind: 'list', arg: STALL_FORMAT, check: (v) => void parseStall(v),
      help: 'stall a device task MS ms at AT s (default 1), then every EVERY s, repeatable (e.g. loop:300@2+5)' });
  }
  return flags;
}

/** --jitter's value as the options take it: alone (-1) derives the seed from the run's. */
export function jitterOption(v: number | undefined): JitterInput | undefined {
  return v === undefined ? undefined : v === -1 ? true : v;
}

export const STRESS_HELP_TAIL = [
  'scenarios:',
  ...[...Object.values(SCENARIOS).map((s) => [s.name, `${s.description ?? ''} (${resolveScenario(s.name).durationMs / 1000} s)`] as const),
    ...Object.values(ECHO_SCENARIOS).map((s) => [s.name, `${s.description ?? ''} (${(s.durationMs ?? 10_000) / 1000} s)`] as const)]
    .map(([n, d]) => `  ${n.padEnd(12)}  ${d}`),
  '',
  'threshold metrics (ms for times):',
  `  ${Object.keys(THRESHOLD_METRICS).filter((m) => !/\.(mean|min|count)$/.test(m) || m === 'msgs.count').join(', ')}`,
  '',
  'exit codes: 0 ok, 1 invariant violated, 2 usage, 3 target unreachable or crashed, 99 threshold broken, 130 interrupted',
].join('\n');

export interface MergeCliConfig {
  json: boolean;
  html: string;
}

export const MERGE_FLAGS: readonly FlagDef<MergeCliConfig>[] = [
  { flag: 'json', key: 'json', kind: 'boolean', help: 'print the merged report as JSON on stdout' },
  { flag: 'html', key: 'html', kind: 'string', arg: 'file', help: 'write the merged report as one HTML page' },
];

const PROGRESS_TTY_MS = 250;
const PROGRESS_LOG_MS = 1000;

type AnyRun = StressRun | EchoChurnRun;

/** Ctrl-C: the first aborts the run (partial summary, exit 130), a second exits at once. */
function onInterrupt(io: CliIo, first: () => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) {
      io.stderr('\ntwincore stress: interrupted; stopping the device (Ctrl-C again to exit at once)\n');
      first();
    } else {
      io.stderr('twincore stress: interrupted twice; exiting now\n');
      (io.exit ?? ((code: number) => process.exit(code)))(EXIT_CODES.interrupted);
    }
  };
  if (io.onInterrupt) return io.onInterrupt(handler);
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** Starts one run from the flags (or a replayed report); throws UsageError on invalid options. */
function startFromFlags(flags: Partial<StressCliConfig>, seedOverride?: number): AnyRun {
  const { target, durationMs, clients, seed, profile, firmwareConfig, churnRate, threshold } = flags;
  let scenario: string | Scenario | EchoChurnScenario = flags.scenario ?? WS_STRESS_DEFAULTS.scenario;
  if (/\.json$/i.test(String(scenario))) scenario = loadScenarioFile(String(scenario));
  else if (typeof scenario === 'string' && ECHO_SCENARIOS[scenario]) scenario = ECHO_SCENARIOS[scenario]!;
  const isEcho = scenario === 'echo-churn' || (typeof scenario === 'object' && 'kind' in scenario && scenario.kind === 'echo-churn');
  const theSeed = seedOverride ?? seed;
  if (isEcho) {
    const t = target ?? 'addon';
    if (!(LOCAL_TARGETS as readonly string[]).includes(t)) throw new UsageError('the echo-churn scenario runs on a local target only (addon, asan, tsan)');
    const o: EchoChurnOptions = { target: t as LocalTargetName, scenario: typeof scenario === 'object' ? scenario as EchoChurnScenario : ECHO_CHURN_SCENARIO };
    if (durationMs !== undefined) o.durationMs = durationMs;
    if (clients !== undefined) o.clients = clients;
    if (theSeed !== undefined) o.seed = theSeed;
    if (profile !== undefined) o.profile = profile;
    if (firmwareConfig !== undefined) o.config = firmwareConfig;
    if (churnRate !== undefined) o.churnRate = churnRate;
    if (threshold !== undefined) o.thresholds = threshold;
    if (flags.link !== undefined || flags.jitter !== undefined || flags.stall !== undefined) {
      throw new UsageError('--link, --jitter and --stall are for the WebSocket scenarios and `twincore stress DIR`, not echo-churn');
    }
    return startStress({ ...o, scenario: o.scenario! });
  }
  const o: StressOptions = { scenario: scenario as string | Scenario };
  if (target !== undefined) o.target = target;
  if (durationMs !== undefined) o.durationMs = durationMs;
  if (clients !== undefined) o.clients = clients;
  if (theSeed !== undefined) o.seed = theSeed;
  if (profile !== undefined) o.profile = profile;
  if (firmwareConfig !== undefined) o.firmwareConfig = firmwareConfig;
  if (churnRate !== undefined) o.churnRate = churnRate;
  if (threshold !== undefined) o.thresholds = threshold;
  if (flags.link !== undefined) o.link = flags.link;
  const jitter = jitterOption(flags.jitter);
  if (jitter !== undefined) o.jitter = jitter;
  if (flags.stall !== undefined) o.stalls = flags.stall.map(parseStall);
  return startStress(o);
}

/** --replay: the run of a report (a batch's by --seed), with its spec and schedule. */
function startReplay(flags: Partial<StressCliConfig>): AnyRun {
  for (const f of ['scenario', 'durationMs', 'clients', 'seeds', 'shard', 'churnRate', 'profile', 'firmwareConfig', 'link', 'jitter', 'stall'] as const) {
    if (flags[f] !== undefined) throw new UsageError(`--replay plays a report's schedule as it was: --${f === 'durationMs' ? 'duration' : f === 'firmwareConfig' ? 'config' : f === 'churnRate' ? 'churn-rate' : f} cannot change it`);
  }
  const rep = readReport(flags.replay!);
  let run: RunReport;
  if (rep.kind === 'batch') {
    const pickSeed = flags.seed;
    const found = pickSeed === undefined ? (rep.runs.length === 1 ? rep.runs[0] : undefined) : rep.runs.find((r) => r.seed === pickSeed);
    if (!found) throw new UsageError(`${flags.replay} is a batch of ${rep.runs.length} runs: pick one with --seed (${rep.runs.slice(0, 8).map((r) => r.seed).join(', ')}${rep.runs.length > 8 ? ', ...' : ''})`);
    run = found;
  } else {
    if (flags.seed !== undefined && flags.seed !== rep.seed) throw new UsageError(`${flags.replay} is the run of seed ${rep.seed}, not ${flags.seed}`);
    run = rep;
  }
  const target = flags.target ?? run.target;
  const thresholds = flags.threshold;
  if (run.kind === 'echo-churn') {
    const s = run.spec as ResolvedEchoChurnOptions;
    if (!(LOCAL_TARGETS as readonly string[]).includes(target)) throw new UsageError('the echo-churn scenario runs on a local target only (addon, asan, tsan)');
    return startStress({
      scenario: 'echo-churn', target: target as LocalTargetName, clients: s.clients, durationMs: s.durationMs, seed: s.seed, tickMs: s.tickMs,
      lineIntervalMs: s.lineIntervalMs,
      maxLinesPerSession: s.maxLinesPerSession, endings: s.endings, profile: s.profile, config: s.config, churnRate: s.churnRate,
      maxConnections: s.maxConnections, thresholds: [...s.thresholds.map((t) => t.source), ...(thresholds ?? [])],
    });
  }
  const spec = run.spec as Scenario;
  const o: StressOptions = { scenario: spec, schedule: run.schedule as Schedule, target };
  if (parseTarget(target).kind === 'url') {
    // A board keeps its own profile and config: replay the schedule without them.
    o.scenario = { ...spec, device: { ...spec.device, profile: 'esp32', firmwareConfig: {} } };
  }
  if (thresholds) o.thresholds = thresholds;
  return startStress(o);
}

function attachProgress(run: AnyRun, io: CliIo, quiet: boolean, prefix = ''): void {
  if (quiet) return;
  let durationMs = run.kind === 'ws' ? run.options.scenario.durationMs : run.options.durationMs;
  let lastPrint = -Infinity;
  let lastPhase = '';
  let started = false;
  const onTick = (p: StressProgress | EchoChurnProgress): void => {
    if (!started) return; // nothing to show for a target that never answered
    const now = Date.now();
    // Throttled: a terminal redraws the line at most 4 times a second, a log gets one a second;
    // a new phase (wind-down, drain, settle, stop) always gets its line.
    if (p.phase === lastPhase && now - lastPrint < (io.isTty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS)) return;
    lastPhase = p.phase;
    lastPrint = now;
    const line = prefix + formatProgress(p, durationMs);
    io.stderr(io.isTty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  run.on('start', () => { started = true; });
  if (run.kind === 'ws') {
    run.on('start', (s) => {
      durationMs = s.durationMs;
      const raised = s.limitsRaised.length ? `; limits raised to fit: ${s.limitsRaised.map((l) => `${l.what} ${l.from} -> ${l.to}`).join(', ')}` : '';
      io.stderr(`${prefix}twincore stress: scenario ${s.scenario} (seed ${s.seed}), ${s.clients} clients, ${s.faults} faults, against ${s.target} (${s.wsUrl}) for ${s.durationMs / 1000} s${raised}\n`);
    });
  } else {
    run.on('start', (s) => io.stderr(`${prefix}twincore stress: scenario ${s.options.name}, ${s.options.clients} clients against ${s.target} (${s.options.firmware}/${s.options.profile.name}, ${s.options.profile.maxConnections} sockets) on port ${s.port} for ${durationMs / 1000} s\n`));
  }
  run.on('tick', onTick);
}

function writeHtml(file: string, report: RunReport | BatchReport, io: CliIo): void {
  writeFileSync(file, renderHtml(report));
  io.stderr(`twincore stress: HTML report written to ${file}\n`);
}

function toUsage(e: unknown): never {
  if (e instanceof UsageError) throw e;
  if (isTwincoreError(e) && (e.code === 'TC_INVALID_OPTION' || e.code === 'TC_FIRMWARE_CONFIG' || e.code === 'TC_UNSUPPORTED')) throw new UsageError(e.message);
  throw e;
}

/** `twincore stress` without DIR. */
export async function referenceStressCommand(flags: Partial<StressCliConfig>, io: CliIo): Promise<number> {
  if (flags.shard !== undefined && flags.seeds === undefined) throw new UsageError('--shard needs --seeds A..B (the range the shards split)');
  if (flags.seeds !== undefined) {
    if (flags.seed !== undefined) throw new UsageError('--seed and --seeds: give one');
    if (flags.replay !== undefined) throw new UsageError('--replay plays one run: not with --seeds');
    return batchCommand(flags, io);
  }
  let run: AnyRun;
  try {
    run = flags.replay !== undefined ? startReplay(flags) : startFromFlags(flags);
  } catch (e) {
    toUsage(e);
  }
  attachProgress(run, io, flags.quiet ?? false);
  const off = onInterrupt(io, () => run.abort());
  let result: StressResult | RunReport;
  try {
    result = await run.result;
  } finally {
    off();
  }
  if (!flags.quiet && io.isTty) io.stderr('\n');
  if (flags.html) writeHtml(flags.html, result, io);
  if (result.status === 'usage') {
    if (flags.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    throw new UsageError(result.error ?? 'invalid options');
  }
  if (flags.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else if (result.status === 'unreachable') io.stderr(`twincore stress: target unreachable: ${(result.error ?? '').split('\n')[0]}\n`);
  else io.stdout(`${formatSummary(result as StressResult)}\n`);
  return result.exitCode;
}

/** --seeds A..B [--shard i/n]: one run per seed, one batch report. */
async function batchCommand(flags: Partial<StressCliConfig>, io: CliIo): Promise<number> {
  let range;
  let shard = null;
  try {
    range = parseSeeds(flags.seeds!);
    if (flags.shard !== undefined) shard = parseShard(flags.shard);
  } catch (e) {
    toUsage(e);
  }
  const seeds = shardSeeds(range, shard);
  if (seeds.length === 0) throw new UsageError(`--seeds ${flags.seeds} --shard ${flags.shard}: this shard has no seeds`);
  const runs: RunReport[] = [];
  let current: AnyRun | undefined;
  let interrupted = false;
  const off = onInterrupt(io, () => { interrupted = true; current?.abort(); });
  try {
    for (const [i, seed] of seeds.entries()) {
      if (interrupted) break;
      try {
        current = startFromFlags(flags, seed);
      } catch (e) {
        toUsage(e);
      }
      attachProgress(current, io, flags.quiet ?? true, `[${i + 1}/${seeds.length}] `);
      const r = await current.result;
      runs.push(r);
      if (r.status === 'usage') throw new UsageError(r.error ?? 'invalid options');
      io.stderr(`twincore stress: seed ${seed}: ${r.status} (exit ${r.exitCode})${r.status !== 'ok' ? `: ${(r.error ?? r.violations[0]?.detail ?? r.thresholds.find((t) => !t.ok)?.source ?? '').split('\n')[0]}` : ''}\n`);
    }
  } finally {
    off();
  }
  const batch = batchReport(runs, { seeds: range, shard, interrupted });
  if (flags.html) writeHtml(flags.html, batch, io);
  io.stdout(flags.json ? `${JSON.stringify(batch, null, 2)}\n` : `${formatBatch(batch)}\n`);
  return batch.exitCode;
}

/** `twincore merge a.json b.json ...`: one verdict over many reports. */
export async function mergeCommand(files: string[], flags: Partial<MergeCliConfig>, io: CliIo): Promise<number> {
  if (files.length === 0) throw new UsageError('merge needs report files (the --json output of twincore stress)');
  let merged: BatchReport;
  try {
    merged = mergeReports(files.map((file) => ({ file, report: readReport(file) })));
  } catch (e) {
    toUsage(e);
  }
  if (flags.html) writeHtml(flags.html, merged, io);
  io.stdout(flags.json ? `${JSON.stringify(merged, null, 2)}\n` : `${formatBatch(merged)}\n`);
  return merged.exitCode;
}

