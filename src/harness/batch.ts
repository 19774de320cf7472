// Many seeds, shards of them, and merged verdicts (README "CI at scale").
//
//   --seeds A..B   runs seeds A, A+1, ..., B one after the other (each a whole run: boot, clients,
//                  stop), into one batch report;
//   --shard i/n    keeps the seeds whose position in A..B is i-1 modulo n (i in 1..n), so n CI
//                  machines (a GitHub Actions matrix) cover A..B between them, each a similar mix;
//   twincore merge a.json b.json ...   combines reports (single runs or batches) into one verdict:
//                  the worst status of every run, every failing seed with its replay command, and
//                  a failure when a shard of the range is missing or a seed was run twice.
import { readFileSync } from 'node:fs';

import { TwincoreRangeError } from '../errors.js';
import { isPlainObject } from '../options.js';
import { version } from '../version.js';
import type { RunReport } from './run-report.js';
import { EXIT_CODES, STATUS_ORDER, worstStatus, type RunStatus } from './verdict.js';

export interface SeedRange {
  from: number;
  to: number;
}

export interface Shard {
  index: number;
  count: number;
}

/** One run of a batch, in the batch's table. */
export interface BatchEntry {
  seed: number;
  status: RunStatus;
  exitCode: number;
  violations: number;
  durationMs: number;
  latencyP99: number | null;
  error?: string;
  replay: string;
  /** Which report file it came from (merge). */
  source?: string;
}

export interface BatchReport {
  tool: 'twincore';
  version: string;
  kind: 'batch';
  status: RunStatus;
  exitCode: number;
  ok: boolean;
  interrupted: boolean;
  scenario: string;
  target: string;
  seeds: SeedRange | null;
  shard: Shard | null;
  /** Shards the merged reports came from (merge), and what was wrong with the set. */
  shards: Shard[];
  problems: string[];
  entries: BatchEntry[];
  /** The full report of each run. */
  runs: RunReport[];
}

const MAX_SEEDS = 100_000;

export function parseSeeds(v: string): SeedRange {
  const m = /^(\d+)\.\.(\d+)$/.exec(v.trim());
  if (!m) throw new TwincoreRangeError(`--seeds takes A..B (e.g. 1..100), got '${v}'`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from > to) throw new TwincoreRangeError(`--seeds ${v}: ${from} is after ${to}`);
  if (to > 0xffff_ffff) throw new TwincoreRangeError(`--seeds ${v}: a seed is at most ${0xffff_ffff}`);
  if (to - from + 1 > MAX_SEEDS) throw new TwincoreRangeError(`--seeds ${v}: at most ${MAX_SEEDS} seeds in one range`);
  return { from, to };
}

export function parseShard(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) throw new TwincoreRangeError(`--shard takes i/n (e.g. 2/4, i from 1 to n), got '${v}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1000 || index < 1 || index > count) throw new TwincoreRangeError(`--shard ${v}: i must be in 1..n and n in 1..1000`);
  return { index, count };
}

/** The seeds of a range that a shard runs (all of them without a shard). */
export function shardSeeds(range: SeedRange, shard: Shard | null): number[] {
  const out: number[] = [];
  for (let s = range.from, i = 0; s <= range.to; s++, i++) if (!shard || i % shard.count === shard.index - 1) out.push(s);
  return out;
}

export function entryOf(r: RunReport, source?: string): BatchEntry {
  return {
    seed: r.seed, status: r.status, exitCode: r.exitCode, violations: r.violations.length + r.violationsOmitted,
    durationMs: r.durationMs, latencyP99: r.metrics?.latency?.p99 ?? null, ...(r.error ? { error: r.error.split('\n')[0]! } : {}),
    replay: r.replay.replace('<this report.json>', source ?? '<report.json>') + (source ? ` --seed ${r.seed}` : ''),
    ...(source ? { source } : {}),
  };
}

export function batchReport(runs: RunReport[], o: { seeds: SeedRange | null; shard: Shard | null; interrupted: boolean; sources?: string[]; problems?: string[]; shards?: Shard[] }): BatchReport {
  const statuses = runs.map((r) => r.status);
  const problems = o.problems ?? [];
  let status = statuses.length ? worstStatus(statuses) : 'failed';
  if (o.interrupted) status = 'interrupted';
  else if (problems.length && STATUS_ORDER.indexOf(status) > STATUS_ORDER.indexOf('failed')) status = 'failed';
  return {
    tool: 'twincore', version: version(), kind: 'batch', status, exitCode: EXIT_CODES[status], ok: status === 'ok', interrupted: o.interrupted,
    scenario: [...new Set(runs.map((r) => r.scenario))].join(', '), target: [...new Set(runs.map((r) => r.target))].join(', '),
    seeds: o.seeds, shard: o.shard, shards: o.shards ?? (o.shard ? [o.shard] : []), problems,
    entries: runs.map((r, i) => entryOf(r, o.sources?.[i])).sort((a, b) => a.seed - b.seed), runs,
  };
}

function isRunReport(v: unknown): v is RunReport {
  return isPlainObject(v) && v.tool === 'twincore' && (v.kind === 'ws' || v.kind === 'echo-churn') && typeof v.status === 'string' && typeof v.seed === 'number';
}

function isBatch(v: unknown): v is BatchReport {
  return isPlainObject(v) && v.tool === 'twincore' && v.kind === 'batch' && Array.isArray(v.runs);
}

/** Reads a report written by `twincore stress --json` (a run or a batch). */
export function readReport(file: string): RunReport | BatchReport {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TwincoreRangeError(`cannot read ${file} as a twincore report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (isRunReport(json) || isBatch(json)) return json;
  throw new TwincoreRangeError(`${file} is not a report of \`twincore stress --json\` (no tool/kind/status)`);
}

