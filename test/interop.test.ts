// Interop: real WebSocket clients over loopback against the reference firmware on the twin.
// (a) the `ws` client, (b) Python's websockets (test/fixtures/py_interop.py, run with Debian's
// /usr/bin/python3). Same cases for both: text and binary round trips at the length-encoding
// edges and 1 MiB (exact bytes; text is valid UTF-8 with multi-byte characters), fragmented
// messages sent by the client, ping/pong with the same payload, and close handshakes started by
// either side. The firmware's maxMessage is raised to 1 MiB + 64 KiB for this file.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { Device } from '../src/device.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20];
const MAX_MESSAGE = (1 << 20) + 64 * 1024;
const STEP_MS = 20_000;

let device: Device;

beforeAll(async () => {
  device = await Device.start({ firmware: 'reference', config: { maxMessage: MAX_MESSAGE } });
});

afterAll(async () => {
  await device?.stop();
  if (device) {
    const c = device.counters();
    expect(c.threadsAlive).toBe(0);
    expect(c.clientsAlive).toBe(0);
    expect(c.connectionsOpen).toBe(0);
  }
});

// --- payloads ---------------------------------------------------------------------------------

function lcg(seed: number): () => number {
  let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x >>> 8;
  };
}

const ONE = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== '{'), '\n', '\t', '\0', '\x7f'];
const POOLS = [ONE, ['é', 'ß', 'Ω', 'ж', '\u0080', '\u07ff'], ['€', '中', 'ॐ', '\u0800', '\uffff', '\ue000'], ['😀', '𝄞', '\u{10000}', '\u{10ffff}']];

/** A string whose UTF-8 encoding is exactly n bytes, with 1- to 4-byte characters, never starting
 *  with '{' (the firmware would take it for a command). */
function makeText(n: number, seed: number): string {
  const r = lcg(seed);
  const out: string[] = [];
  let left = n;
  if (left) {
    out.push('J');
    left--;
  }
  while (left) {
    const k = Math.min(1 + (r() % 4), left);
    const pool = POOLS[k - 1]!;
    out.push(pool[r() % pool.length]!);
    left -= k;
  }
  const s = out.join('');
  if (Buffer.byteLength(s) !== n) throw new Error('makeText: wrong length');
  return s;
}

