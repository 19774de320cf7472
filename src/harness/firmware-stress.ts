// `twincore stress DIR`: any firmware, built for the twin with a sanitizer, hammered by clients that
// need no knowledge of its protocol, judged by an oracle that needs no help from it:
//   no-crash        the device process did not die during the run
//   sanitizer       no ASan/UBSan/LSan/TSan report (LeakSanitizer runs when the device exits)
//   liveness        during and after the run, an HTTP GET and a WebSocket handshake are answered
//                   within 2 s, and loop() keeps running
//   valid-frames    every frame the device sent is valid RFC 6455 (unmasked, known opcodes, valid
//                   UTF-8 in text, legal close codes): `ws` checks each one and reports WS_ERR_*
//   baseline        when every client has left, connections, AsyncClients alive and heap held
//                   return to what they were before the run (a leak check while the device runs)
//   clean-stop      the device stops on request: exit 0, no socket or thread left
// Client behaviours (weights in the options; each session is bounded in time): reader, sender
// (text and binary from `messages` or generated), churn (close, terminate, reset, abort mid-
// handshake), slow reader, silent, ping flood, malformed frames and bad handshakes from a corpus,
// HTTP GETs, and a user behaviour (a function given the socket and a seeded RNG, as a k6 script).
// Every loop is bounded by the deadline; every wait by a timeout; only 127.0.0.1 is contacted.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';

import WebSocket from 'ws';

import { LOOPBACK_HOST, PROFILES, type Profile } from '../defaults.js';
import { TwincoreRangeError, UsageError } from '../errors.js';
import { buildFirmware, type Board, type Variant } from '../firmware/build.js';
import { ProcessDevice } from '../process-device.js';
import { sleep, within } from '../time.js';
import type { DeviceCounters, StopReport } from '../types.js';
import { createRng, pickWeighted, randInt, type Rng } from './rng.js';
import { runTcpChurn } from './tcp-churn.js';
import { applyWifi, stallTimes, wifiSettings, type JitterInput, type LinkInput, type StallSpec, type WifiSettings } from './wifi-faults.js';

export type GenericBehaviour = 'reader' | 'sender' | 'churn' | 'slow-reader' | 'silent' | 'ping-flood' | 'malformed' | 'bad-handshake' | 'http' | 'user';
export const GENERIC_BEHAVIOURS: readonly GenericBehaviour[] = ['reader', 'sender', 'churn', 'slow-reader', 'silent', 'ping-flood', 'malformed', 'bad-handshake', 'http', 'user'];

export const FIRMWARE_STRESS_DEFAULTS = Object.freeze({
  variant: 'asan' as Variant,
  wsPaths: ['/ws'],
  httpPaths: ['/'],
  durationMs: 8000,
  /** Concurrent client slots; two more sockets are kept for the liveness probe (esp32: 16 sockets). */
  clients: 8,
  seed: 1,
  /** A probe answered later than this breaks liveness. */
  livenessMs: 2000,
  probeEveryMs: 1000,
  /** One session of a behaviour lasts at most this long. */
  sessionMaxMs: 1500,
  weights: Object.freeze({
    reader: 3, sender: 3, churn: 3, 'slow-reader': 1, silent: 1, 'ping-flood': 1, malformed: 1, 'bad-handshake': 1, http: 2, user: 0,
  } as Record<GenericBehaviour, number>),
  /** Heap that may stay held after the run (bytes) without calling it a leak: allocator slack of
   *  caches that grow in steps (a String's capacity); counts must come back exactly. */
  heapSlackBytes: 1024,
  /** How long the device gets to return to its baseline after the last client left. */
  settleMs: 3000,
});

/** A user behaviour: runs one session on an open socket; resolve to end it. */
export type UserBehaviour = (ctx: { ws: WebSocket; rng: Rng; url: string; deadline: number }) => Promise<void>;

