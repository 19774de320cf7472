// Text renderings of a run: the live progress line and the summary (a table, the metrics, the
// verdict table). JSON is the result object itself; the HTML report is html.ts. Both kinds of run
// are rendered: the WebSocket stress run and the echo churn.
import type { EchoChurnProgress, EchoChurnResult } from './echo-churn.js';
import type { Percentiles } from './metrics.js';
import type { Violation } from './oracle.js';
import type { RunReport } from './run-report.js';
import type { StressProgress, StressResult } from './stress.js';
import type { Check } from './verdict.js';

export function formatProgress(p: StressProgress | EchoChurnProgress, durationMs: number): string {
  const pct = Math.min(100, Math.round((p.elapsedMs / durationMs) * 100));
  const head = `[${String(pct).padStart(3)}%] ${(p.elapsedMs / 1000).toFixed(1)}s${p.interrupted ? ' interrupted' : ''}`;
  if (p.kind === 'echo-churn') {
    const c = p.counters;
    const device = c ? ` | device open ${c.connectionsOpen} clients ${c.clientsAlive} deferred ${c.connectionsDeferred}` : '';
    return `${head} ${p.phase} clients ${p.activeClients} connected ${p.connected} conns ${p.connections} (${p.connectionsPerSec.toFixed(0)}/s) ` +
      `echoes ${p.linesEchoed} accept waits ${p.slotWaits} violations ${p.violations}${device}`;
  }
  const phase = p.phase === 'run' ? 'run'
    : `${p.phase} ${(p.phaseElapsedMs / 1000).toFixed(1)}${p.phaseBudgetMs !== null ? `/${(p.phaseBudgetMs / 1000).toFixed(1)}` : ''}s`;
  const server = p.serverClients === null ? '' : ` | server clients ${p.serverClients} dropped ${p.dropped} max queue ${p.maxQueueDepth}`;
  return `${head} ${phase} open ${p.open} sessions ${p.sessions} (${p.connectFailures} failed) ` +
    `seq ${p.seq} received ${p.received} faults ${p.faultsRun}${server}`;
}

function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

function violationList(violations: Violation[], omitted: number): string {
  const n = violations.length + omitted;
  if (n === 0) return '';
  let out = `\n\n  ${n} invariant violation(s):\n` +
    violations.map((v) => `  - [${v.invariant}] ${v.detail.replace(/\n/g, '\n    ')}`).join('\n');
  if (omitted) out += `\n  ... and ${omitted} more`;
  return out;
}

function stopRows(stop: StressResult['stop']): [string, string][] {
  if (!stop) return [];
  const rows: [string, string][] = [
    ['device exit', `${stop.signal ? `signal ${stop.signal}` : `code ${stop.exitCode}`}${stop.reason && stop.reason !== 'SIGTERM' ? ` (${stop.reason})` : ''}`],
    ['sanitizer reports', String(stop.sanitizerReports.length)],
  ];
  const c = stop.counters;
  if (c) {
    rows.push(['device connections', `${c.connectionsTotal} accepted, ${c.connectionsDeferred} deferred, ${c.connectionsOpen} open at end`]);
    rows.push(['device after stop', `clients ${c.clientsAlive}, heap ${c.heapUsed} B (peak ${c.heapPeak} B), threads ${c.threadsAlive}`]);
    rows.push(['device errors / timeouts', `${c.errors} / ${c.ackTimeouts + c.rxTimeouts}, alloc failures ${c.allocFailures}`]);
  }
  return rows;
}

