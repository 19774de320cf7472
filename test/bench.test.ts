// The broadcast benchmark (bench/broadcast.ts) in a very short run: it must produce a well-formed
// result. No timing is asserted: the figures depend on the machine.
import { describe, expect, it } from 'vitest';

import { runBroadcastBench } from '../src/harness/bench.js';

describe('runBroadcastBench', () => {
  it('produces a well-formed result for a tiny workload', async () => {
    const r = await runBroadcastBench({ clients: 2, messages: 40, size: 128, rate: 1000, idleClients: 4, timeoutMs: 10_000 });
    expect(r.workload).toEqual({ clients: 2, messages: 40, size: 128, rate: 1000, idleClients: 4 });
    for (const side of [r.twin, r.ws]) {
      expect(side.expected).toBe(80);
      expect(side.delivered).toBeGreaterThan(0);
      expect(side.delivered).toBeLessThanOrEqual(side.expected);
      for (const k of ['elapsedMs', 'msgsPerSec', 'deliveriesPerSec', 'cpuUsPerDelivery'] as const) {
        expect(Number.isFinite(side[k]), k).toBe(true);
        expect(side[k], k).toBeGreaterThan(0);
      }
    }
    expect(r.ws.delivered).toBe(80); // ws never drops
    // The twin's accounting: every telemetry message reached its client or was counted as dropped
    // on a full queue; "started" and each client's "done" are the only other messages that could
    // add to the count.
    expect(r.twin.delivered + r.twin.dropped).toBeGreaterThanOrEqual(r.twin.expected);
    expect(r.twin.delivered + r.twin.dropped).toBeLessThanOrEqual(r.twin.expected + 1 + 2);
    expect(r.twin.heapPerIdleClient).toBeGreaterThan(0);
    expect(Number.isFinite(r.ratio.msgsPerSec)).toBe(true);
    expect(Number.isFinite(r.ratio.cpuPerDelivery)).toBe(true);
  }, 30_000);
});
