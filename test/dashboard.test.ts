// The reference firmware's dashboard in a real browser: serve() boots the firmware on the twin,
// headless Chromium (playwright-core, Debian's /usr/bin/chromium) opens the page, clicks start and
// watches the telemetry arrive; a screenshot lands in build-native/dashboard.png. The browser is
// closed and the device stopped in finally; serve() must resolve 0 within 2 s of the abort.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { serve } from '../src/serve.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector, { timeout: 2000 })) ?? '').trim();
}

async function number(page: Page, selector: string): Promise<number> {
  return Number(await text(page, selector));
}

describe('dashboard', () => {
  it('shows the connection and a live telemetry counter', async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    let onReady!: (url: string) => void;
    const ready = new Promise<string>((r) => { onReady = r; });
    const served = serve({ port: 0, signal: ac.signal, onReady, print: (l) => lines.push(l) });
    // serve() resolving before onReady means it failed to start: surface that.
    const url = await Promise.race([ready, served.then((code) => { throw new Error(`serve() exited ${code}: ${lines.join('\n')}`); })]);
    expect(lines[0]).toMatch(/^twincore: reference firmware on the simulated esp32 — open http:\/\/127\.0\.0\.1:\d+\/$/);

    let browser: Browser | undefined;
    let observer: WebSocket | undefined;
    try {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
      const page = await browser.newPage({ viewport: { width: 900, height: 420 } });
      page.setDefaultTimeout(10_000);
      await page.goto(url, { timeout: 15_000 });
      expect(await page.title()).toBe('twincore reference firmware');
      await expect.poll(() => text(page, '#status'), { timeout: 10_000 }).toBe('connected');

      // Start from the page; a second client (ws) sees the same broadcast.
      observer = new WebSocket(url.replace(/^http/, 'ws') + 'ws');
      const seen: number[] = [];
      observer.on('message', (data, isBinary) => {
        if (isBinary) return;
        const m = JSON.parse(data.toString()) as { t: string; seq?: number };
        if (m.t === 'tm' && m.seq !== undefined) seen.push(m.seq);
      });
      await new Promise<void>((resolve, reject) => { observer!.once('open', resolve); observer!.once('error', reject); });
      await page.fill('#rateIn', '50');
      await page.fill('#sizeIn', '120');
      await page.click('#start');

      await expect.poll(() => number(page, '#seq'), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
      const first = await number(page, '#seq');
      await expect.poll(() => number(page, '#seq'), { timeout: 10_000 }).toBeGreaterThan(first + 10);
      await expect.poll(() => number(page, '#rate'), { timeout: 5_000 }).toBeGreaterThan(10);
      expect(await number(page, '#count')).toBeGreaterThan(first);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => seen[0]! + i)); // in order, no gap

      mkdirSync(path.join(root, 'build-native'), { recursive: true });
      await page.screenshot({ path: path.join(root, 'build-native', 'dashboard.png') });

      // Stop: the counter stops moving.
      await page.click('#stop');
      await expect.poll(async () => (await text(page, '#last')).includes('"t":"stopped"'), { timeout: 5_000 }).toBe(true);
      const stoppedAt = await number(page, '#seq');
      await new Promise((r) => setTimeout(r, 300));
      expect(await number(page, '#seq')).toBe(stoppedAt);
    } finally {
      observer?.terminate();
      await browser?.close().catch(() => {});
      const t0 = Date.now();
      ac.abort();
      expect(await served).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(lines.some((l) => /stopped in \d+ ms/.test(l))).toBe(true);
    }
  }, 90_000);

  it('serve() reports a port that is taken and resolves 1', async () => {
    const ac = new AbortController();
    let onReady!: (url: string) => void;
    const ready = new Promise<string>((r) => { onReady = r; });
    const first = serve({ port: 0, signal: ac.signal, onReady, print: () => {} });
    try {
      const port = Number(new URL(await ready).port);
      const lines: string[] = [];
      expect(await serve({ port, print: (l) => lines.push(l) })).toBe(1);
      expect(lines.join('\n')).toMatch(new RegExp(`cannot start the reference firmware on port ${port}`));
    } finally {
      ac.abort();
      expect(await first).toBe(0);
    }
  }, 30_000);
});
