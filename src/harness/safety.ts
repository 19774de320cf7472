// The safety limit of a device process (--max-seconds): a device whose harness died stops by itself.
// It follows the run: the whole run with every bound spent, plus a minute. A device that reaches
// it stopped itself (its exit line says "maxSeconds"); that is never reported as a crash.
import { WS_STRESS_DEFAULTS } from './defaults.js';

const MARGIN_S = 60;
const MAX_S = 7 * 86_400; // twin::limits --max-seconds

/** For a WebSocket stress run of durationMs with these bounds. */
export function deviceSafetySeconds(durationMs: number, o: { opTimeoutMs: number; drainTimeoutMs: number; settleTimeoutMs: number }): number {
  const d = WS_STRESS_DEFAULTS;
  const worst = durationMs + d.windDownMs + 2 * o.opTimeoutMs + o.drainTimeoutMs + d.closeTimeoutMs + o.settleTimeoutMs;
  return Math.min(MAX_S, Math.ceil(worst / 1000) + MARGIN_S);
}

/** For an echo churn of durationMs. */
export function deviceSafetySecondsEcho(durationMs: number, opTimeoutMs: number, drainTimeoutMs: number): number {
  return Math.min(MAX_S, Math.ceil((durationMs + drainTimeoutMs + 2 * opTimeoutMs) / 1000) + MARGIN_S);
}
