// The oracle: invariants checked after a run, never timings.
import type { StopReport } from '../types.js';
import type { StressStats } from './stress.js';
import type { TargetName } from './targets.js';

export interface OracleInput {
  target: TargetName;
  stats: StressStats;
  stop: StopReport;
}

/** Every violated invariant, as a sentence; empty when the run is clean. */
export function checkInvariants({ target, stats, stop }: OracleInput): string[] {
  const v: string[] = [];
  if (stop.sanitizerReports.length > 0) {
    v.push(`${stop.sanitizerReports.length} sanitizer report(s); the first:\n${stop.sanitizerReports[0]}`);
  }
  if (stop.signal) v.push(`the device process died of ${stop.signal}`);
  else if (stop.exitCode !== 0) v.push(`the device exited with code ${stop.exitCode}`);
  const c = stop.counters;
  if (!c) {
    v.push(`the ${target} device reported no final counters`);
    return v;
  }
  if (c.clientsAlive !== 0) v.push(`${c.clientsAlive} AsyncClient(s) alive after stop`);
  if (c.connectionsOpen !== 0) v.push(`${c.connectionsOpen} connection(s) open after stop`);
  if (c.threadsAlive !== 0) v.push(`${c.threadsAlive} device thread(s) alive after stop`);
  if (c.serversListening !== 0) v.push(`${c.serversListening} server(s) listening after stop`);
  // Every session that got an echo was accepted by the device.
  if (c.connectionsTotal < stats.sessionsCompleted) {
    v.push(`the device accepted ${c.connectionsTotal} connections, fewer than the ${stats.sessionsCompleted} sessions served`);
  }
  if (stats.linesEchoed > stats.linesSent) v.push(`${stats.linesEchoed} echoes for ${stats.linesSent} lines sent`);
  return v;
}