function makeBytes(n: number, seed: number): Buffer {
  const r = lcg(seed);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

// --- a ws client with a message queue ---------------------------------------------------------

interface Msg {
  data: Buffer;
  isBinary: boolean;
}

interface Client {
  ws: WebSocket;
  next(timeoutMs?: number): Promise<Msg>;
  closed: Promise<{ code: number; reason: string }>;
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

async function connect(): Promise<Client> {
  const ws = new WebSocket(device.url, { maxPayload: 8 << 20, handshakeTimeout: 5000 });
  const queue: Msg[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data, isBinary) => {
    queue.push({ data: toBuffer(data), isBinary });
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      wake?.();
    });
  });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    closed,
    async next(timeoutMs = STEP_MS) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (ws.readyState === WebSocket.CLOSED) throw new Error('closed while waiting for a message');
        if (Date.now() > deadline) throw new Error(`no message within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.max(1, deadline - Date.now()));
        });
      }
      return queue.shift()!;
    },
  };
}

function sendFrame(ws: WebSocket, data: Buffer | string, options: { binary: boolean; fin: boolean }): Promise<void> {
  return new Promise((resolve, reject) => ws.send(data, { ...options, compress: false }, (err) => (err ? reject(err) : resolve())));
}

function expectSame(got: Msg, sent: Buffer, isBinary: boolean, what: string): void {
  expect(got.isBinary, `${what}: frame type`).toBe(isBinary);
  expect(got.data.length, `${what}: length`).toBe(sent.length);
  expect(got.data.equals(sent), `${what}: bytes`).toBe(true);
}

// --- (a) the ws client ------------------------------------------------------------------------

describe('interop: ws client', () => {
  it('round-trips text and binary at every length-encoding edge and 1 MiB', async () => {
    const c = await connect();
    try {
      for (const n of SIZES) {
        const text = makeText(n, n + 1);
        c.ws.send(text);
        expectSame(await c.next(), Buffer.from(text, 'utf8'), false, `text ${n}`);
        const bin = makeBytes(n, n + 7);
        c.ws.send(bin);
        expectSame(await c.next(), bin, true, `binary ${n}`);
      }
    } finally {
      c.ws.terminate();
    }
  }, 60_000);

  it('reassembles fragmented messages (splits inside UTF-8 characters, empty fragments)', async () => {
    const c = await connect();
    try {
      // Text: fragment boundaries fall inside multi-byte characters; the middle one is empty.
      const text = Buffer.from(makeText(70_000, 21), 'utf8');
      const cuts = [0, 1, 126, 126, 65_662, text.length];
      for (let i = 0; i + 1 < cuts.length; i++) {
        await sendFrame(c.ws, text.subarray(cuts[i]!, cuts[i + 1]!), { binary: false, fin: i + 2 === cuts.length });
      }
      expectSame(await c.next(), text, false, 'fragmented text');
      // Binary, 1 MiB in three fragments.
      const bin = makeBytes(1 << 20, 22);
      await sendFrame(c.ws, bin.subarray(0, 65_536), { binary: true, fin: false });
      await sendFrame(c.ws, bin.subarray(65_536, 65_537), { binary: true, fin: false });
      await sendFrame(c.ws, bin.subarray(65_537), { binary: true, fin: true });
      expectSame(await c.next(), bin, true, 'fragmented binary');
      // A ping between fragments is answered at once; the message still arrives whole.
      const pong = new Promise<Buffer>((r) => c.ws.once('pong', r));
      await sendFrame(c.ws, Buffer.from('frag'), { binary: false, fin: false });
      c.ws.ping(Buffer.from('mid'));
      expect((await pong).toString()).toBe('mid');
      await sendFrame(c.ws, Buffer.from('-ment'), { binary: false, fin: true });
      expectSame(await c.next(), Buffer.from('frag-ment'), false, 'fragmented around a ping');
    } finally {
      c.ws.terminate();
    }
  }, 60_000);

  it('answers a ping with a pong carrying the same payload', async () => {
    const c = await connect();
    try {
      // Several pings on one connection: each must be answered (a client's keepalive pings forever).
      for (const payload of [Buffer.alloc(0), Buffer.from([0, 0xff]), makeBytes(125, 31), Buffer.from('ping ✓')]) {
        const pong = new Promise<Buffer | undefined>((r) => {
          const timer = setTimeout(() => r(undefined), 5000);
          c.ws.once('pong', (data) => {
            clearTimeout(timer);
            r(data);
          });
        });
        c.ws.ping(payload);
        const got = await pong;
        expect(got, `no pong within 5 s for a ${payload.length}-byte ping`).toBeDefined();
        expect(got!.equals(payload)).toBe(true);
      }
    } finally {
      c.ws.terminate();
    }
  });

  it('client close 4001: the server echoes the code', async () => {
    const c = await connect();
    c.ws.close(4001, 'client bye');
    const { code } = await c.closed;
    expect(code).toBe(4001);
  });

  it.each(['callback', 'loop'])('server close 4000 from the %s', async (from) => {
    const c = await connect();
    c.ws.send(JSON.stringify({ cmd: 'close', code: 4000, from }));
    const { code } = await c.closed;
    expect(code).toBe(4000);
  });
});

// --- (b) Python websockets --------------------------------------------------------------------

interface PyResult {
  ok: boolean;
  client: string;
  error: string | null;
  cases: { name: string; ok: boolean; detail: string }[];
}

function runPython(url: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Debian's interpreter (python3-websockets), not a pyenv python3 earlier on PATH; its env
    // must not point it at another installation's modules.
    const env = { ...process.env };
    for (const k of ['PYTHONPATH', 'PYTHONHOME', 'PYENV_VERSION', 'VIRTUAL_ENV']) delete env[k];
    const child = spawn('/usr/bin/python3', [path.join(here, 'fixtures', 'py_interop.py'), url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('interop: Python websockets', () => {
  it('runs the same cases', async () => {
    const r = await runPython(device.url, 100_000);
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    expect(line, `no result line; stderr:\n${r.stderr}`).toBeDefined();
    const result = JSON.parse(line!) as PyResult;
    const failed = result.cases.filter((c) => !c.ok);
    expect(result.error, r.stderr).toBeNull();
    expect(failed).toEqual([]);
    const names = result.cases.map((c) => c.name);
    for (const n of SIZES) {
      expect(names).toContain(`text ${n}`);
      expect(names).toContain(`binary ${n}`);
    }
    expect(names).toEqual(expect.arrayContaining([
      'text fragmented (list)', 'binary fragmented (list)', 'text fragmented (async iterator)',
      'binary fragmented (async iterator, 1 MiB)', 'ping 0 bytes', 'ping 125 bytes', 'client close 4001 echoed',
      'server close 4000 from callback', 'server close 4000 from loop',
    ]));
    expect(result.ok).toBe(true);
    expect(r.code).toBe(0);
  }, 110_000);
});