export interface FirmwareStressOptions {
  /** The firmware project to build (or `executable`). */
  project?: string;
  /** A device executable already built by buildFirmware() for `variant`. */
  executable?: string;
  variant?: Variant;
  env?: string;
  board?: Board;
  lib?: string[];
  profile?: string | Partial<Profile>;
  wsPaths?: string[];
  httpPaths?: string[];
  durationMs?: number;
  clients?: number;
  seed?: number;
  /** Messages senders pick from (default: generated text and binary of 1..512 bytes). */
  messages?: string[];
  weights?: Partial<Record<GenericBehaviour, number>>;
  user?: UserBehaviour;
  /** ws: a WebSocket firmware; tcp: a plain TCP firmware (raw churn: lines, closes, resets);
   *  auto (default): ws when the first path answers a WebSocket handshake, tcp when the connection
   *  gets no HTTP answer at all. */
  protocol?: 'auto' | 'ws' | 'tcp';
  /** The link model (--link): a named link, `<kbps>:<rttMs>:<jitterMs>` or the knobs. */
  link?: LinkInput;
  /** Scheduling jitter (--jitter [seed]): true seeds it from `seed`. */
  jitter?: JitterInput;
  /** Task stalls during the run (--stall). */
  stalls?: StallSpec[];
}

export interface InvariantResult {
  name: 'no-crash' | 'sanitizer' | 'liveness' | 'valid-frames' | 'baseline' | 'clean-stop' | 'exercised';
  ok: boolean;
  detail: string;
}

export interface FirmwareStressResult {
  ok: boolean;
  firmware: string;
  variant: Variant;
  protocol: 'ws' | 'tcp';
  seed: number;
  durationMs: number;
  clients: number;
  wsPaths: string[];
  httpPaths: string[];
  invariants: InvariantResult[];
  stats: {
    sessions: Record<GenericBehaviour, number>;
    wsOpened: number;
    wsRefused: number;
    messagesSent: number;
    messagesReceived: number;
    bytesReceived: number;
    httpAnswered: number;
    probes: number;
    probeMaxMs: number;
    frameErrors: string[];
  };
  baseline: Partial<DeviceCounters> | null;
  afterRun: Partial<DeviceCounters> | null;
  stop: StopReport | null;
  sanitizerReports: string[];
  /** The first behaviours each slot played, for the report (the seed reproduces all of them). */
  schedule: GenericBehaviour[][];
  deviceLog: string[];
  replay: string;
  buildMs: number;
  /** The link model (null: loopback) and the scheduling jitter seed (null: off) the device ran with. */
  link: WifiSettings['link'];
  jitterSeed: number | null;
  /** Stalls fired during the run, and those the device refused (it was gone). */
  stalls: { run: number; refused: number };
}

export interface FirmwareStressEvents {
  progress: [{ elapsedMs: number; phase: 'build' | 'baseline' | 'run' | 'settle' | 'stop'; sessions: number; probes: number }];
}

