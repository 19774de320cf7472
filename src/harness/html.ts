// The HTML report (`--html FILE`): one self-contained page, no network access, no script needed
// to view it. Plots are inline SVG drawn here: connected clients, messages and connections per
// second, broadcast latency percentiles and echo round trips, queue depths, heap held, each over
// time with the fault markers and the wind-down/drain/settle phases; then the verdict table, the
// metrics and the violations. A batch (--seeds, merge) gets a table of its runs and the plots of
// the runs that failed (or the first one).
import type { BatchReport } from './batch.js';
import type { Percentiles, Timeline, TimelinePoint } from './metrics.js';
import type { RunReport } from './run-report.js';
import type { Check } from './verdict.js';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STATUS_COLOR: Record<string, string> = {
  ok: '#1a7f37', failed: '#cf222e', crashed: '#cf222e', unreachable: '#bc4c00', usage: '#bc4c00', thresholds: '#9a6700', interrupted: '#6e7781',
};
const CHECK_COLOR: Record<Check['status'], string> = { pass: '#1a7f37', fail: '#cf222e', warn: '#9a6700', skip: '#6e7781' };
const FAULT_COLOR: Record<string, string> = {
  'close-from-loop': '#8250df', 'close-in-callback': '#bf3989', 'peer-reset': '#cf222e', 'inject-alloc': '#bc4c00', 'inject-accept': '#0969da',
};

// ---------------------------------------------------------------------------------------------
// Charts

interface Series {
  name: string;
  color: string;
  points: [number, number | null][];
  dash?: string;
  width?: number;
}

function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(+v.toFixed(2));
}

interface ChartOptions {
  title: string;
  unit: string;
  series: Series[];
  xMaxS: number;
  timeline: Timeline;
  /** Clip the y axis at this (values above are drawn at the top, and the chart says so). */
  yClip?: number;
  note?: string;
}

const W = 920;
/** Height of a chart with a one-row legend. */
const HEIGHT = 230;
const PADX = { l: 58, r: 18, b: 30 };

