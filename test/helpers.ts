// Test helpers: line clients over node:net, and a registry so every test ends clean.
import net from 'node:net';

export interface LineClient {
  socket: net.Socket;
  lines: string[];
  /** The next line that is not a tick, within timeoutMs. */
  next(timeoutMs?: number): Promise<string>;
  send(line: string): void;
  closed: Promise<void>;
}

const sockets = new Set<net.Socket>();

export function connectLines(port: number, timeoutMs = 5000): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('connect timeout')); }, timeoutMs);
    const lines: string[] = [];
    let buf = '';
    let waiter: (() => void) | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!/^tick \d+$/.test(line)) lines.push(line);
      }
      waiter?.();
    });
    const closed = new Promise<void>((r) => socket.once('close', () => { waiter?.(); r(); }));
    socket.on('error', () => {});
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({
        socket, lines, closed,
        send: (line) => socket.write(`${line}\n`),
        next: async (ms = 5000) => {
          const deadline = Date.now() + ms;
          while (lines.length === 0) {
            if (socket.destroyed || Date.now() > deadline) throw new Error(`no line within ${ms} ms`);
            await new Promise<void>((r) => { waiter = r; setTimeout(r, Math.max(1, deadline - Date.now())); });
          }
          return lines.shift()!;
        },
      });
    });
  });
}

export function destroyAllSockets(): void {
  for (const s of sockets) s.destroy();
  sockets.clear();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls cond every 20 ms until true or timeoutMs; returns its last value. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** waitFor with an async condition (a control-channel query): polls every 50 ms until true or timeoutMs. */
export async function waitForAsync(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
