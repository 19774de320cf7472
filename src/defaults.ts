// Every default of the TypeScript side, in one place, each with its reason.
// The profile defaults mirror twin::Profile in native/host/twin.h field for field; test/device.test.ts
// checks them against the addon's defaultProfile() so the two cannot drift apart.

/** A simulated board: the knobs of the ESP32 network runtime the twin reproduces. */
export interface Profile {
  /** Shown in logs and reports. */
  name: string;
  /** Concurrent TCP connections (lwIP CONFIG_LWIP_MAX_ACTIVE_TCP). */
  maxConnections: number;
  /** Per-connection TCP send window in bytes (lwIP TCP_SND_BUF). */
  sendWindow: number;
  /** Per-connection TCP receive window in bytes (lwIP TCP_WND). */
  recvWindow: number;
  /** Segment size (ESP-IDF TCP_MSS). */
  mss: number;
  /** onPoll period per connection (lwIP slow timer). */
  pollIntervalMs: number;
  /** AsyncTCP CONFIG_ASYNC_TCP_MAX_ACK_TIME: a peer silent this long is closed. */
  ackTimeoutMs: number;
  /** true: async_tcp and loop run in parallel (ESP32, ESP32-S3). false: serialised (ESP32-C3). */
  dualCore: boolean;
  /** Heap budget of the firmware in bytes; 0 means unlimited. */
  heapBytes: number;
  /** Host port of the firmware's first listening port; 0 picks an ephemeral port. */
  hostPort: number;
  /** The link model (README "Faults that make loopback behave like WiFi"): the shared air's
   *  bandwidth in kbit/s (0: unlimited). All link knobs 0: loopback, no model. */
  linkBandwidthKbps: number;
  /** Round trip of the link: acks come this long after the bytes left, inbound bytes half of it late. */
  linkRttMs: number;
  /** Seeded extra delay 0..linkJitterMs on each ack (half of it on each arrival). */
  linkJitterMs: number;
  /** Seed of the link's jitter draws. */
  linkSeed: number;
  /** Scheduling jitter: 0 off, else the seed of seeded yields and short sleeps at the twin's lock
   *  and callback points. */
  schedJitterSeed: number;
}

/** twin::Profile{} exactly (native/host/twin.h), the reason for each number is written there. */
export const ESP32_PROFILE: Readonly<Profile> = Object.freeze({
  name: 'esp32',
  maxConnections: 16, // lwIP CONFIG_LWIP_MAX_ACTIVE_TCP default
  sendWindow: 5760, // lwIP TCP_SND_BUF default, 4 * MSS
  recvWindow: 5760, // lwIP TCP_WND default
  mss: 1436, // ESP-IDF TCP_MSS
  pollIntervalMs: 500, // lwIP slow timer -> tcp_poll every 500 ms
  ackTimeoutMs: 5000, // AsyncTCP CONFIG_ASYNC_TCP_MAX_ACK_TIME
  dualCore: true, // the default Arduino-ESP32 setup: async_tcp and loop on different cores
  heapBytes: 0, // unlimited unless a scenario sets a budget (~200 KB free with WiFi up)
  hostPort: 0, // ephemeral: tests and parallel runs never collide
  linkBandwidthKbps: 0, // loopback: no link model unless asked (--link)
  linkRttMs: 0,
  linkJitterMs: 0,
  linkSeed: 0,
  schedJitterSeed: 0, // no scheduling jitter unless asked (--jitter)
});

/** The named boards. Each differs from esp32 only where the hardware does. */
export const PROFILES: Readonly<Record<string, Readonly<Profile>>> = Object.freeze({
  esp32: ESP32_PROFILE,
  // ESP32-C3: one RISC-V core, so async_tcp and loop are serialised.
  esp32c3: Object.freeze({ ...ESP32_PROFILE, name: 'esp32c3', dualCore: false }),
  // ESP32-S3: dual core like the ESP32; same lwIP defaults.
  esp32s3: Object.freeze({ ...ESP32_PROFILE, name: 'esp32s3' }),
});

export type ProfileName = 'esp32' | 'esp32c3' | 'esp32s3';

/** Inclusive ranges the addon accepts too (native/addon/addon.cpp toProfile()). */
export const PROFILE_LIMITS: Readonly<Record<Exclude<keyof Profile, 'name' | 'dualCore'>, readonly [number, number]>> =
  Object.freeze({
    maxConnections: [1, 4096], // at least one socket; far above any lwIP build
    sendWindow: [1, 16 * 1024 * 1024], // > 0 or nothing can be sent
    recvWindow: [1, 16 * 1024 * 1024],
    mss: [88, 65535], // Linux refuses TCP_MAXSEG below 88
    pollIntervalMs: [1, 3_600_000], // > 0: a zero period would spin async_tcp
    ackTimeoutMs: [0, 3_600_000], // 0 disables the ack timeout, as in AsyncTCP
    heapBytes: [0, 0xffff_ffff], // uint32 in twin::Profile
    hostPort: [0, 65535],
    linkBandwidthKbps: [0, 10_000_000], // up to 10 Gbit/s; 0 unlimited
    linkRttMs: [0, 10_000],
    linkJitterMs: [0, 10_000],
    linkSeed: [0, 0xffff_ffff],
    schedJitterSeed: [0, 0xffff_ffff],
  });

/** A link: the link knobs of a Profile. */
export interface LinkSpec {
  linkBandwidthKbps: number;
  linkRttMs: number;
  linkJitterMs: number;
}