function chart(o: ChartOptions): string {
  // Legend first: it wraps onto as many rows as it needs, and the plot starts below it.
  const items: { w: number; svg: (x: number, y: number) => string }[] = [];
  for (const s of o.series) {
    items.push({ w: 34 + s.name.length * 7, svg: (x, y) => `<line x1="${x}" x2="${x + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="${x + 20}" y="${y}" class="legend">${esc(s.name)}</text>` });
  }
  for (const k of [...new Set(o.timeline.faults.map((f) => f.kind))]) {
    items.push({ w: 28 + k.length * 7, svg: (x, y) => `<path d="M${x + 6} ${y - 8}l-4 7h8z" fill="${FAULT_COLOR[k] ?? '#57606a'}"/><text x="${x + 14}" y="${y}" class="legend">${esc(k)}</text>` });
  }
  const legend: string[] = [];
  let lx = PADX.l + 4;
  let ly = 18;
  for (const it of items) {
    if (lx + it.w > W - PADX.r && lx > PADX.l + 4) {
      lx = PADX.l + 4;
      ly += 16;
    }
    legend.push(it.svg(lx, ly));
    lx += it.w;
  }
  const top = ly + 22;
  const PAD = { l: PADX.l, r: PADX.r, t: top, b: PADX.b };
  const H = top - 40 + HEIGHT;
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const values = o.series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null && Number.isFinite(v)));
  if (values.length === 0) {
    return `<figure class="chart"><figcaption>${esc(o.title)}</figcaption><div class="empty">no data in this run</div></figure>`;
  }
  let yMax = Math.max(...values, 0);
  let clipped = false;
  if (o.yClip !== undefined && yMax > o.yClip) {
    yMax = o.yClip;
    clipped = true;
  }
  if (yMax <= 0) yMax = 1;
  const yStep = niceStep(yMax, 4);
  yMax = Math.ceil(yMax / yStep) * yStep;
  const xMax = Math.max(o.xMaxS, 0.001);
  const xStep = niceStep(xMax, 8);
  const X = (t: number): number => PAD.l + (Math.min(t, xMax) / xMax) * iw;
  const Y = (v: number): number => PAD.t + ih - (Math.min(v, yMax) / yMax) * ih;
  const parts: string[] = [];
  // Phases after the run: shaded.
  const phases = o.timeline.phases.filter((p) => p.phase !== 'run');
  for (let i = 0; i < phases.length; i++) {
    const p = phases[i]!;
    const end = (phases[i + 1]?.t ?? xMax * 1000) / 1000;
    const x0 = X(p.t / 1000);
    const x1 = X(end);
    if (x1 - x0 < 0.5) continue;
    parts.push(`<rect x="${x0.toFixed(1)}" y="${PAD.t}" width="${(x1 - x0).toFixed(1)}" height="${ih}" fill="${i % 2 ? '#f3f4f6' : '#eef1f5'}"/>`);
    if (x1 - x0 > 34) parts.push(`<text x="${((x0 + x1) / 2).toFixed(1)}" y="${PAD.t + 12}" class="phase">${esc(p.phase)}</text>`);
  }
  // Grid and axes.
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    const y = Y(v).toFixed(1);
    parts.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y}" y2="${y}" class="grid"/><text x="${PAD.l - 6}" y="${(+y + 4).toFixed(1)}" class="ylab">${fmt(v)}</text>`);
  }
  for (let t = 0; t <= xMax + 1e-9; t += xStep) {
    const x = X(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${PAD.t + ih}" y2="${PAD.t + ih + 4}" class="axis"/><text x="${x}" y="${H - 10}" class="xlab">${fmt(t)} s</text>`);
  }
  parts.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${PAD.t + ih}" y2="${PAD.t + ih}" class="axis"/>`);
  parts.push(`<text x="${14}" y="${PAD.t + ih / 2}" class="unit" transform="rotate(-90 14 ${PAD.t + ih / 2})">${esc(o.unit)}</text>`);
  // Fault markers.
  const faults = o.timeline.faults;
  const shown = faults.length > 400 ? faults.filter((_, i) => i % Math.ceil(faults.length / 400) === 0) : faults;
  for (const f of shown) {
    const x = X(f.t / 1000).toFixed(1);
    const c = FAULT_COLOR[f.kind] ?? '#57606a';
    parts.push(`<g class="fault"><title>${esc(`${(f.t / 1000).toFixed(2)} s ${f.kind}${f.detail ? ` (${f.detail})` : ''}`)}</title>` +
      `<line x1="${x}" x2="${x}" y1="${PAD.t}" y2="${PAD.t + ih}" stroke="${c}" stroke-opacity="0.35" stroke-width="1"/>` +
      `<path d="M${x} ${PAD.t + 1}l-3.5 -6h7z" fill="${c}"/></g>`);
  }
  // Series.
  for (const s of o.series) {
    let d = '';
    let pen = false;
    for (const [t, v] of s.points) {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${X(t).toFixed(1)} ${Y(v).toFixed(1)}`;
      pen = true;
    }
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.8}" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${esc(s.name)}</title></path>`);
    // Lone points (a series with one value in a row) get a dot.
    if (s.points.filter((p) => p[1] !== null).length <= 2) {
      for (const [t, v] of s.points) if (v !== null) parts.push(`<circle cx="${X(t).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
  }
  const note = [clipped ? `y axis clipped at ${fmt(yMax)} ${o.unit}: the max line goes off the top` : '', o.note ?? ''].filter(Boolean).join('; ');
  return `<figure class="chart"><figcaption>${esc(o.title)}${note ? ` <span class="note">${esc(note)}</span>` : ''}</figcaption>` +
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${legend.join('')}${parts.join('')}</svg></figure>`;
}

function seriesOf(points: TimelinePoint[], f: (p: TimelinePoint) => number | null | undefined): [number, number | null][] {
  return points.map((p) => [p.t / 1000, f(p) ?? null]);
}

function charts(r: RunReport): string {
  const tl = r.timeline;
  const pts = tl.points;
  const xMaxS = Math.max(0.001, ...pts.map((p) => p.t / 1000), ...tl.phases.map((p) => p.t / 1000));
  const base = { xMaxS, timeline: tl };
  const out: string[] = [];
  const hasServer = pts.some((p) => p.server);
  out.push(chart({
    ...base, title: 'Connected clients', unit: 'clients',
    series: [
      { name: r.kind === 'ws' ? 'open sessions (harness)' : 'connected sockets (harness)', color: '#0969da', points: seriesOf(pts, (p) => p.clients) },
      ...(hasServer ? [{ name: 'clients on the device (/stats)', color: '#1a7f37', points: seriesOf(pts, (p) => p.server?.clients), dash: '5 3' }] : []),
    ],
  }));
  if (r.kind === 'ws') {
    out.push(chart({
      ...base, title: 'Telemetry messages received per second (all clients)', unit: 'msgs/s',
      series: [
        { name: 'received', color: '#0969da', points: seriesOf(pts, (p) => p.msgsPerSec) },
        { name: 'expected: rate asked x clients', color: '#8c959f', points: seriesOf(pts, (p) => (p.rate === null ? null : p.rate * (p.clients + 1))), dash: '4 3', width: 1.4 },
      ],
    }));
  } else {
    out.push(chart({ ...base, title: 'Echoes per second', unit: 'echoes/s', series: [{ name: 'echoes', color: '#0969da', points: seriesOf(pts, (p) => p.msgsPerSec) }] }));
  }
  out.push(chart({
    ...base, title: 'Connections opened per second', unit: 'per second',
    series: [{ name: r.kind === 'ws' ? 'WebSocket sessions opened' : 'TCP sessions', color: '#bc4c00', points: seriesOf(pts, (p) => p.connectsPerSec) }],
  }));
  if (r.kind === 'ws') {
    const p99s = pts.map((p) => p.latency.p99).filter((v): v is number => v !== null).sort((a, b) => a - b);
    const clip = p99s.length ? Math.max(1, p99s[Math.floor(p99s.length * 0.95)]! * 3) : undefined;
    out.push(chart({
      ...base, title: 'Broadcast latency (textAll on the device to receipt), per window', unit: 'ms', ...(clip !== undefined ? { yClip: clip } : {}),
      note: r.clock?.uncertaintyMs != null ? `each value ± ${r.clock.uncertaintyMs} ms (device clock bounded by round trips), plus 1 ms of millis() resolution` : '',
      series: [
        { name: 'p50', color: '#1a7f37', points: seriesOf(pts, (p) => p.latency.p50) },
        { name: 'p90', color: '#9a6700', points: seriesOf(pts, (p) => p.latency.p90) },
        { name: 'p99', color: '#cf222e', points: seriesOf(pts, (p) => p.latency.p99) },
        { name: 'max', color: '#cf222e', points: seriesOf(pts, (p) => p.latency.max), dash: '2 3', width: 1.2 },
      ],
    }));
  }
  out.push(chart({
    ...base, title: 'Echo round trips, per window', unit: 'ms',
    series: [
      { name: 'p50', color: '#1a7f37', points: seriesOf(pts, (p) => p.echo.p50) },
      { name: 'p99', color: '#cf222e', points: seriesOf(pts, (p) => p.echo.p99) },
      { name: 'max', color: '#cf222e', points: seriesOf(pts, (p) => p.echo.max), dash: '2 3', width: 1.2 },
    ],
  }));
  if (hasServer) {
    out.push(chart({
      ...base, title: 'Queue depths (/stats)', unit: 'messages', note: `bound ${r.server?.queueBound ?? 16} per client`,
      series: [
        { name: 'deepest queue', color: '#8250df', points: seriesOf(pts, (p) => p.server?.maxQueue) },
        { name: 'queued, all clients', color: '#0969da', points: seriesOf(pts, (p) => p.server?.queued), dash: '4 3' },
        { name: 'dropped so far', color: '#cf222e', points: seriesOf(pts, (p) => p.server?.dropped), dash: '2 3', width: 1.2 },
      ],
    }));
  }
  const deviceHeap = pts.some((p) => p.deviceHeap !== null && p.deviceHeap > 0);
  if (hasServer || deviceHeap) {
    out.push(chart({
      ...base, title: 'Heap held', unit: 'bytes',
      series: [
        ...(hasServer ? [{ name: 'WebSocket core (/stats heapHeld)', color: '#0969da', points: seriesOf(pts, (p) => p.server?.heapHeld) }] : []),
        ...(deviceHeap ? [{ name: 'whole firmware (twin heap)', color: '#8250df', points: seriesOf(pts, (p) => p.deviceHeap), dash: '4 3' }] : []),
      ],
    }));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Tables

function checksTable(checks: readonly Check[]): string {
  const passed = checks.filter((c) => c.status === 'pass');
  const rest = checks.filter((c) => c.status !== 'pass');
  const order: Record<Check['status'], number> = { fail: 0, warn: 1, skip: 2, pass: 3 };
  rest.sort((a, b) => order[a.status] - order[b.status]);
  const chips = passed.length ? `<div class="chips">${passed.map((c) => `<span class="chip"><span class="dot"></span>${esc(c.name)}</span>`).join('')}</div>` : '';
  const table = rest.length ? `<table class="checks"><tbody>${rest.map((c) =>
    `<tr><td class="st"><span class="pill" style="background:${CHECK_COLOR[c.status]}">${c.status}</span></td><td class="nm">${esc(c.name)}</td><td>${esc(c.detail)}</td></tr>`).join('')}</tbody></table>` : '';
  return chips + table;
}

function pct(p: Percentiles, name: string, unit = 'ms'): string {
  const v = (x: number | null): string => (x === null ? '-' : String(x));
  return `<tr><td>${esc(name)}</td><td>${v(p.p50)}</td><td>${v(p.p90)}</td><td>${v(p.p99)}</td><td>${v(p.max)}</td><td>${v(p.mean)}</td><td>${p.count}</td><td>${unit}</td></tr>`;
}

function metricsTable(r: RunReport): string {
  const m = r.metrics;
  const rows = r.kind === 'ws'
    ? [pct(m.latency, 'broadcast latency'), pct(m.echo, 'echo round trip'), pct(m.connect, 'TCP connect'), pct(m.handshake, 'WebSocket upgrade')]
    : [pct(m.echo, 'echo round trip'), pct(m.connect, 'TCP connect'), pct(m.handshake, 'connect to first byte')];
  return `<table class="metrics"><thead><tr><th>metric</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>mean</th><th>samples</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function card(label: string, value: string, sub = '', bad = false): string {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value"${bad ? ' style="color:#cf222e"' : ''}>${esc(value)}</div>${sub ? `<div class="sub">${esc(sub)}</div>` : ''}</div>`;
}

function num(v: number | null | undefined, unit = ''): string {
  return v === null || v === undefined ? '-' : `${fmt(v)}${unit}`;
}

/** One sentence: why the run got its status. */
function headline(r: RunReport): string {
  const inv = r.checks.filter((c) => !c.name.startsWith('threshold ') && ['pass', 'fail', 'skip'].includes(c.status));
  const th = r.thresholds;
  const thText = th.length ? `; ${th.filter((t) => t.ok).length} of ${th.length} threshold(s) held` : '';
  switch (r.status) {
    case 'ok':
      return `Every invariant held (${inv.filter((c) => c.status === 'pass').length} checked${inv.some((c) => c.status === 'skip') ? `, ${inv.filter((c) => c.status === 'skip').length} not applicable` : ''})${thText}.`;
    case 'thresholds':
      return `The invariants held, but ${th.filter((t) => !t.ok).map((t) => t.source).join(', ')} did not.`;
    case 'failed':
      return r.violations.length ? `${r.violations.length + r.violationsOmitted} invariant violation(s); the first: [${r.violations[0]!.invariant}] ${r.violations[0]!.detail.split('\n')[0]}` : (r.error ?? 'failed');
    case 'interrupted':
      return 'Interrupted (Ctrl-C): the run was cut short, its counts are partial, and the checks that need a full drain were skipped.';
    default:
      return r.error ?? r.status;
  }
}

function runSection(r: RunReport, heading: boolean): string {
  const m = r.metrics;
  const peak = Math.max(0, ...r.timeline.points.map((p) => p.clients));
  const faultsRun = Object.values(r.faults.run).reduce((a: number, n) => a + (n ?? 0), 0);
  const cards = [
    r.kind === 'ws' ? card('broadcast latency p99', num(m.latency.p99, ' ms'), `p50 ${num(m.latency.p50, ' ms')} · max ${num(m.latency.max, ' ms')}`) : '',
    card('echo round trip p99', num(m.echo.p99, ' ms'), `p50 ${num(m.echo.p50, ' ms')} · ${m.echo.count} echoes`),
    card(r.kind === 'ws' ? 'messages received' : 'echoes', `${fmt(m.messages.perSec)}/s`, `${fmt(m.messages.count)} in all · ${fmt(m.bytes.perSec / 1024)} KiB/s`),
    card('connections', `${fmt(m.connections.perSec)}/s`, `${fmt(m.connections.count)} opened · ${m.connections.failed} failed`),
    card('clients at peak', fmt(peak), r.kind === 'ws' ? `${(r.stats as { clients?: number }).clients ?? '?'} in the scenario` : ''),
    card('faults', fmt(faultsRun), Object.entries(r.faults.run).map(([k, n]) => `${k} ${n}`).join(' · ') || 'none'),
    card('violations', fmt(r.violations.length + r.violationsOmitted), r.stop ? `device exit ${r.stop.signal ?? r.stop.exitCode}` : 'a board: not stopped', r.violations.length > 0),
  ].join('');
  const meta = [
    ['target', `${r.target}${r.profile ? ` · ${r.profile.name}, ${r.profile.maxConnections} sockets, ${r.profile.dualCore ? 'dual' : 'single'} core` : ''}`],
    ['seed', String(r.seed)],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s`],
    ['started', r.startedAt],
    ['config', Object.entries(r.config).map(([k, v]) => `${k}=${v}`).join(' ') || '-'],
    ...(r.limitsRaised.length ? [['limits raised', r.limitsRaised.map((l) => `${l.what} ${l.from} → ${l.to}`).join(', ')]] : []),
    ...(r.broadcast ? [['broadcast', `${r.broadcast.sent ?? '?'} msgs of ${r.broadcast.size} B at ${r.schedule && r.schedule.rates.length > 1 ? r.schedule.rates.map((x) => x.rate).join(' → ') : r.broadcast.rate}/s`]] : []),
    ...(r.clock ? [['device clock', `${r.clock.method === 'round-trip' ? 'bounded by calibration round trips' : 'fastest message only'}${r.clock.uncertaintyMs !== null ? `, latencies ± ${r.clock.uncertaintyMs} ms` : ''}`]] : []),
    ['harness loop delay', `p99 ${num(m.eventLoopDelay.p99, ' ms')}, max ${num(m.eventLoopDelay.max, ' ms')}`],
    ['replay', r.replay],
  ];
  const violations = r.violations.length
    ? `<h3>Violations</h3><ol class="violations">${r.violations.map((v) => `<li><b>${esc(v.invariant)}</b> ${esc(v.detail)}</li>`).join('')}</ol>${r.violationsOmitted ? `<p>… and ${r.violationsOmitted} more</p>` : ''}`
    : '';
  return `<section class="run">
${heading ? `<h2>${esc(r.scenario)} · seed ${r.seed} <span class="badge" style="background:${STATUS_COLOR[r.status] ?? '#57606a'}">${esc(r.status)}</span></h2>` : ''}
<p class="headline" style="border-color:${STATUS_COLOR[r.status] ?? '#57606a'}">${esc(headline(r))}</p>
<div class="cards">${cards}</div>
${r.error && r.status !== 'unreachable' && r.status !== 'usage' ? `<p class="error">${esc(r.error)}</p>` : ''}
<h3>Verdict</h3>
${checksTable(r.checks)}
<h3>Over time</h3>
${charts(r)}
<div class="grid2">
<div><h3>Run</h3><table class="meta">${meta.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table></div>
<div><h3>Latencies</h3>${metricsTable(r)}</div>
</div>
${violations}
</section>`;
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
header{background:#0d1117;color:#e6edf3;padding:18px 28px}
header h1{margin:0;font-size:20px;font-weight:600;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header .sub{color:#9198a1;margin-top:4px}
main{max-width:980px;margin:0 auto;padding:18px 22px 40px}
h2{font-size:18px;margin:26px 0 10px}
h3{font-size:14px;margin:18px 0 8px;color:#59636e;text-transform:uppercase;letter-spacing:.04em}
.badge{display:inline-block;color:#fff;border-radius:12px;padding:2px 12px;font-size:14px;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(118px,1fr));gap:8px}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:10px 12px}
.card .label{color:#59636e;font-size:12px}
.card .value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .sub{color:#59636e;font-size:12px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px;align-items:start}
@media (max-width:800px){.grid2{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d1d9e0;border-radius:8px;overflow:hidden;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #eef1f4;text-align:left;vertical-align:top}
thead th{background:#f6f8fa;color:#59636e;font-weight:600}
table.meta th{width:32%;color:#59636e;font-weight:500}
table.meta td{word-break:break-word}
table.metrics td:not(:first-child){font-variant-numeric:tabular-nums;text-align:right}
table.metrics th:not(:first-child){text-align:right}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:8px}
.chip{background:#fff;border:1px solid #d1d9e0;border-radius:12px;padding:1px 10px 1px 8px;font-size:12px;display:inline-flex;align-items:center;gap:6px}
.chip .dot{width:8px;height:8px;border-radius:4px;background:#1a7f37;display:inline-block}
table.checks td.st{width:52px}table.checks td.nm{white-space:nowrap;font-weight:600;width:1%}
.pill{display:inline-block;color:#fff;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;min-width:38px;text-align:center}
figure.chart{margin:10px 0;background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:8px 8px 2px}
figure.chart figcaption{font-weight:600;padding:2px 6px}
figure.chart .note{font-weight:400;color:#59636e;font-size:12px;margin-left:8px}
figure.chart svg{width:100%;height:auto;display:block}
figure.chart .empty{color:#8c959f;padding:14px 6px}
svg text{font:11px system-ui,sans-serif;fill:#59636e}
svg .ylab{text-anchor:end}svg .xlab{text-anchor:middle}svg .unit{text-anchor:middle}
svg .legend{fill:#1f2328}
svg .phase{text-anchor:middle;fill:#8c959f;font-size:10px}
svg .grid{stroke:#eef1f4}svg .axis{stroke:#8c959f}
.headline{background:#fff;border:1px solid #d1d9e0;border-left:5px solid;border-radius:8px;padding:10px 14px;margin:4px 0 14px;font-size:15px}
.error{background:#ffebe9;border:1px solid #ffcecb;border-radius:8px;padding:8px 12px;white-space:pre-wrap}
ul.warnings{background:#fff8c5;border:1px solid #eac54f;border-radius:8px;padding:8px 12px 8px 28px;margin:12px 0}
ol.violations li{margin:4px 0;white-space:pre-wrap;word-break:break-word}
details{margin:10px 0}summary{cursor:pointer;font-weight:600}
footer{color:#8c959f;font-size:12px;text-align:center;padding:20px}
`;

function page(title: string, status: string, sub: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>
<header><h1>${esc(title)} <span class="badge" style="background:${STATUS_COLOR[status] ?? '#57606a'}">${esc(status.toUpperCase())}</span></h1><div class="sub">${esc(sub)}</div></header>
<main>
${body}
</main>
<footer>twincore stress report · self-contained: no script, no network</footer>
</body></html>
`;
}

function batchSection(b: BatchReport): string {
  const rows = b.entries.map((e) => `<tr><td>${e.seed}</td><td><span class="pill" style="background:${STATUS_COLOR[e.status] ?? '#57606a'}">${esc(e.status)}</span></td>` +
    `<td>${e.exitCode}</td><td>${e.violations}</td><td>${(e.durationMs / 1000).toFixed(1)} s</td><td>${e.latencyP99 ?? '-'}</td><td>${esc(e.error ?? '')}</td></tr>`).join('');
  const problems = b.problems.length ? `<ul class="warnings">${b.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '';
  const bad = b.runs.filter((r) => r.status !== 'ok');
  const show = (bad.length ? bad : b.runs.slice(0, 1)).slice(0, 8);
  return `${problems}<h3>Runs</h3><table class="batch"><thead><tr><th>seed</th><th>status</th><th>exit</th><th>violations</th><th>duration</th><th>latency p99 (ms)</th><th>error</th></tr></thead><tbody>${rows}</tbody></table>
${show.map((r, i) => `<details${i === 0 ? ' open' : ''}><summary>seed ${r.seed}: ${esc(r.status)}</summary>${runSection(r, true)}</details>`).join('\n')}`;
}

/** The report as one HTML page. */
export function renderHtml(report: RunReport | BatchReport): string {
  if (report.kind === 'batch') {
    const sub = `${report.entries.length} run(s) · ${report.scenario} · ${report.target}${report.seeds ? ` · seeds ${report.seeds.from}..${report.seeds.to}` : ''}` +
      `${report.shard ? ` · shard ${report.shard.index}/${report.shard.count}` : ''} · twincore ${report.version} · exit ${report.exitCode}`;
    return page(`twincore stress: ${report.scenario || 'batch'}`, report.status, sub, batchSection(report));
  }
  const sub = `${report.target} · seed ${report.seed} · ${(report.durationMs / 1000).toFixed(1)} s · twincore ${report.version} · exit ${report.exitCode}` +
    `${report.interrupted ? ' · interrupted (partial)' : ''}`;
  return page(`twincore stress: ${report.scenario}`, report.status, sub, runSection(report, false));
}
