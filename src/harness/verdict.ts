// The verdict of a run: one status, its exit code, and the rows of the verdict table (the summary,
// the JSON's `checks` and the HTML report show the same rows).
//
// Exit codes (README "Exit codes"):
//   0    ok: every invariant held and every threshold passed (warnings are shown, not fatal)
//   1    failed: an invariant was violated (a sanitizer report included), or the harness failed
//   2    usage: a bad flag, scenario file or firmware config (nothing ran)
//   3    unreachable or crashed: the target did not start, could not be reached, did not speak the
//        reference firmware's protocol, or died during the run without a sanitizer report
//   99   thresholds: the invariants held but a threshold was broken (k6 uses 99 for this too)
//   130  interrupted (Ctrl-C): the summary is partial
import { PROFILES } from '../defaults.js';
import type { Violation } from './oracle.js';
import type { ThresholdResult } from './thresholds.js';

export type RunStatus = 'ok' | 'failed' | 'usage' | 'unreachable' | 'crashed' | 'thresholds' | 'interrupted';

export const EXIT_CODES: Readonly<Record<RunStatus, number>> = Object.freeze({
  ok: 0, failed: 1, usage: 2, unreachable: 3, crashed: 3, thresholds: 99, interrupted: 130,
});

/** Which status wins when runs are merged (the worst first). */
export const STATUS_ORDER: readonly RunStatus[] = ['interrupted', 'usage', 'failed', 'crashed', 'unreachable', 'thresholds', 'ok'];

/** What kind of harness error ended a run early. */
export type ErrorKind = 'usage' | 'unreachable' | 'harness';

export interface Check {
  name: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  detail: string;
}

export function decideStatus(r: {
  interrupted: boolean; errorKind?: ErrorKind; violations: readonly Violation[]; violationCount: number;
  thresholds: readonly ThresholdResult[]; sanitizerReports: number;
}): RunStatus {
  if (r.interrupted) return 'interrupted';
  if (r.errorKind === 'usage') return 'usage';
  if (r.errorKind === 'unreachable') return 'unreachable';
  const crashed = r.violations.some((v) => v.invariant === 'no-crash');
  if (crashed && r.sanitizerReports === 0) return 'crashed';
  if (r.errorKind === 'harness' || r.violationCount > 0) return 'failed';
  if (r.thresholds.some((t) => !t.ok)) return 'thresholds';
  return 'ok';
}

/** The worst of several statuses (a merged verdict). */
export function worstStatus(statuses: readonly RunStatus[]): RunStatus {
  let best = STATUS_ORDER.length - 1;
  for (const s of statuses) best = Math.min(best, STATUS_ORDER.indexOf(s));
  return STATUS_ORDER[best] ?? 'ok';
}

/** One row per invariant of `names`: fail with the first detail and the count, or pass (skip
 *  for those in `skipped`, with the reason). */
export function invariantChecks(names: readonly string[], violations: readonly Violation[], omitted: number,
  skipped: Readonly<Record<string, string>> = {}): Check[] {
  const rows: Check[] = [];
  const seen = new Set<string>();
  for (const name of [...names, ...violations.map((v) => v.invariant)]) {
    if (seen.has(name)) continue;
    seen.add(name);
    const mine = violations.filter((v) => v.invariant === name);
    if (mine.length) {
      const first = mine[0]!.detail.split('\n')[0]!;
      rows.push({ name, status: 'fail', detail: mine.length > 1 ? `${mine.length} violations; first: ${first}` : first });
    } else if (skipped[name]) {
      rows.push({ name, status: 'skip', detail: skipped[name] });
    } else {
      rows.push({ name, status: 'pass', detail: '' });
    }
  }
  if (omitted > 0) rows.push({ name: 'violations', status: 'fail', detail: `${omitted} more violation(s) not listed` });
  return rows;
}

export function thresholdChecks(results: readonly ThresholdResult[]): Check[] {
  return results.map((t) => ({
    name: `threshold ${t.source}`,
    status: t.ok ? 'pass' : 'fail',
    detail: t.actual === null ? 'no data in this run' : `actual ${t.actual}`,
  }));
}

/** The name of the profile a limit raise started from, for messages. */
export function profileName(p: unknown): string {
  return typeof p === 'string' && PROFILES[p] ? p : typeof p === 'object' && p !== null && 'name' in p ? String((p as { name: unknown }).name) : 'esp32';
}
