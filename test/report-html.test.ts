// The HTML report (`twincore stress --html FILE`) and the reference firmware dashboard's live chart,
// in headless Chromium (playwright-core, Debian's /usr/bin/chromium). The report must render from
// the file alone (no request but the page itself, no script error), with its plots drawn; the
// dashboard's chart must plot live telemetry. Screenshots land in the system temp folder.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

import { main, type CliIo } from '../src/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
}, 40_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
});

describe('the HTML report', () => {
  it('is one self-contained page with plots over time, fault markers and the verdict table', async () => {
    const file = path.join(tmpdir(), `twincore-report-${process.pid}.html`);
    const io: CliIo & { out: string; err: string } = { out: '', err: '', isTty: false, stdout: (t) => { io.out += t; }, stderr: (t) => { io.err += t; } };
    expect(await main(['stress', '--scenario', 'smoke', '--duration', '1.5', '--quiet', '--html', file], io)).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)|<link /); // nothing to fetch, nothing to run
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`file://${file}`);
    expect(await page.title()).toBe('twincore stress: smoke');
    expect(requests).toEqual([`file://${file}`]);
    expect(errors).toEqual([]);
    const captions = await page.$$eval('figure.chart figcaption', (els) => els.map((e) => e.textContent ?? ''));
    for (const want of ['Connected clients', 'Telemetry messages received per second', 'Connections opened per second', 'Broadcast latency',
      'Echo round trips', 'Queue depths', 'Heap held']) {
      expect(captions.some((c) => c.startsWith(want)), want).toBe(true);
    }
    // Every chart drew its series (no "no data"), and the faults are marked.
    expect(await page.$$eval('figure.chart .empty', (els) => els.length)).toBe(0);
    expect(await page.$$eval('figure.chart svg path[stroke-width]', (els) => els.length)).toBeGreaterThan(12);
    expect(await page.$$eval('g.fault', (els) => els.length)).toBeGreaterThanOrEqual(3 * 7);
    expect(await page.textContent('.headline')).toMatch(/Every invariant held/);
    expect(await page.$$eval('.chip', (els) => els.map((e) => e.textContent))).toContain('broadcast-complete');
    const box = await page.$eval('figure.chart svg', (e) => e.getBoundingClientRect().width);
    expect(box).toBeGreaterThan(800);
    await page.screenshot({ path: path.join(tmpdir(), 'twincore-report.png'), fullPage: true });
    await page.close();
  }, 60_000);
});

describe('the reference firmware dashboard', () => {
  // firmware/dashboard_html.h, served as the firmware serves it, by a stand-in for the firmware's
  // HTTP and WebSocket endpoints (the page under test is the header's, byte for byte).
  const header = readFileSync(path.join(root, 'firmware', 'dashboard_html.h'), 'utf8');
  const page = /R"HTML\(([\s\S]*)\)HTML"/.exec(header)![1]!;

  it('stays small enough for flash (< 6 KB, as the firmware test checks)', () => {
    expect(Buffer.byteLength(page)).toBeLessThan(6 * 1024);
  });

  it('plots the telemetry live in a chart', async () => {
    let seq = 0;
    const t0 = Date.now();
    const server = http.createServer((req, res) => {
      if (req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ wsPath: '/ws', connected: 1 }));
      } else {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page);
      }
    });
    const wss = new WebSocketServer({ server, path: '/ws' });
    let timer: NodeJS.Timeout | undefined;
    wss.on('connection', (ws) => {
      ws.on('message', (m) => {
        const cmd = JSON.parse(m.toString()) as { cmd: string };
        if (cmd.cmd === 'stats') ws.send(JSON.stringify({ t: 'stats', connected: 1 }));
      });
      // 50 Hz telemetry; every 7th message 5 ms late, so the latency spread moves.
      timer = setInterval(() => {
        seq++;
        const late = seq % 7 === 0 ? 5 : 0;
        setTimeout(() => ws.send(JSON.stringify({ t: 'tm', seq, ts: Date.now() - t0 - late, pad: '' })), 0);
      }, 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const p = await browser.newPage({ viewport: { width: 900, height: 560 } });
    try {
      await p.goto(url);
      await expect.poll(() => p.textContent('#status'), { timeout: 10_000 }).toBe('connected');
      await expect.poll(() => p.evaluate('hist.filter((h) => h.n > 20).length') as Promise<number>, { timeout: 10_000 }).toBeGreaterThan(12);
      // The canvas has the msgs/s line drawn (dark blue pixels) across its width.
      // The canvas has both lines drawn: msgs/s (dark blue) and the latency spread (orange).
      const drawn = await p.$eval('#chart', (c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 22, canvas.width, canvas.height - 22).data;
        const blue = new Set<number>();
        const orange = new Set<number>();
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3]! < 128) continue;
          const x = (i / 4) % canvas.width;
          if (d[i]! < 80 && d[i + 2]! > 60) blue.add(x);
          if (d[i]! > 200 && d[i + 1]! > 80 && d[i + 1]! < 150 && d[i + 2]! < 110) orange.add(x);
        }
        return { width: canvas.width, blue: blue.size, orange: orange.size };
      });
      expect(drawn.width).toBeGreaterThan(500);
      // 60 s of history across the width: 12+ points of 250 ms are 40+ px of line at the right.
      expect(drawn.blue).toBeGreaterThan(25);
      expect(drawn.orange).toBeGreaterThan(25);
      expect(await p.evaluate('hist.filter((h) => h.l !== null && h.l >= 3).length') as number).toBeGreaterThan(2);
      expect(Number(await p.textContent('#rate'))).toBeGreaterThan(20);
      await p.screenshot({ path: path.join(tmpdir(), 'twincore-dashboard-chart.png') });
    } finally {
      clearInterval(timer);
      await p.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 40_000);
});
