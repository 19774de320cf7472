// Timers as promises, shared by the devices and the harness.

/** Resolves after ms (a negative delay counts as 0). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** p's value, or 'timeout' if it has not settled after ms; the timer is cleared either way, and
 *  a rejection of p within ms rejects. */
export function within<T>(ms: number, p: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), Math.max(0, ms)); })])
    .finally(() => clearTimeout(timer));
}