const ms = (v: number | null): string => (v === null ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

/** "p50 0.41  p90 0.80  p99 1.90  max 3.20 ms (7628)" */
export function formatPercentiles(p: Percentiles): string {
  if (p.count === 0) return 'no samples';
  return `p50 ${ms(p.p50)}  p90 ${ms(p.p90)}  p99 ${ms(p.p99)}  max ${ms(p.max)} ms  (${p.count})`;
}

function metricRows(r: RunReport): [string, string][] {
  const m = r.metrics;
  const rows: [string, string][] = [];
  if (r.kind === 'ws') {
    const clock = r.clock ? `; clock ${r.clock.method}${r.clock.uncertaintyMs !== null ? ` +-${ms(r.clock.uncertaintyMs)} ms` : ''}` : '';
    rows.push(['broadcast latency', `${formatPercentiles(m.latency)}${m.latency.count ? clock : ''}`]);
    rows.push(['echo round trip', formatPercentiles(m.echo)]);
    rows.push(['tcp connect', formatPercentiles(m.connect)]);
    rows.push(['ws handshake', formatPercentiles(m.handshake)]);
  } else {
    rows.push(['echo round trip', formatPercentiles(m.echo)]);
    rows.push(['tcp connect', formatPercentiles(m.connect)]);
    rows.push(['first byte', `${formatPercentiles(m.handshake)} (connect to the device's first tick or echo: includes any wait to be accepted)`]);
  }
  rows.push(['throughput', `${m.messages.perSec} msgs/s, ${(m.bytes.perSec / 1024).toFixed(0)} KiB/s, ${m.connections.perSec} connections/s`]);
  if (m.eventLoopDelay.p99 !== null) rows.push(['harness loop delay', `p50 ${ms(m.eventLoopDelay.p50)}  p99 ${ms(m.eventLoopDelay.p99)}  max ${ms(m.eventLoopDelay.max)} ms`]);
  return rows;
}

const MARK: Record<Check['status'], string> = { pass: 'ok  ', fail: 'FAIL', warn: 'warn', skip: 'skip' };

/** The verdict table: one line per check. */
export function formatChecks(checks: readonly Check[]): string {
  if (!checks.length) return '';
  const w = Math.max(...checks.map((c) => c.name.length));
  return '\n\n  verdict:\n' + checks.map((c) => `  ${MARK[c.status]}  ${c.name.padEnd(w)}  ${c.detail}`.trimEnd()).join('\n');
}

function resultLine(r: RunReport): string {
  const what: Record<string, string> = {
    ok: 'OK', failed: 'FAILED', usage: 'USAGE ERROR', unreachable: 'TARGET UNREACHABLE', crashed: 'TARGET CRASHED',
    thresholds: 'THRESHOLDS BROKEN', interrupted: 'INTERRUPTED (partial)',
  };
  return `${what[r.status] ?? r.status} (exit ${r.exitCode})`;
}

export function formatSummary(r: StressResult | EchoChurnResult): string {
  if (r.kind === 'echo-churn') return formatEchoChurn(r);
  const s = r.stats;
  const f = r.faults;
  const list = (o: Partial<Record<string, number>>): string => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const rows: [string, string][] = [
    ['result', resultLine(r)],
    ['scenario / seed', `${r.scenario} / ${r.seed} (twincore ${r.version})`],
    ['target', `${r.target}${r.profile ? ` (${r.profile.name}, ${r.profile.maxConnections} sockets)` : ''}`],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s`],
    ['broadcast', `${r.broadcast.sent ?? '?'} messages of ${r.broadcast.size} B at ${r.schedule.rates.length > 1 ? r.schedule.rates.map((x) => x.rate).join(' -> ') : r.broadcast.rate}/s requested ` +
      `(${r.broadcast.perSec.toFixed(1)}/s)${r.broadcast.runs.length > 1 ? `, one broadcast run per rate` : ''}`],
    ['clients / sessions', `${s.clients} / ${s.sessions} (${s.connectFailures} failed to connect, ${s.survivors} survived to the end)`],
    ...Object.entries(s.byBehaviour).map(([b, x]): [string, string] =>
      [`  ${b}`, `${x!.clients} client(s), ${x!.sessions} session(s), ${x!.survivors} survived, ${x!.received} received`]),
  ];
  if (s.arrivals) rows.push(['churn arrivals', `${s.arrivals.started} started, ${s.arrivals.skipped} skipped (in flight at the limit)`]);
  rows.push(
    ['telemetry received', `${s.telemetryReceived} (${(s.bytesReceived / 1024).toFixed(0)} KiB in all)`],
    ['echo requests', String(s.echoesSent)],
    ['faults', `${list(f.run)}${f.noVictim ? `; ${f.noVictim} found no victim` : ''}`],
  );
  if (Object.keys(f.skipped).length) rows.push(['faults skipped', `${list(f.skipped)}${f.skipReason ? ` (${f.skipReason})` : ''}`]);
  if (r.link) rows.push(['link', `${r.link.name ?? 'custom'}: ${r.link.linkBandwidthKbps ? `${r.link.linkBandwidthKbps} kbit/s` : 'unlimited'}, round trip ${r.link.linkRttMs} ms + 0..${r.link.linkJitterMs} ms (seed ${r.link.seed})`]);
  if (r.jitterSeed !== null && r.jitterSeed !== undefined) rows.push(['scheduling jitter', `seed ${r.jitterSeed}`]);
  if (r.limitsRaised.length) rows.push(['limits raised', `${r.limitsRaised.map((l) => `${l.what} ${l.from} -> ${l.to}`).join(', ')} (to fit the scenario)`]);
  const sv = r.server;
  rows.push(['max queue depth', `${sv.maxQueueDepth} (bound ${sv.queueBound}, ${sv.samples} /stats samples)`]);
  if (sv.final) {
    rows.push(['server events', `connect ${sv.final.events.connect}, disconnect ${sv.final.events.disconnect}, clients at end ${sv.final.clients} (this run)`]);
    rows.push(['server drops', `dropped ${sv.final.dropped}, closed on full ${sv.final.closedOnFull}, alloc failures ${sv.final.allocFailures}, rejected ${sv.rejected ?? '?'}`]);
  }
  rows.push(...metricRows(r));
  rows.push(...stopRows(r.stop));
  if (r.error) rows.push(['error', r.error]);
  return table(rows) + warningList(r.warnings) + formatChecks(r.checks) + violationList(r.violations, r.violationsOmitted);
}

function warningList(w: readonly string[]): string {
  return w.length ? `\n\n  warnings:\n${w.map((x) => `  - ${x}`).join('\n')}` : '';
}

function formatEchoChurn(r: EchoChurnResult): string {
  const s = r.stats;
  const rows: [string, string][] = [
    ['result', resultLine(r)],
    ['scenario', `${r.scenario} (twincore ${r.version})`],
    ['target', r.target],
    ['firmware / profile', `${r.firmware} / ${r.profile?.name ?? '?'} (${r.profile?.maxConnections ?? '?'} sockets)`],
    ['seed', String(r.seed)],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s`],
    ['connections', `${s.connections} (${r.connectionsPerSec.toFixed(1)}/s), ${s.connectFailures} refused or failed; at most ${s.peakConnected} connected at once`],
    ['accept waits', `${s.deferred ?? '?'} connection(s) waited for a free slot (deferred by the device); ${s.slotWaits} got nothing back within the op timeout (not yet accepted), ${s.gaveUpWaiting} of them never`],
    ['sessions completed', String(s.sessionsCompleted)],
    ['endings', Object.entries(s.endings).map(([k, n]) => `${k} ${n}`).join(', ')],
    ['lines sent / echoed', `${s.linesSent} / ${s.linesEchoed}`],
    ['ticks received', String(s.ticks)],
    ['bytes sent / received', `${s.bytesSent} / ${s.bytesReceived}`],
    ...metricRows(r),
    ...stopRows(r.stop),
  ];
  if (r.error) rows.push(['error', r.error]);
  return table(rows) + warningList(r.warnings) + formatChecks(r.checks) + violationList(r.violations, r.violationsOmitted);
}