/** Merges reports (runs and batches) into one batch: the worst status wins; missing shards of a
 *  range, different ranges, and a seed run twice are problems that fail the merge. */
export function mergeReports(files: { file: string; report: RunReport | BatchReport }[]): BatchReport {
  if (files.length === 0) throw new TwincoreRangeError('merge needs at least one report');
  const runs: RunReport[] = [];
  const sources: string[] = [];
  const shards: Shard[] = [];
  const ranges = new Set<string>();
  const problems: string[] = [];
  let interrupted = false;
  for (const { file, report } of files) {
    if (report.kind === 'batch') {
      for (const r of report.runs) {
        runs.push(r);
        sources.push(file);
      }
      if (report.shard) shards.push(report.shard);
      if (report.seeds) ranges.add(`${report.seeds.from}..${report.seeds.to}`);
      if (report.interrupted) interrupted = true;
      for (const p of report.problems) problems.push(`${file}: ${p}`);
    } else {
      runs.push(report);
      sources.push(file);
      if (report.interrupted) interrupted = true;
    }
  }
  if (ranges.size > 1) problems.push(`the reports cover different seed ranges (${[...ranges].join(', ')})`);
  const counts = [...new Set(shards.map((s) => s.count))];
  if (counts.length > 1) problems.push(`the reports come from different shardings (n = ${counts.join(', ')})`);
  else if (counts.length === 1) {
    const n = counts[0]!;
    const have = new Set(shards.map((s) => s.index));
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !have.has(i));
    if (missing.length) problems.push(`shard(s) ${missing.map((i) => `${i}/${n}`).join(', ')} missing`);
    if (have.size < shards.length) problems.push('a shard was given twice');
  }
  const seen = new Map<string, number>();
  for (const r of runs) {
    const key = `${r.scenario}/${r.target}/${r.seed}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const twice = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  if (twice.length) problems.push(`run twice: ${twice.slice(0, 5).join(', ')}${twice.length > 5 ? ', ...' : ''}`);
  const range = ranges.size === 1 ? (() => { const [a, b] = [...ranges][0]!.split('..').map(Number); return { from: a!, to: b! }; })() : null;
  if (range && counts.length === 1) {
    const expected = range.to - range.from + 1;
    const got = new Set(runs.map((r) => r.seed)).size;
    if (got < expected && !problems.some((p) => p.includes('missing'))) problems.push(`${expected - got} seed(s) of ${range.from}..${range.to} have no run`);
  }
  return batchReport(runs, { seeds: range, shard: null, interrupted, sources, problems, shards });
}

export function formatBatch(b: BatchReport): string {
  const lines: string[] = [];
  const what = b.status === 'ok' ? 'OK' : b.status.toUpperCase();
  const byStatus = new Map<string, number>();
  for (const e of b.entries) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  lines.push(`  result    ${what} (exit ${b.exitCode})`);
  lines.push(`  runs      ${b.entries.length}: ${[...byStatus].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  lines.push(`  scenario  ${b.scenario || '-'}; target ${b.target || '-'}`);
  if (b.seeds) lines.push(`  seeds     ${b.seeds.from}..${b.seeds.to}${b.shard ? `, shard ${b.shard.index}/${b.shard.count}` : ''}${b.shards.length > 1 ? `, shards ${b.shards.map((s) => `${s.index}/${s.count}`).join(' ')}` : ''}`);
  const p99 = b.entries.map((e) => e.latencyP99).filter((x): x is number => x !== null);
  if (p99.length) lines.push(`  latency   p99 per run: best ${Math.min(...p99)} ms, worst ${Math.max(...p99)} ms`);
  for (const p of b.problems) lines.push(`  problem   ${p}`);
  const bad = b.entries.filter((e) => e.status !== 'ok');
  if (bad.length) {
    lines.push('', `  ${bad.length} run(s) not ok:`);
    for (const e of bad.slice(0, 50)) lines.push(`  - seed ${e.seed}: ${e.status} (exit ${e.exitCode})${e.violations ? `, ${e.violations} violation(s)` : ''}${e.error ? `, ${e.error}` : ''}\n      ${e.replay}`);
    if (bad.length > 50) lines.push(`  ... and ${bad.length - 50} more`);
  }
  return lines.join('\n');
}
