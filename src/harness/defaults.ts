// Every default of the WebSocket stress harness, each with its reason. (The echo churn keeps its
// own in src/defaults.ts STRESS_DEFAULTS; these belong beside them and can move there.)

export const WS_STRESS_DEFAULTS = Object.freeze({
  scenario: 'default',
  /** The reference firmware serves the run; its protocol is what the clients speak. */
  firmware: 'reference',
  /** native/core/ws_client.h WS_MAX_QUEUED_MESSAGES: the data queue bound the oracle checks. */
  queueBound: 16,
  /** One connect (TCP + upgrade), one echo reply, one close handshake must finish within this. A
   *  sanitizer build on a loaded 2-core machine is slow; a live peer is never this slow. */
  opTimeoutMs: 10_000,
  /** After the broadcast stopped, surviving readers get this long to receive its last message
   *  (silent readers resume and drain their socket then). */
  drainTimeoutMs: 10_000,
  /** After every client closed, the device gets this long to report zero clients on /stats. */
  settleTimeoutMs: 5_000,
  /** /stats is sampled this often for queue depths and progress (a sample, not every change). */
  statsIntervalMs: 200,
  /** A /stats request that takes longer is abandoned (the next sample retries). */
  statsTimeoutMs: 3_000,
  /** Progress events per second. */
  tickIntervalMs: 250,
  /** A closed reader reconnects after this pause (if the run is still on). */
  reconnectDelayMs: 50,
  /** Sessions one client opens at most: bounds churn/rst loops whatever the duration. */
  maxSessionsPerClient: 10_000,
  /** Telemetry runs kept per session (each [first,last] contiguous range is one entry): a
   *  correct trace is one range; past this the trace is flagged as overflowing, not grown. */
  maxRangesPerTrace: 10_000,
  /** Violations kept in a result (the rest are counted). */
  maxViolations: 50,
  /** Sockets the harness may use besides its clients: the control client and /stats requests. */
  socketHeadroom: 4,
  /** After the deadline, clients get this long to finish what they are doing (a connect, an echo
   *  wait, a close handshake) before the run moves on to the drain without them. */
  windDownMs: 2_000,
  /** An interrupted run (Ctrl-C) drains, closes and settles within about this long. */
  abortBudgetMs: 700,
  /** A session the harness closes after the drain gets this long for the close handshake, then
   *  it is destroyed. */
  closeTimeoutMs: 2_000,
  /** Each churn arrival (--churn-rate) reads for a seeded time in this range, then closes. */
  churnSessionMs: [20, 100] as const,
  /** Between stopping a broadcast run and starting the next (a rate step): at least this long,
   *  and longer than the clock offset's uncertainty, so every message is told to its run by its ts. */
  rateGapMs: 20,
  /** One-message broadcast runs before the clients join, to bound the device clock's offset
   *  (metrics.ts ClockSync): the best of these round trips sets the latency's uncertainty. */
  clockRounds: 8,
  /** Defaults of the client behaviours (a scenario's client group may override each). */
  behaviour: Object.freeze({
    /** Clients join at a seeded time in [0, joinWithinMs]. */
    joinWithinMs: 500,
    /** churn, rst: one session lasts a seeded time in this range. */
    sessionMs: [200, 1200] as const,
    /** slow-reader: paused this long, then reading for readMs, alternately. */
    pauseMs: [300, 1500] as const,
    readMs: [100, 500] as const,
    /** flood: `burst` text messages every intervalMs; echo: one request every intervalMs. */
    burst: 32,
    floodIntervalMs: 50,
    echoIntervalMs: 20,
    /** Size of flood and echo messages (bytes). */
    messageSize: 200,
  }),
});