const MALFORMED: Array<[string, Buffer]> = [
  // [what, bytes sent after a valid handshake]
  ['unmasked client frame', Buffer.from([0x81, 0x02, 0x68, 0x69])],
  ['reserved opcode 0x3', Buffer.from([0x83, 0x80, 1, 2, 3, 4])],
  ['RSV1 without an extension', Buffer.from([0xc1, 0x80, 1, 2, 3, 4])],
  ['control frame of 126 bytes', Buffer.concat([Buffer.from([0x89, 0xfe, 0x00, 0x7e, 0, 0, 0, 0]), Buffer.alloc(126)])],
  ['fragmented ping', Buffer.from([0x09, 0x80, 1, 2, 3, 4])],
  ['invalid UTF-8 text', Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28])],
  ['64-bit length 2^62', Buffer.from([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])],
  ['continuation with nothing to continue', Buffer.from([0x80, 0x80, 1, 2, 3, 4])],
  ['close with code 1005', Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xed])],
];
const BAD_HANDSHAKES: Array<[string, (path: string) => string]> = [
  ['no Sec-WebSocket-Key', (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`],
  ['version 8', (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n`],
  ['garbage request line', () => 'HELLO\x01\x02 WORLD\r\n\r\n'],
  ['header flood', (p) => `GET ${p} HTTP/1.1\r\n${'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(200)}\r\n`],
  ['truncated', (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nUpgr`],
];

function httpGet(port: number, path: string, timeoutMs: number): Promise<number | 'timeout' | 'error'> {
  return new Promise((resolve) => {
    const req = http.get({ host: LOOPBACK_HOST, port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', () => resolve('error'));
  });
}

/** Opens a WebSocket; resolves with it once open, or with the HTTP status / 'timeout' / 'error'. */
function wsOpen(url: string, timeoutMs: number, onFrameError: (e: Error) => void): Promise<WebSocket | number | 'timeout' | 'error'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
    let settled = false;
    const done = (v: WebSocket | number | 'timeout' | 'error') => {
      if (settled) return;
      settled = true;
      resolve(v);
    };
    ws.on('open', () => done(ws));
    ws.on('unexpected-response', (_req, res) => {
      done(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (e: Error & { code?: string }) => {
      if (settled && typeof e.code === 'string' && e.code.startsWith('WS_ERR_')) onFrameError(e);
      done(/timed out/i.test(e.message) ? 'timeout' : 'error');
    });
  });
}

export class FirmwareStressRun extends EventEmitter<FirmwareStressEvents> {
  readonly result: Promise<FirmwareStressResult>;
  #abort = false;

  constructor(readonly options: FirmwareStressOptions) {
    super();
    this.result = this.#run();
  }

  /** Ends the client phase now (Ctrl-C); the checks still run. */
  abort(): void {
    this.#abort = true;
  }

  async #run(): Promise<FirmwareStressResult> {
    const o = this.options;
    const d = FIRMWARE_STRESS_DEFAULTS;
    const variant = o.variant ?? d.variant;
    const wsPaths = o.wsPaths?.length ? o.wsPaths : [...d.wsPaths];
    const httpPaths = o.httpPaths ?? [...d.httpPaths];
    const durationMs = o.durationMs ?? d.durationMs;
    const clients = o.clients ?? d.clients;
    const seed = o.seed ?? d.seed;
    const weights = { ...d.weights, ...(o.user ? { user: 2 } : {}), ...o.weights };
    for (const p of [...wsPaths, ...httpPaths]) if (!p.startsWith('/')) throw new UsageError(`a path must start with '/', got '${p}'`);
    if (!o.user && weights.user > 0) throw new UsageError('weights.user > 0 needs a user behaviour');
    const profile: Profile = applyWifi(typeof o.profile === 'string'
      ? (PROFILES[o.profile] ?? (() => { throw new TwincoreRangeError(`unknown profile '${o.profile as string}'`); })())
      : { ...PROFILES.esp32!, ...o.profile }, seed, o.link, o.jitter);
    if (clients + 2 > profile.maxConnections) {
      throw new UsageError(`--clients ${clients} plus the 2 probe sockets exceed the profile's ${profile.maxConnections} connections ` +
        '(beyond them the twin leaves connections unanswered, as lwIP does, and liveness could not be judged); lower --clients');
    }
    const started = Date.now();
    const progress = (phase: FirmwareStressEvents['progress'][0]['phase'], sessions = 0, probes = 0) =>
      this.emit('progress', { elapsedMs: Date.now() - started, phase, sessions, probes });

    progress('build');
    let executable = o.executable;
    let name = executable ? executable.replace(/^.*\//, '').replace(/-device$/, '') : '';
    let buildMs = 0;
    if (!executable) {
      if (!o.project) throw new UsageError('a firmware project (or executable) is required');
      const b = await buildFirmware({ project: o.project, variant, env: o.env, board: o.board, lib: o.lib });
      executable = b.executable;
      name = b.project.name;
      buildMs = b.ms;
    }

    const device = await ProcessDevice.start({ firmwareExecutable: executable, sanitizer: variant, profile, maxSeconds: Math.ceil(durationMs / 1000) + 120 });
    const port = device.port;
    const wsUrl = (p: string) => `ws://${LOOPBACK_HOST}:${port}${p}`;
    const stats: FirmwareStressResult['stats'] = {
      sessions: Object.fromEntries(GENERIC_BEHAVIOURS.map((b) => [b, 0])) as Record<GenericBehaviour, number>,
      wsOpened: 0, wsRefused: 0, messagesSent: 0, messagesReceived: 0, bytesReceived: 0, httpAnswered: 0, probes: 0, probeMaxMs: 0, frameErrors: [],
    };
    const frameError = (e: Error & { code?: string }) => {
      if (stats.frameErrors.length < 20) stats.frameErrors.push(`${e.code ?? 'error'}: ${e.message}`);
    };
    const invariants: InvariantResult[] = [];
    const liveness: string[] = [];
    let crashedDuringRun = false;

    // ---- baseline: one warm-up round, then what the device holds with no client ----
    progress('baseline');
    let probeOverride: (() => Promise<void>) | undefined;
    const probe = async (): Promise<void> => {
      if (probeOverride) return probeOverride();
      const t0 = Date.now();
      const before = await device.readCounters().catch(() => null);
      const [ws, get] = await Promise.all([
        wsOpen(wsUrl(wsPaths[0]!), d.livenessMs, frameError),
        httpPaths.length ? httpGet(port, httpPaths[0]!, d.livenessMs) : Promise.resolve(200),
      ]);
      const ms = Date.now() - t0;
      stats.probes++;
      stats.probeMaxMs = Math.max(stats.probeMaxMs, ms);
      if (ws instanceof WebSocket) ws.terminate();
      else if (ws === 'timeout' || ws === 'error') liveness.push(`WebSocket handshake on ${wsPaths[0]} not answered within ${d.livenessMs} ms (${ws})`);
      if (get === 'timeout' || get === 'error') liveness.push(`GET ${httpPaths[0]} not answered within ${d.livenessMs} ms (${get})`);
      const after = await device.readCounters().catch(() => null);
      if (before && after && after.loopIterations === before.loopIterations && Date.now() - t0 > 50) {
        liveness.push(`loop() did not run for ${Date.now() - t0} ms`);
      }
    };
    let protocol: 'ws' | 'tcp' = o.protocol === 'tcp' ? 'tcp' : 'ws';
    if (protocol === 'ws') {
      const first = await wsOpen(wsUrl(wsPaths[0]!), d.livenessMs, frameError);
      if (first instanceof WebSocket) {
        first.send('twincore warm-up');
        await sleep(100);
        first.close(1000);
        if (httpPaths.length) await httpGet(port, httpPaths[0]!, d.livenessMs);
      } else if (typeof first === 'number' || o.protocol === 'ws') {
        const stop = await device.stop();
        throw new UsageError(`the firmware answers no WebSocket handshake at ${wsPaths[0]} (${typeof first === 'number' ? `HTTP ${first}` : first}); ` +
          `name its endpoint with --ws PATH${stop.sanitizerReports.length ? `\n${stop.sanitizerReports[0]}` : ''}`);
      } else {
        protocol = 'tcp'; // no HTTP answer at all: a plain TCP firmware (or one that just died: judged below)
      }
    }
    if (protocol === 'tcp') {
      // Liveness of a TCP firmware: a connection is accepted (it may wait for a socket slot).
      probeOverride = async () => {
        const t0 = Date.now();
        const before = await device.readCounters().catch(() => null);
        const ok = await new Promise<boolean>((res) => {
          const sock = net.connect({ host: LOOPBACK_HOST, port });
          const timer = setTimeout(() => { sock.destroy(); res(false); }, d.livenessMs);
          sock.on('error', () => { clearTimeout(timer); res(false); });
          sock.on('connect', () => { clearTimeout(timer); sock.end(); setTimeout(() => sock.destroy(), 50); res(true); });
        });
        stats.probes++;
        stats.probeMaxMs = Math.max(stats.probeMaxMs, Date.now() - t0);
        if (!ok && device.running) liveness.push(`a TCP connection was not accepted within ${d.livenessMs} ms`);
        const after = await device.readCounters().catch(() => null);
        if (before && after && after.loopIterations === before.loopIterations && Date.now() - t0 > 50) liveness.push(`loop() did not run for ${Date.now() - t0} ms`);
      };
    }
    const settled = async (target: Partial<DeviceCounters> | null, ms: number) => {
      const deadline = Date.now() + ms;
      let last: DeviceCounters | null = null;
      while (Date.now() < deadline && device.running) {
        last = await device.readCounters().catch(() => null);
        if (last && (!target ? last.connectionsOpen === 0
          : last.connectionsOpen <= (target.connectionsOpen ?? 0) && last.clientsAlive <= (target.clientsAlive ?? 0) &&
            last.heapUsed <= (target.heapUsed ?? 0) + d.heapSlackBytes)) break;
        await sleep(100);
      }
      return last;
    };
    await settled(null, d.settleMs);
    await sleep(600); // one poll period: deferred deletes (cleanupClients in loop()) happen
    const baseline = await device.readCounters().catch(() => null);

    // ---- run ----
    const deadline = Date.now() + durationMs;
    const stallsDone = { run: 0, refused: 0 };
    const stallTimers = (o.stalls ?? []).flatMap((st) => stallTimes(st, durationMs).map((at) => setTimeout(() => {
      if (!device.running || this.#abort) return;
      device.stall(st.task, st.ms).then(() => { stallsDone.run++; }, () => { stallsDone.refused++; });
    }, at)));
    const live = () => device.running && !this.#abort && Date.now() < deadline;
    const schedule: GenericBehaviour[][] = Array.from({ length: clients }, () => []);
    const messages = o.messages?.length ? o.messages : null;
    const randomMessage = (r: Rng): string | Buffer => {
      if (messages) return messages[randInt(r, 0, messages.length - 1)]!;
      const n = randInt(r, 1, 512);
      return r() < 0.5 ? 'x'.repeat(n) : Buffer.alloc(n, randInt(r, 0, 255));
    };
    const session = async (slot: number, r: Rng): Promise<void> => {
      const b = pickWeighted(r, weights);
      if (schedule[slot]!.length < 50) schedule[slot]!.push(b);
      stats.sessions[b]++;
      const path = wsPaths[randInt(r, 0, wsPaths.length - 1)]!;
      const until = Math.min(deadline, Date.now() + randInt(r, 100, d.sessionMaxMs));
      if (b === 'http') {
        if (!httpPaths.length) return;
        const got = await Promise.all(Array.from({ length: randInt(r, 1, 3) }, () => httpGet(port, httpPaths[randInt(r, 0, httpPaths.length - 1)]!, d.livenessMs * 2)));
        stats.httpAnswered += got.filter((g) => typeof g === 'number').length;
        return;
      }
      if (b === 'malformed' || b === 'bad-handshake') {
        await rawSession(port, path, b, r, until);
        return;
      }
      if (b === 'churn' && r() < 0.25) {
        // abort mid-handshake: half a request, then a reset
        await rawSession(port, path, 'abort-handshake', r, until);
        return;
      }
      const ws = await wsOpen(wsUrl(path), d.livenessMs * 2, frameError);
      if (!(ws instanceof WebSocket)) {
        stats.wsRefused++;
        await sleep(50);
        return;
      }
      stats.wsOpened++;
      ws.on('message', (data: Buffer) => {
        stats.messagesReceived++;
        stats.bytesReceived += data.length;
      });
      ws.on('error', frameError);
      const closed = new Promise<void>((res) => ws.once('close', () => res()));
      const sendSome = () => {
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(randomMessage(r));
          stats.messagesSent++;
        }
      };
      const wait = (ms: number) => within(Math.max(0, Math.min(ms, until - Date.now())), closed);
      switch (b) {
        case 'reader':
          await wait(until - Date.now());
          break;
        case 'sender':
          while (Date.now() < until && ws.readyState === WebSocket.OPEN) {
            sendSome();
            if ((await wait(randInt(r, 5, 60))) !== 'timeout') break;
          }
          break;
        case 'churn':
          sendSome();
          await wait(randInt(r, 0, 200));
          break;
        case 'slow-reader': {
          const sock = (ws as unknown as { _socket?: net.Socket })._socket;
          sock?.pause();
          sendSome();
          await wait(until - Date.now());
          sock?.resume();
          break;
        }
        case 'silent':
          await wait(until - Date.now());
          break;
        case 'ping-flood':
          for (let i = 0; i < 200 && ws.readyState === WebSocket.OPEN && Date.now() < until; i++) {
            ws.ping(Buffer.alloc(randInt(r, 0, 125)));
            if (i % 20 === 19) await wait(5);
          }
          await wait(100);
          break;
        case 'user':
          await Promise.race([o.user!({ ws, rng: r, url: wsUrl(path), deadline: until }), closed, sleep(Math.max(0, until - Date.now()) + 500)]);
          break;
      }
      // End the session one of the four ways a client leaves.
      const end = b === 'churn' ? randInt(r, 0, 2) : 0;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        if (end === 0) ws.close(1000);
        else if (end === 1) ws.terminate();
        else (ws as unknown as { _socket?: net.Socket })._socket?.resetAndDestroy();
      }
      if ((await within(2000, closed)) === 'timeout') ws.terminate();
    };
    const slot = async (i: number) => {
      const r = createRng((seed * 1000003 + i * 7919) >>> 0);
      while (live()) {
        try {
          await session(i, r);
        } catch {
          await sleep(20);
        }
      }
    };
    const prober = async () => {
      while (live()) {
        await probe();
        progress('run', Object.values(stats.sessions).reduce((a, b) => a + b, 0), stats.probes);
        await sleep(d.probeEveryMs);
      }
    };
    if (protocol === 'ws') {
      await Promise.all([...Array.from({ length: clients }, (_, i) => slot(i)), prober()]);
    } else if (device.running) {
      const churn = runTcpChurn({ port, parallel: clients, durationMs, seed, lines: o.messages?.length ? o.messages : ['hello', 'ping', 'quit'], until: () => !live() });
      const [c] = await Promise.all([churn, prober()]);
      stats.sessions.churn = c.sessions;
      stats.wsOpened = c.sessions - c.connectErrors;
      stats.bytesReceived = c.bytesIn;
    }
    for (const t of stallTimers) clearTimeout(t);
    crashedDuringRun = !device.running;
    if (protocol === 'tcp') invariants.push({ name: 'valid-frames', ok: true, detail: 'not applicable: a plain TCP firmware' });

    // ---- after the run: liveness, back to baseline, clean stop ----
    progress('settle');
    let afterRun: DeviceCounters | null = null;
    if (!crashedDuringRun) {
      await probe();
      afterRun = await settled(baseline, d.settleMs + profile.pollIntervalMs * 2);
    }
    progress('stop');
    const stop = await device.stop();
    const reports = stop.sanitizerReports;
    const exitInfo = `exit ${stop.exitCode ?? stop.signal}`;

    invariants.push({ name: 'no-crash', ok: !crashedDuringRun, detail: crashedDuringRun ? `the device process died during the run (${exitInfo})` : 'the device ran to the end' });
    invariants.push({ name: 'sanitizer', ok: reports.length === 0, detail: reports.length ? `${reports.length} report(s): ${reports[0]!.split('\n')[0]}` : `no ${variant === 'plain' ? 'crash' : variant.toUpperCase()} report` });
    invariants.push({ name: 'liveness', ok: liveness.length === 0, detail: liveness.length ? liveness.slice(0, 3).join('; ') : `${stats.probes} probes answered, slowest ${stats.probeMaxMs} ms` });
    if (protocol === 'ws') invariants.push({ name: 'valid-frames', ok: stats.frameErrors.length === 0, detail: stats.frameErrors.length ? stats.frameErrors.slice(0, 3).join('; ') : `${stats.messagesReceived} messages from the device, all valid` });
    if (crashedDuringRun || !baseline || !afterRun) {
      invariants.push({ name: 'baseline', ok: false, detail: 'not checked: the device did not survive the run' });
    } else {
      const leaks: string[] = [];
      if (afterRun.connectionsOpen > baseline.connectionsOpen) leaks.push(`connections ${baseline.connectionsOpen} -> ${afterRun.connectionsOpen}`);
      if (afterRun.clientsAlive > baseline.clientsAlive) leaks.push(`AsyncClients alive ${baseline.clientsAlive} -> ${afterRun.clientsAlive}`);
      if (afterRun.heapUsed > baseline.heapUsed + d.heapSlackBytes) leaks.push(`heap ${baseline.heapUsed} B -> ${afterRun.heapUsed} B`);
      invariants.push({ name: 'baseline', ok: leaks.length === 0, detail: leaks.length ? `not back to baseline ${d.settleMs + profile.pollIntervalMs * 2} ms after the last client left: ${leaks.join(', ')}` : `connections ${afterRun.connectionsOpen}, AsyncClients ${afterRun.clientsAlive}, heap ${afterRun.heapUsed} B (baseline ${baseline.heapUsed} B)` });
    }
    const cleanStop = stop.exitCode === 0 || (reports.length > 0 && !crashedDuringRun);
    invariants.push({ name: 'clean-stop', ok: !crashedDuringRun && stop.exitCode === 0, detail: cleanStop && stop.exitCode === 0 ? 'stopped on request, nothing left behind' : `${exitInfo}${stop.counters ? `, connections ${stop.counters.connectionsOpen}, threads ${stop.counters.threadsAlive}` : ''}` });
    const exercised = stats.wsOpened > 0 && stats.probes > 0;
    invariants.push({ name: 'exercised', ok: exercised || crashedDuringRun, detail: protocol === 'ws'
      ? `${stats.wsOpened} WebSocket sessions, ${stats.httpAnswered} HTTP answers, ${stats.wsRefused} handshakes refused`
      : `${stats.wsOpened} TCP sessions (a plain TCP firmware: no WebSocket at ${wsPaths[0]})` });

    const cmd = ['npx twincore stress', o.project ?? executable, '--target', variant, '--seed', String(seed), '--duration', String(durationMs / 1000), '--clients', String(clients)];
    for (const p of wsPaths) if (wsPaths.join() !== d.wsPaths.join()) cmd.push('--ws', p);
    if (httpPaths.join() !== d.httpPaths.join()) for (const p of httpPaths) cmd.push('--http', p);
    const wifi = wifiSettings(profile);
    if (wifi.link) cmd.push('--link', wifi.link.name ?? `${wifi.link.linkBandwidthKbps}:${wifi.link.linkRttMs}:${wifi.link.linkJitterMs}`);
    if (wifi.jitterSeed !== null) cmd.push('--jitter', String(wifi.jitterSeed));
    for (const st of o.stalls ?? []) cmd.push('--stall', `${st.task}:${st.ms}@${st.atMs / 1000}${st.everyMs !== undefined ? `+${st.everyMs / 1000}` : ''}`);
    return {
      ok: invariants.every((i) => i.ok),
      firmware: name, variant, protocol, seed, durationMs, clients, wsPaths, httpPaths, invariants, stats,
      baseline, afterRun, stop, sanitizerReports: reports, schedule,
      deviceLog: device.logs.slice(-200).map((l) => l.line), replay: cmd.join(' '), buildMs,
      ...wifi, stalls: stallsDone,
    };
  }
}

