// Text renderings of a run: the live progress line and the summary table. (JSON is the result
// object itself.)
import type { StressProgress, StressResult } from './stress.js';

export function formatProgress(p: StressProgress, durationMs: number): string {
  const pct = Math.min(100, Math.round((p.elapsedMs / durationMs) * 100));
  const c = p.counters;
  const device = c ? ` | device open ${c.connectionsOpen} clients ${c.clientsAlive} deferred ${c.connectionsDeferred}` : '';
  return `[${String(pct).padStart(3)}%] ${(p.elapsedMs / 1000).toFixed(1)}s ` +
    `clients ${p.activeClients} conns ${p.connections} (${p.connectionsPerSec.toFixed(0)}/s) ` +
    `echoes ${p.linesEchoed} violations ${p.violations}${device}`;
}

function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

export function formatSummary(r: StressResult): string {
  const s = r.stats;
  const rows: [string, string][] = [
    ['result', r.ok ? 'OK' : 'FAILED'],
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
  ];
  if (r.stop) {
    rows.push(['device exit', r.stop.signal ? `signal ${r.stop.signal}` : `code ${r.stop.exitCode}`]);
    rows.push(['sanitizer reports', String(r.stop.sanitizerReports.length)]);
    const c = r.stop.counters;
    if (c) {
      rows.push(['device connections', `${c.connectionsTotal} accepted, ${c.connectionsDeferred} deferred, ${c.connectionsOpen} open at end`]);
      rows.push(['device clients alive', String(c.clientsAlive)]);
      rows.push(['device polls / acks', `${c.polls} / ${c.acks}`]);
      rows.push(['device errors / timeouts', `${c.errors} / ${c.ackTimeouts + c.rxTimeouts}`]);
    }
  }
  if (r.error) rows.push(['error', r.error]);
  let out = table(rows);
  const n = r.violations.length + r.violationsOmitted;
  if (n > 0) {
    out += `\n\n  ${n} invariant violation(s):\n` + r.violations.map((v) => `  - ${v.replace(/\n/g, '\n    ')}`).join('\n');
    if (r.violationsOmitted) out += `\n  ... and ${r.violationsOmitted} more`;
  }
  return out;
}