/** The named links (the same table as twin::namedLink in native/host/twin.cpp; a test checks them).
 *  Sources:
 *  - bandwidth: Espressif's ESP32 Wi-Fi throughput (iperf, TCP, "air in lab") is about 20 Mbit/s,
 *    https://docs.espressif.com/projects/esp-idf/en/latest/esp32/api-guides/wifi.html (quoted at
 *    https://esp32.com/search.php?author_id=21873&sr=posts); weak-wifi: a tenth of it, 2 Mbit/s, the
 *    TCP throughput reported for an ESP32 on a poor link in https://github.com/espressif/esp-hosted-mcu/issues/112.
 *  - round trip and jitter: ESP32 first-hop ping quantiles, https://blog.thexyzlab.studio/esp32-development-log-01-wi-fi-latenc/ :
 *    next to the router median 13.3 ms, p90 23.6 ms (good-wifi: 13 ms + 0..10 ms); through a wall
 *    median 16.2 ms, p90 42.6 ms, p99 114 ms (weak-wifi: 40 ms + 0..75 ms). */
export const LINKS: Readonly<Record<string, Readonly<LinkSpec>>> = Object.freeze({
  loopback: Object.freeze({ linkBandwidthKbps: 0, linkRttMs: 0, linkJitterMs: 0 }),
  'good-wifi': Object.freeze({ linkBandwidthKbps: 20_000, linkRttMs: 13, linkJitterMs: 10 }),
  'weak-wifi': Object.freeze({ linkBandwidthKbps: 2_000, linkRttMs: 40, linkJitterMs: 75 }),
});

/** Parses a --link value: a named link or `<kbps>:<rttMs>:<jitterMs>`; throws a message otherwise. */
export function parseLink(value: string): LinkSpec {
  const named = LINKS[value];
  if (named) return { ...named };
  const m = /^(\d+):(\d+):(\d+)$/.exec(value);
  if (!m) throw new Error(`unknown link '${value}' (${Object.keys(LINKS).join(', ')}, or <kbps>:<rttMs>:<jitterMs>)`);
  const spec: LinkSpec = { linkBandwidthKbps: Number(m[1]), linkRttMs: Number(m[2]), linkJitterMs: Number(m[3]) };
  for (const [k, v] of Object.entries(spec)) {
    const [lo, hi] = PROFILE_LIMITS[k as keyof LinkSpec];
    if (v < lo || v > hi) throw new Error(`link ${k} must be ${lo}..${hi}, got ${v}`);
  }
  return spec;
}

/** Longest profile name / firmware name the addon accepts. */
export const MAX_NAME_LENGTH = 64;

/** Loopback only: the harness never reaches beyond this machine. */
export const LOOPBACK_HOST = '127.0.0.1';

/** The WebSocket endpoint path the reference firmware serves. */
export const WS_PATH = '/ws';

/** The loopback endpoints of a firmware server on `port`: the WebSocket, the dashboard (HTTP root)
 *  and the reference firmware's counters. */
export function loopbackUrls(port: number, wsPath: string = WS_PATH): { wsUrl: string; httpUrl: string; statsUrl: string } {
  const httpUrl = `http://${LOOPBACK_HOST}:${port}/`;
  return { wsUrl: `ws://${LOOPBACK_HOST}:${port}${wsPath}`, httpUrl, statsUrl: `${httpUrl}stats` };
}

/** Built-in firmwares that speak plain TCP, not WebSocket: a device running one has no `url`. */
export const PLAIN_TCP_FIRMWARES: readonly string[] = Object.freeze(['echo']);

export const DEVICE_DEFAULTS = Object.freeze({
  /** The firmware every issue can rely on: the line echo server. */
  firmware: 'echo',
  profile: 'esp32' as ProfileName,
  /** Recent log lines kept on a Device; enough to explain a failure, bounded for long runs. */
  logCapacity: 1000,
});

export const PROCESS_DEVICE_DEFAULTS = Object.freeze({
  /** A TSan build boots slowly on a loaded 2-core CI machine. */
  readyTimeoutMs: 20_000,
  /** SIGTERM to exit: stop() joins the device threads; TSan and LeakSanitizer add seconds. */
  stopTimeoutMs: 30_000,
  /** Safety net passed as --max-seconds: an orphaned device process exits by itself. */
  maxSeconds: 600,
  /** stderr kept for sanitizer reports; a report is a few KB, a flood of them is not useful. */
  stderrCapacityBytes: 4 * 1024 * 1024,
  /** The options the sanitizer documentation recommends for CI; exit codes distinct from ours. */
  env: Object.freeze({
    TSAN_OPTIONS: 'halt_on_error=1:exitcode=66:second_deadlock_stack=1',
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=67',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=68',
  } as Record<string, string>),
});

export const STRESS_DEFAULTS = Object.freeze({
  /** Concurrent clients: more than the esp32's 16 sockets, so the accept limit is exercised. */
  clients: 20,
  /** Long enough for polls (500 ms), ticks and many connect/close cycles; short enough for CI. */
  durationMs: 10_000,
  /** Upper bound on connections opened, whichever of time/count ends first. */
  maxConnections: 100_000,
  firmware: 'echo',
  /** Loop-task ticks every 20 ms: broadcasts race with connects and closes. */
  tickMs: 20,
  /** Lines each client session sends before it ends (drawn uniformly in 1..max). */
  maxLinesPerSession: 8,
  /** One reply, a server-side close or a connect must happen within this. A deferred accept (beyond
   *  maxConnections) waits for a free slot, so this is generous. */
  opTimeoutMs: 10_000,
  /** Sessions still running when the duration ends get this long before they are destroyed. */
  drainTimeoutMs: 15_000,
  /** Progress events per second. */
  tickIntervalMs: 250,
  seed: 1,
});