/** A session on a raw socket: malformed frames after a valid handshake, a bad handshake, or a
 *  handshake aborted halfway by a reset. Ends within `until`. */
async function rawSession(port: number, path: string, kind: 'malformed' | 'bad-handshake' | 'abort-handshake', r: Rng, until: number): Promise<void> {
  const sock = net.connect({ host: LOOPBACK_HOST, port });
  sock.on('error', () => undefined);
  const closed = new Promise<void>((res) => sock.once('close', () => res()));
  const wait = (ms: number) => within(Math.max(0, Math.min(ms, until - Date.now())), closed);
  if ((await within(2000, new Promise<void>((res) => sock.once('connect', () => res())))) === 'timeout') {
    sock.destroy();
    return;
  }
  const key = Buffer.from(Array.from({ length: 16 }, () => randInt(r, 0, 255))).toString('base64');
  const good = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  if (kind === 'abort-handshake') {
    sock.write(good.slice(0, randInt(r, 1, good.length - 1)));
    await wait(randInt(r, 0, 50));
    sock.resetAndDestroy();
    return;
  }
  if (kind === 'bad-handshake') {
    const [, make] = BAD_HANDSHAKES[randInt(r, 0, BAD_HANDSHAKES.length - 1)]!;
    sock.write(make(path));
    await wait(500);
    sock.destroy();
    return;
  }
  sock.write(good);
  await wait(100);
  const [, bytes] = MALFORMED[randInt(r, 0, MALFORMED.length - 1)]!;
  sock.write(bytes);
  await wait(500);
  if (!sock.destroyed) sock.destroy();
}

export function runFirmwareStress(options: FirmwareStressOptions): FirmwareStressRun {
  return new FirmwareStressRun(options);
}
