// serve(): runs the reference firmware (firmware/ReferenceFirmware.*) on a simulated board in this
// process and keeps it up until SIGINT/SIGTERM or options.signal aborts; the CLI's `serve`
// command is a thin shell over it.
//
// Exit codes (the resolved number): 0 after a clean stop, whatever stopped it (Ctrl-C is the
// normal way to end a server, so it is not reported as a failure, unlike the shell's 130
// convention); 1 when the device cannot start (e.g. the port is taken). Invalid options
// (unknown profile, port out of range, bad firmware config) throw the library's coded errors
// (TC_INVALID_OPTION, TC_FIRMWARE_CONFIG), which the CLI maps to a usage error.
//
// Signals: while serving, SIGINT and SIGTERM listeners are installed; the first signal starts the
// stop and removes them, so a second Ctrl-C falls back to Node's default (immediate exit; the
// addon's exit hook still stops the device). All listeners and timers are removed before the
// promise resolves.
import { Device } from './device.js';
import { DeviceStartError, TwincoreRangeError, TwincoreTypeError } from './errors.js';
import { checkInt, resolveProfile } from './options.js';
import { applyWifi, wifiSettings, type JitterInput, type LinkInput } from './harness/wifi-faults.js';

/** The defaults of serve(), each with its reason. */
export const SERVE_DEFAULTS = Object.freeze({
  /** A fixed port so the dashboard URL can be bookmarked; 80 would need privileges. 0 = ephemeral. */
  port: 8080,
  profile: 'esp32',
  firmware: 'reference',
  /** stop() normally takes well under a second; past this a note says why the wait. */
  slowStopNoticeMs: 2000,
});

export interface ServeOptions {
  /** Host port on 127.0.0.1 for the firmware's HTTP/WebSocket server (default 8080; 0 = ephemeral). */
  port?: number;
  /** Board profile name (default 'esp32'; see PROFILES). */
  profile?: string;
  /** Reference firmware config (firmware/host/registry.cpp: maxMessage, maxClients, rate, ...). */
  firmwareConfig?: Record<string, string>;
  /** The link model (a named link, `<kbps>:<rttMs>:<jitterMs>`, or the knobs): feel a WiFi link in the browser. */
  link?: LinkInput;
  /** Scheduling jitter: true (a fixed seed, 1) or a seed. */
  jitter?: JitterInput;
  /** Aborting it stops the device; serve() then resolves 0. */
  signal?: AbortSignal;
  /** Called once the device is up, with the dashboard URL. */
  onReady?(url: string): void;
  /** Where the status lines go (default process.stdout). */
  print?(line: string): void;
}

export async function serve(options: ServeOptions = {}): Promise<number> {
  if (typeof options !== 'object' || options === null) throw new TwincoreTypeError('options must be an object');
  const port = options.port === undefined ? SERVE_DEFAULTS.port : checkInt(options.port, 'options.port', 0, 65535);
  const profileName = options.profile ?? SERVE_DEFAULTS.profile;
  if (typeof profileName !== 'string') throw new TwincoreTypeError('options.profile must be a profile name');
  // throws TwincoreRangeError for an unknown name or link
  const base = applyWifi(resolveProfile(profileName), 1, options.link, options.jitter);
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const { signal } = options;

  // One promise that settles on the first stop request, whatever its source.
  let requestStop!: (why: string) => void;
  const stopRequested = new Promise<string>((resolve) => { requestStop = resolve; });
  const onSigint = (): void => requestStop('SIGINT');
  const onSigterm = (): void => requestStop('SIGTERM');
  const onAbort = (): void => requestStop('abort');
  const removeListeners = (): void => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    signal?.removeEventListener('abort', onAbort);
  };
  if (signal?.aborted) return 0;
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  signal?.addEventListener('abort', onAbort, { once: true });
  // A running Device never keeps the process alive by itself: this timer does, while serving.
  const keepAlive = setInterval(() => {}, 1 << 30);

  let device: Device | undefined;
  try {
    try {
      device = await Device.start({
        firmware: SERVE_DEFAULTS.firmware,
        config: options.firmwareConfig ?? {},
        profile: { ...base, hostPort: port },
      });
    } catch (e) {
      if (e instanceof DeviceStartError) {
        const detail = e.logs.length ? `\n${e.logs.map((l) => `  device: ${l}`).join('\n')}` : '';
        print(`twincore: cannot start the reference firmware on port ${port}: ${e.message}${detail}`);
        return 1;
      }
      throw e;
    }
    if (device.ports.length === 0) {
      // The firmware's AsyncServer could not bind (AsyncTCP's begin() has no result to check).
      const why = device.logs.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => `  device: ${l.line}`);
      print(`twincore: cannot start the reference firmware on port ${port}: it listens on no port (is the port taken?)${why.length ? `\n${why.join('\n')}` : ''}`);
      return 1;
    }
    device.on('log', (level, line) => {
      if (level === 'warn' || level === 'error') print(`device ${level}: ${line}`);
    });
    const url = device.httpUrl;
    const wifi = wifiSettings(base);
    const wifiNote = [wifi.link ? `, over the ${wifi.link.name ?? 'custom'} link (${wifi.link.linkBandwidthKbps || 'unlimited'} kbit/s, round trip ${wifi.link.linkRttMs} ms + 0..${wifi.link.linkJitterMs} ms)` : '',
      wifi.jitterSeed !== null ? `, with scheduling jitter (seed ${wifi.jitterSeed})` : ''].join('');
    print(`twincore: reference firmware on the simulated ${base.name}${wifiNote} — open ${url}`);
    print(`twincore: WebSocket ${device.url}, counters ${url}stats; Ctrl-C to stop`);
    options.onReady?.(url);

    const why = await stopRequested;
    removeListeners(); // a second Ctrl-C now exits at once (Node's default)
    print(`twincore: ${why === 'abort' ? 'stopping' : `${why}: stopping`} the device`);
    const started = Date.now();
    const slow = setTimeout(() => print('twincore: still stopping (closing WebSocket clients)...'), SERVE_DEFAULTS.slowStopNoticeMs);
    try {
      await device.stop();
    } finally {
      clearTimeout(slow);
    }
    print(`twincore: stopped in ${Date.now() - started} ms`);
    return 0;
  } finally {
    removeListeners();
    clearInterval(keepAlive);
    if (device?.running) await device.stop();
  }
}

/** Parses `--config key=value` style pairs for the CLI (exported for it and its tests). */
export function parseConfigPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new TwincoreRangeError(`firmware config must be key=value, got '${p}'`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}
