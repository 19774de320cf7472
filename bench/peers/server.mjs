// The benchmark's peer servers: the reference firmware's command language (firmware/ReferenceFirmware.h:
// start paced or unpaced telemetry, stop, relay, echo) over three WebSocket servers, each written
// the way its documentation recommends (broadcasts through uWebSockets.js's and Bun's publish, through
// a loop over clients for `ws`). Not a test; run by bench/run.ts:
//
//   node bench/peers/server.mjs ws|uws        bun bench/peers/server.mjs bun
//
// Prints `READY {"port":N,"pid":N,"impl":"..."}` once listening on 127.0.0.1 (an ephemeral port),
// and exits when stdin ends. Telemetry: {"t":"tm","seq":K,"ts":<ms>,"pad":"xx.."}, exactly `size`
// bytes. Paced: message k due at (k-1)*1000/rate ms after the start, at most 32 per 1 ms tick (the
// firmware's loop). Unpaced: bursts of at most 256 while every client has less than 64 KiB
// buffered (the firmware's availableForWriteAll), then the next turn of the event loop.
const impl = process.argv[2];
const HOST = '127.0.0.1';
const MAX_BURST = 32;
const MAX_UNPACED_BURST = 256;
const HIGH_WATER = 64 * 1024;

let server; // { clients(): iterable, send(c, msg), broadcast(msg), buffered(c) }
const state = { running: false, unpaced: false, rate: 10, size: 64, count: 0, seq: 0, start: 0, relay: false, timer: null };
const t0 = performance.now();
const now = () => Math.round(performance.now() - t0);

function telemetry(seq, ts, size) {
  const head = `{"t":"tm","seq":${seq},"ts":${ts},"pad":"`;
  return head + 'x'.repeat(Math.max(0, size - head.length - 2)) + '"}';
}

function stopRun() {
  state.running = false;
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

function allHaveRoom() {
  for (const c of server.clients()) if (server.buffered(c) >= HIGH_WATER) return false;
  return true;
}

function unpacedTurn() {
  if (!state.running || !state.unpaced) return;
  for (let b = 0; b < MAX_UNPACED_BURST && (!state.count || state.seq < state.count); b++) {
    if (!allHaveRoom()) break;
    server.broadcast(telemetry(++state.seq, now(), state.size));
  }
  if (state.count && state.seq >= state.count) return finish();
  setImmediate(unpacedTurn);
}

function pacedTick() {
  if (!state.running) return;
  const elapsed = performance.now() - state.start;
  let due = Math.floor((elapsed * state.rate) / 1000) + 1;
  if (state.count && due > state.count) due = state.count;
  for (let b = 0; state.seq < due && b < MAX_BURST; b++) server.broadcast(telemetry(++state.seq, now(), state.size));
  if (state.count && state.seq >= state.count) finish();
}

function finish() {
  stopRun();
  server.broadcast(`{"t":"done","sent":${state.seq}}`);
}

function command(c, text) {
  let j;
  try {
    j = JSON.parse(text);
  } catch {
    return server.send(c, '{"t":"error","error":"bad json"}');
  }
  if (j.cmd === 'start') {
    stopRun();
    Object.assign(state, { running: true, unpaced: j.unpaced === true, rate: j.rate ?? 10, size: j.size ?? 64, count: j.count ?? 0, seq: 0, start: performance.now() });
    server.send(c, `{"t":"started","rate":${state.unpaced ? 0 : state.rate},"size":${state.size},"count":${state.count}${state.unpaced ? ',"unpaced":true' : ''}}`);
    if (state.unpaced) setImmediate(unpacedTurn);
    else state.timer = setInterval(pacedTick, 1);
  } else if (j.cmd === 'stop') {
    stopRun();
    server.send(c, `{"t":"stopped","sent":${state.seq}}`);
  } else if (j.cmd === 'relay') {
    state.relay = j.on === true;
    server.send(c, `{"t":"relay","on":${state.relay}}`);
  } else {
    server.send(c, '{"t":"error","error":"unknown cmd"}');
  }
}

function onText(c, text) {
  if (text.length > 0 && text.charCodeAt(0) === 123 /* { */) return command(c, text);
  if (state.relay) server.broadcast(text);
  else server.send(c, text);
}

function ready(port) {
  process.stdout.write(`READY ${JSON.stringify({ port, pid: process.pid, impl })}\n`);
}

async function startWs() {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false, maxPayload: 1 << 20 });
  await new Promise((r) => wss.once('listening', r));
  server = {
    clients: () => wss.clients,
    send: (c, m) => c.send(m),
    broadcast: (m) => { for (const c of wss.clients) if (c.readyState === 1) c.send(m); },
    buffered: (c) => c.bufferedAmount,
  };
  wss.on('connection', (c) => {
    c.on('message', (data, isBinary) => {
      if (isBinary) c.send(data, { binary: true });
      else onText(c, data.toString());
    });
    c.on('error', () => {});
  });
  ready(wss.address().port);
}

async function startUws() {
  const { createRequire } = await import('node:module');
  const uWS = createRequire(import.meta.url)('@trufflesuite/uws-js-unofficial');
  const app = uWS.App();
  const clients = new Set();
  const dec = new TextDecoder();
  server = {
    clients: () => clients,
    send: (c, m) => c.send(m, false),
    broadcast: (m) => app.publish('all', m, false),
    buffered: (c) => c.getBufferedAmount(),
  };
  app.ws('/*', {
    compression: uWS.DISABLED,
    maxPayloadLength: 1 << 20,
    maxBackpressure: 64 * 1024 * 1024,
    idleTimeout: 0,
    open: (c) => { clients.add(c); c.subscribe('all'); },
    message: (c, msg, isBinary) => {
      if (isBinary) c.send(msg, true);
      else onText(c, dec.decode(msg));
    },
    close: (c) => clients.delete(c),
  });
  await new Promise((resolve, reject) => {
    app.listen(HOST, 0, (sock) => {
      if (!sock) return reject(new Error('uWS listen failed'));
      ready(uWS.us_socket_local_port(sock));
      resolve();
    });
  });
}

async function startBun() {
  const clients = new Set();
  let srv;
  server = {
    clients: () => clients,
    send: (c, m) => c.send(m),
    broadcast: (m) => srv.publish('all', m),
    buffered: (c) => c.getBufferedAmount(),
  };
  srv = globalThis.Bun.serve({
    hostname: HOST,
    port: 0,
    fetch(req, s) {
      if (s.upgrade(req)) return undefined;
      return new Response('Not Found\n', { status: 404 });
    },
    websocket: {
      perMessageDeflate: false,
      maxPayloadLength: 1 << 20,
      backpressureLimit: 64 * 1024 * 1024,
      idleTimeout: 0,
      open: (c) => { clients.add(c); c.subscribe('all'); },
      message: (c, msg) => {
        if (typeof msg === 'string') onText(c, msg);
        else c.send(msg);
      },
      close: (c) => clients.delete(c),
    },
  });
  ready(srv.port);
}

const starters = { ws: startWs, uws: startUws, bun: startBun };
if (!starters[impl]) {
  process.stderr.write('usage: server.mjs ws|uws|bun\n');
  process.exit(2);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.on('data', () => {});
process.stdin.resume();
await starters[impl]();
