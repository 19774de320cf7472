// The broadcast benchmark: the twin's reference firmware against a `ws` server in the same
// process, same workload (see src/harness/bench.ts for what is measured and how). Not a test.
//
//   npx tsc -p bench && node dist/bench/bench/broadcast.js [--clients N] [--messages M] [--size S]
//                                                          [--rate R] [--idle K]
// Prints a table and, last, one JSON line. Bounded: each phase at most 20 s; the default
// workload takes about 8 s.
import { runBroadcastBench, type BroadcastBenchOptions } from '../src/harness/bench.js';

const FLAGS: Record<string, keyof BroadcastBenchOptions> = {
  '--clients': 'clients', '--messages': 'messages', '--size': 'size', '--rate': 'rate', '--idle': 'idleClients',
};

function parse(argv: string[]): BroadcastBenchOptions {
  const o: BroadcastBenchOptions = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = FLAGS[argv[i]!];
    const n = Number(argv[i + 1]);
    if (!key || !Number.isInteger(n)) {
      process.stderr.write(`usage: broadcast [${Object.keys(FLAGS).map((f) => `${f} <n>`).join('] [')}]\n`);
      process.exit(2);
    }
    o[key] = n;
  }
  return o;
}

const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

const r = await runBroadcastBench(parse(process.argv.slice(2)));
const w = r.workload;
const rows: [string, string, string, string][] = [
  ['', 'twin (reference fw)', 'ws (same process)', 'twin/ws'],
  ['broadcast msgs/s', fmt(r.twin.msgsPerSec, 1), fmt(r.ws.msgsPerSec, 1), fmt(r.ratio.msgsPerSec, 2)],
  ['deliveries/s', fmt(r.twin.deliveriesPerSec), fmt(r.ws.deliveriesPerSec), ''],
  ['delivered / expected', `${r.twin.delivered} / ${r.twin.expected}`, `${r.ws.delivered} / ${r.ws.expected}`, ''],
  ['CPU us per delivery', fmt(r.twin.cpuUsPerDelivery, 2), fmt(r.ws.cpuUsPerDelivery, 2), fmt(r.ratio.cpuPerDelivery, 2)],
  ['heap per idle client (B)', fmt(r.twin.heapPerIdleClient), `${fmt(r.ws.heapPerConnection)} (raw ${fmt(r.ws.heapPerConnectionRaw)})`, fmt(r.ratio.heapPerClient, 3)],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
console.log(`broadcast: ${w.clients} clients, ${w.messages} messages of ${w.size} B at ${w.rate}/s; memory over ${w.idleClients} idle clients`);
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
console.log(`(twin dropped ${r.twin.dropped} on full queues; ws clients' own heap ${fmt(r.clientHeapPerConnection)} B/connection was subtracted from ws's)`);
console.log(JSON.stringify(r));
