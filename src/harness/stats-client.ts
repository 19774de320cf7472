// GET /stats of the reference firmware (ReferenceFirmware::statsJson): one request per connection
// (no keep-alive: an idle kept-alive socket would hold one of the board's few sockets), bounded
// by a timeout. The StatsSampler polls it, one request at a time, for queue depths and progress.
import http from 'node:http';
import https from 'node:https';

/** The /stats document (fields this harness reads; the firmware may send more). */
export interface RefStats {
  clients: number;
  connected: number;
  maxQueueDepth: number;
  queuedMessages: number;
  /** Data queue depth by client id. */
  queues: Record<string, number>;
  events: { connect: number; disconnect: number; pong: number; error: number; data: number; ping: number };
  messages: number;
  commands: number;
  badCommands: number;
  dropped: number;
  closedOnFull: number;
  protocolErrors: number;
  rejected: number;
  allocFailures: number;
  heapHeld: number;
  broadcast: { running: boolean; seq: number; sent: number; rate: number; size: number; count: number; runs: number; totalSent: number; reached: number; dropped: number };
  maxClients: number;
  closeOnQueueFull: boolean;
  uptimeMs: number;
}

/** The parsed /stats, or null (unreachable, timeout, not JSON, not the reference firmware). */
export function fetchStats(url: string, timeoutMs: number): Promise<RefStats | null> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    let done = false;
    const finish = (v: RefStats | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(v);
    };
    const req = get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1 << 20) req.destroy(); // not our firmware
        else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return finish(null);
        try {
          const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RefStats;
          finish(typeof v === 'object' && v !== null && typeof v.events === 'object' ? v : null);
        } catch {
          finish(null);
        }
      });
      res.on('error', () => finish(null));
      res.on('close', () => finish(null));
    });
    req.on('error', () => finish(null));
    const timer = setTimeout(() => {
      req.destroy();
      finish(null);
    }, timeoutMs);
  });
}

/** The deepest data queue in a sample (the firmware's maxQueueDepth and each listed queue). */
export function deepestQueue(s: RefStats): number {
  let d = typeof s.maxQueueDepth === 'number' ? s.maxQueueDepth : 0;
  for (const v of Object.values(s.queues ?? {})) if (typeof v === 'number' && v > d) d = v;
  return d;
}

/** Polls /stats every intervalMs (never two requests at once) until stop(). */
export class StatsSampler {
  last: RefStats | null = null;
  maxQueueDepth = 0;
  samples = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly url: string, private readonly intervalMs: number, private readonly timeoutMs: number,
    private readonly onSample?: (s: RefStats) => void) {}

  start(): void {
    const tick = (): void => {
      if (this.#stopped) return;
      this.#inFlight = this.sample().then(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  async sample(): Promise<RefStats | null> {
    const s = await fetchStats(this.url, this.timeoutMs);
    if (s) {
      this.last = s;
      this.samples++;
      this.maxQueueDepth = Math.max(this.maxQueueDepth, deepestQueue(s));
      this.onSample?.(s);
    }
    return s;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
  }
}
