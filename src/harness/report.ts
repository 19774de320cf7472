// Text renderings of a run: the live progress line and the summary table. (JSON is the result
// object itself.) Both kinds of run are rendered: the WebSocket stress run and the echo churn.
import type { EchoChurnProgress, EchoChurnResult } from './echo-churn.js';
import type { Violation } from './oracle.js';
import type { StressProgress, StressResult } from './stress.js';

export function formatProgress(p: StressProgress | EchoChurnProgress, durationMs: number): string {
  const pct = Math.min(100, Math.round((p.elapsedMs / durationMs) * 100));
  const head = `[${String(pct).padStart(3)}%] ${(p.elapsedMs / 1000).toFixed(1)}s`;
  if (p.kind === 'echo-churn') {
    const c = p.counters;
    const device = c ? ` | device open ${c.connectionsOpen} clients ${c.clientsAlive} deferred ${c.connectionsDeferred}` : '';
    return `${head} clients ${p.activeClients} conns ${p.connections} (${p.connectionsPerSec.toFixed(0)}/s) ` +
      `echoes ${p.linesEchoed} violations ${p.violations}${device}`;
  }
  const server = p.serverClients === null ? '' : ` | server clients ${p.serverClients} dropped ${p.dropped} max queue ${p.maxQueueDepth}`;
  return `${head} ${p.phase} open ${p.open} sessions ${p.sessions} (${p.connectFailures} failed) ` +
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
    ['device exit', stop.signal ? `signal ${stop.signal}` : `code ${stop.exitCode}`],
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

export function formatSummary(r: StressResult | EchoChurnResult): string {
  if (r.kind === 'echo-churn') return formatEchoChurn(r);
  const s = r.stats;
  const f = r.faults;
  const list = (o: Partial<Record<string, number>>): string => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const rows: [string, string][] = [
    ['result', r.ok ? 'OK' : 'FAILED'],
    ['scenario / seed', `${r.scenario} / ${r.seed}`],
    ['target', r.target],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s`],
    ['broadcast', `${r.broadcast.sent ?? '?'} messages of ${r.broadcast.size} B at ${r.broadcast.rate}/s requested (${r.broadcast.perSec.toFixed(1)}/s)`],
    ['clients / sessions', `${s.clients} / ${s.sessions} (${s.connectFailures} failed to connect, ${s.survivors} survived to the end)`],
    ...Object.entries(s.byBehaviour).map(([b, x]): [string, string] =>
      [`  ${b}`, `${x!.clients} client(s), ${x!.sessions} session(s), ${x!.survivors} survived, ${x!.received} received`]),
    ['telemetry received', `${s.telemetryReceived} (${(s.bytesReceived / 1024).toFixed(0)} KiB in all)`],
    ['echo requests', String(s.echoesSent)],
    ['faults', `${list(f.run)}${f.noVictim ? `; ${f.noVictim} found no victim` : ''}`],
  ];
  if (Object.keys(f.skipped).length) rows.push(['faults skipped', `${list(f.skipped)}${f.skipReason ? ` (${f.skipReason})` : ''}`]);
  const sv = r.server;
  rows.push(['max queue depth', `${sv.maxQueueDepth} (bound ${sv.queueBound}, ${sv.samples} /stats samples)`]);
  if (sv.final) {
    rows.push(['server events', `connect ${sv.final.events.connect}, disconnect ${sv.final.events.disconnect}, clients at end ${sv.final.clients}`]);
    rows.push(['server drops', `dropped ${sv.final.dropped}, closed on full ${sv.final.closedOnFull}, alloc failures ${sv.final.allocFailures}, rejected ${sv.rejected ?? '?'}`]);
  }
  rows.push(...stopRows(r.stop));
  if (r.error) rows.push(['error', r.error]);
  return table(rows) + violationList(r.violations, r.violationsOmitted);
}

function formatEchoChurn(r: EchoChurnResult): string {
  const s = r.stats;
  const rows: [string, string][] = [
    ['result', r.ok ? 'OK' : 'FAILED'],
    ['scenario', 'echo-churn'],
    ['target', r.target],
    ['firmware / profile', `${r.firmware} / ${r.profile}`],
    ['seed', String(r.seed)],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s`],
    ['connections', `${s.connections} (${r.connectionsPerSec.toFixed(1)}/s), ${s.connectFailures} failed`],
    ['sessions completed', String(s.sessionsCompleted)],
    ['endings', Object.entries(s.endings).map(([k, n]) => `${k} ${n}`).join(', ')],
    ['lines sent / echoed', `${s.linesSent} / ${s.linesEchoed}`],
    ['ticks received', String(s.ticks)],
    ['bytes sent / received', `${s.bytesSent} / ${s.bytesReceived}`],
    ...stopRows(r.stop),
  ];
  if (r.error) rows.push(['error', r.error]);
  return table(rows) + violationList(r.violations, r.violationsOmitted);
}
