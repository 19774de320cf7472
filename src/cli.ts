#!/usr/bin/env node
// twincore CLI: a thin shell over the programmatic API. argv is parsed here, in one place, with a
// typed flag table per command; each command returns its exit code:
//   0 ok, 1 an invariant was violated (or the run failed), 2 usage error.
// Commands are a table: the `serve` command (the WebSocket firmware) plugs in as one more entry.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { PROFILES, STRESS_DEFAULTS } from './defaults.js';
import { UsageError, isTwincoreError } from './errors.js';
import { formatProgress, formatSummary } from './harness/report.js';
import { runStress, type StressOptions } from './harness/stress.js';
import { TARGET_NAMES, type TargetName } from './harness/targets.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal: the progress line is redrawn in place. */
  isTty: boolean;
}

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

type FlagKind = 'int' | 'seconds' | 'string' | 'boolean';
type ValueOf<K extends FlagKind> = K extends 'boolean' ? boolean : K extends 'string' ? string : number;

/** One flag, tied to a key of the command's config type C. */
interface FlagDef<C> {
  flag: string;
  key: keyof C & string;
  kind: FlagKind;
  help: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

function parseFlags<C extends object>(args: string[], table: readonly FlagDef<C>[]): Partial<C> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const def = table.find((f) => f.flag === name);
    if (!def) throw new UsageError(`unknown flag --${name}`);
    if (def.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[def.key] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (raw === undefined || raw === '') throw new UsageError(`--${name} needs a value`);
    out[def.key] = convert(def, raw);
  }
  return out as Partial<C>;
}

function convert<C>(def: FlagDef<C>, raw: string): ValueOf<FlagKind> {
  if (def.kind === 'string') {
    if (def.choices && !def.choices.includes(raw)) {
      throw new UsageError(`--${def.flag} must be one of ${def.choices.join(', ')}, got '${raw}'`);
    }
    return raw;
  }
  const n = Number(raw);
  const min = def.min ?? 0;
  const max = def.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(n) || n < min || n > max || (def.kind === 'int' && !Number.isInteger(n))) {
    throw new UsageError(`--${def.flag} must be ${def.kind === 'int' ? 'an integer' : 'a number of seconds'} in ${min}..${max}, got '${raw}'`);
  }
  return def.kind === 'seconds' ? Math.round(n * 1000) : n;
}

function flagHelp<C>(table: readonly FlagDef<C>[]): string {
  const rows = table.map((f) => {
    const arg = f.kind === 'boolean' ? '' : f.kind === 'string' ? (f.choices ? ` <${f.choices.join('|')}>` : ' <name>') : f.kind === 'seconds' ? ' <s>' : ' <n>';
    return [`--${f.flag}${arg}`, f.help] as const;
  });
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

interface StressCliConfig {
  target: TargetName;
  firmware: string;
  profile: string;
  clients: number;
  durationMs: number;
  maxConnections: number;
  tickMs: number;
  seed: number;
  maxLinesPerSession: number;
  json: boolean;
  quiet: boolean;
}

const d = STRESS_DEFAULTS;
const STRESS_FLAGS: readonly FlagDef<StressCliConfig>[] = [
  { flag: 'clients', key: 'clients', kind: 'int', min: 1, max: 1000, help: `concurrent clients (default ${d.clients})` },
  { flag: 'duration', key: 'durationMs', kind: 'seconds', min: 0.001, max: 86_400, help: `seconds of churn (default ${d.durationMs / 1000})` },
  { flag: 'max-connections', key: 'maxConnections', kind: 'int', min: 1, help: `stop after this many connections, whichever of time/count ends first (default ${d.maxConnections})` },
  { flag: 'target', key: 'target', kind: 'string', choices: TARGET_NAMES, help: 'addon (in-process) or a sanitizer build of the device (default addon)' },
  { flag: 'firmware', key: 'firmware', kind: 'string', help: `firmware to boot (default ${d.firmware})` },
  { flag: 'profile', key: 'profile', kind: 'string', choices: Object.keys(PROFILES), help: 'board profile (default esp32)' },
  { flag: 'tick-ms', key: 'tickMs', kind: 'int', max: 3_600_000, help: `loop-task broadcast period, 0 = off (default ${d.tickMs})` },
  { flag: 'seed', key: 'seed', kind: 'int', max: 0xffff_ffff, help: `schedule seed (default ${d.seed})` },
  { flag: 'lines', key: 'maxLinesPerSession', kind: 'int', min: 1, max: 10_000, help: `max lines per session (default ${d.maxLinesPerSession})` },
  { flag: 'json', key: 'json', kind: 'boolean', help: 'print the result as JSON on stdout' },
  { flag: 'quiet', key: 'quiet', kind: 'boolean', help: 'no progress line' },
];

async function stressCommand(args: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args, STRESS_FLAGS);
  const { json = false, quiet = false, ...rest } = flags;
  const options: StressOptions = rest;
  let run: ReturnType<typeof runStress>;
  try {
    run = runStress(options); // throws only on invalid options: a usage error
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const durationMs = run.options.durationMs;
  let lastPrint = 0;
  if (!quiet) {
    run.on('start', (s) => io.stderr(`twincore stress: ${s.options.clients} clients against ${s.target} (${s.options.firmware}/${s.options.profile.name}) on port ${s.port} for ${durationMs / 1000} s\n`));
    run.on('tick', (p) => {
      const line = formatProgress(p, durationMs);
      if (io.isTty) {
        io.stderr(`\r\x1b[2K${line}`);
      } else if (p.elapsedMs - lastPrint >= 1000) {
        lastPrint = p.elapsedMs;
        io.stderr(`${line}\n`);
      }
    });
  }
  const onSigint = (): void => {
    io.stderr('\ntwincore stress: interrupted; draining and stopping the device\n');
    run.abort();
  };
  process.once('SIGINT', onSigint);
  const result = await run.result;
  process.off('SIGINT', onSigint);
  if (!quiet && io.isTty) io.stderr('\n');
  if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout(`${formatSummary(result)}\n`);
  return result.ok ? 0 : 1;
}

const COMMANDS: Record<string, Command> = {
  stress: {
    summary: 'churn client connections against a device and check its invariants',
    usage: `twincore stress [flags]\n\n${flagHelp(STRESS_FLAGS)}`,
    run: stressCommand,
  },
  // serve: { summary, usage, run } -- the WebSocket firmware's command goes here.
  help: {
    summary: 'show this help, or a command\'s: twincore help <command>',
    usage: 'twincore help [command]',
    run: async (args, io) => {
      const cmd = args[0] !== undefined ? COMMANDS[args[0]] : undefined;
      if (args[0] !== undefined && !cmd) throw new UsageError(`unknown command '${args[0]}'`);
      io.stdout(`${cmd ? cmd.usage : usage()}\n`);
      return 0;
    },
  },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return 'usage: twincore <command> [flags]\n\ncommands:\n' +
    Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`).join('\n') +
    '\n\nrun "twincore help <command>" for its flags';
}

/** Runs the CLI; returns the exit code (also for usage errors, which it reports on stderr). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}'`);
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(`${cmd.usage}\n`);
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof UsageError || (isTwincoreError(e) && e.code === 'TC_INVALID_OPTION')) {
      io.stderr(`twincore: ${e.message}\n${cmd ? `usage: ${cmd.usage.split('\n')[0]}` : usage()}\n`);
      return 2;
    }
    io.stderr(`twincore: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const io: CliIo = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTty: Boolean(process.stderr.isTTY),
  };
  process.exitCode = await main(process.argv.slice(2), io);
}
