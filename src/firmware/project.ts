// A firmware project on disk, resolved into what a compiler needs: sources, include folders,
// defines. Three inputs, detected in this order (README "Your firmware"):
//  1. a PlatformIO project (platformio.ini): src_dir/include_dir, lib/, and the libraries
//     PlatformIO installed under .pio/libdeps/<env>/, each laid out by the library.json /
//     library.properties conventions; build_flags' plain -D/-I honoured; build_src_filter applied;
//  2. an Arduino sketch folder (X/X.ino plus .ino/.cpp/.c/.h beside it and src/ below it): the .ino
//     files joined as the Arduino tools join them (sketch.ts);
//  3. explicit folders (--src/--include/--lib).
// AsyncTCP, wherever it comes from, is replaced by the twin's (native/host/AsyncTCP.h): that is the
// point of the simulator. Pure functions over the file system; nothing here compiles or writes.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { FirmwareProjectError } from '../errors.js';
import { parsePlatformioIni, type PioEnv } from './platformio.js';

export type ProjectKind = 'platformio' | 'sketch' | 'explicit';

export interface LibraryInfo {
  name: string;
  dir: string;
  origin: 'lib' | 'libdeps' | 'explicit';
  /** Set when the twin replaces the library (AsyncTCP) or the board cannot use it. */
  skipped?: string;
}

export interface FirmwareProject {
  kind: ProjectKind;
  root: string;
  /** The executable's name: the sketch or project folder's name. */
  name: string;
  /** The PlatformIO environment used. */
  env?: string;
  /** Absolute paths of .c/.cpp/.cc files to compile (a sketch's joined .ino is added by the build). */
  sources: string[];
  /** The sketch's .ino files, main one first (sketch projects only). */
  inoFiles: string[];
  /** Include folders, the project's own first. */
  includes: string[];
  /** NAME or NAME=VALUE, from build_flags and library.json flags. */
  defines: string[];
  libraries: LibraryInfo[];
  /** Flags from build_flags that are neither -D nor -I: reported, not used. */
  ignoredFlags: string[];
}

export interface ResolveOptions {
  /** PlatformIO environment (default: the project's default_envs, else its first env). */
  env?: string;
  /** Explicit source folders: makes the project "explicit" (no detection). */
  src?: string[];
  include?: string[];
  /** Extra library folders (each a library, or a folder of libraries). */
  lib?: string[];
}

const SOURCE_EXT = /\.(c|cc|cpp|cxx)$/i;
const SKIP_DIRS = new Set(['examples', 'example', 'test', 'tests', 'extras', 'docs', 'doc', '.git', '.github', '.pio', '.twincore', 'node_modules']);

/** Files below dir (recursive), skipping examples/tests/VCS folders. */
function walk(dir: string, out: string[] = [], skip = SKIP_DIRS): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!skip.has(e.name.toLowerCase())) walk(p, out, skip);
    } else if (e.isFile()) {
      out.push(p);
    }
  }
  return out;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** -D and -I from a flags string; the rest is returned as ignored. Relative -I paths are taken from base. */
export function splitFlags(flags: string, base: string): { defines: string[]; includes: string[]; ignored: string[] } {
  const defines: string[] = [];
  const includes: string[] = [];
  const ignored: string[] = [];
  const tokens = tokenize(flags);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '-D' || t === '-I') {
      const v = tokens[++i];
      if (v === undefined) break;
      (t === '-D' ? defines : includes).push(t === '-I' ? path.resolve(base, v) : v);
    } else if (t.startsWith('-D')) {
      defines.push(t.slice(2));
    } else if (t.startsWith('-I')) {
      includes.push(path.resolve(base, t.slice(2)));
    } else if (t) {
      ignored.push(t);
    }
  }
  return { defines, includes, ignored };
}

/** Shell-like word splitting with single/double quotes and backslash escapes. */
function tokenize(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** A library folder's sources, include folders and flags (library.json, then the Arduino layout). */
export function libraryLayout(dir: string): { name: string; sources: string[]; includes: string[]; defines: string[]; ignored: string[]; platforms?: string[] } {
  const manifest = readJson(path.join(dir, 'library.json'));
  let name = path.basename(dir);
  if (typeof manifest?.name === 'string') name = manifest.name;
  else {
    const props = path.join(dir, 'library.properties');
    if (existsSync(props)) {
      const m = /^name\s*=\s*(.+)$/m.exec(readFileSync(props, 'utf8'));
      if (m) name = m[1]!.trim();
    }
  }
  const build = (manifest?.build && typeof manifest.build === 'object' ? manifest.build : {}) as Record<string, unknown>;
  let srcDir = typeof build.srcDir === 'string' ? path.resolve(dir, build.srcDir) : isDir(path.join(dir, 'src')) ? path.join(dir, 'src') : dir;
  if (!isDir(srcDir)) srcDir = dir;
  const includes = [typeof build.includeDir === 'string' ? path.resolve(dir, build.includeDir) : srcDir];
  // The Arduino 1.0 layout (no src/): the root and its utility/ folder only.
  const files = srcDir === dir && !manifest?.build
    ? [...walk(dir, [], new Set([...SKIP_DIRS, 'src'])).filter((f) => path.dirname(f) === dir || path.dirname(f) === path.join(dir, 'utility'))]
    : walk(srcDir);
  const flags = typeof build.flags === 'string' ? build.flags : Array.isArray(build.flags) ? build.flags.join(' ') : '';
  const split = splitFlags(flags, dir);
  let platforms: string[] | undefined;
  const p = manifest?.platforms;
  if (typeof p === 'string') platforms = p.split(/[,\s]+/).filter(Boolean);
  else if (Array.isArray(p)) platforms = p.map(String);
  return {
    name,
    sources: files.filter((f) => SOURCE_EXT.test(f)),
    includes: [...includes, ...split.includes],
    defines: split.defines,
    ignored: split.ignored,
    platforms,
  };
}

/** Why the twin does not build this library, or undefined. */
function skipReason(dir: string, layout: ReturnType<typeof libraryLayout>): string | undefined {
  const provides = (h: string) => layout.includes.some((inc) => existsSync(path.join(inc, h)));
  if (provides('AsyncTCP.h') || /^asynctcp/i.test(layout.name)) return 'replaced by the twin\'s AsyncTCP';
  // twincore itself as a library (lib_deps = <this repository>): its core is the twin's, prebuilt.
  if (provides('tc_port.h') || /^twincore$/i.test(layout.name)) return 'twincore\'s core (built into the twin)';
  if (layout.platforms && !layout.platforms.some((p) => p === '*' || p === 'espressif32')) {
    return `not for espressif32 (platforms: ${layout.platforms.join(', ')})`;
  }
  return undefined;
}

/** Each library under a folder of libraries (lib/, .pio/libdeps/<env>/), or the folder itself if it is one. */
function librariesIn(dir: string, origin: LibraryInfo['origin']): LibraryInfo[] {
  if (!isDir(dir)) return [];
  const looksLikeLibrary = (d: string) =>
    existsSync(path.join(d, 'library.json')) || existsSync(path.join(d, 'library.properties')) || isDir(path.join(d, 'src'));
  if (origin === 'explicit' && looksLikeLibrary(dir)) return [{ name: path.basename(dir), dir, origin }];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => ({ name: e.name, dir: path.join(dir, e.name), origin }));
}

function addLibraries(project: FirmwareProject, libs: LibraryInfo[]): void {
  for (const lib of libs) {
    const layout = libraryLayout(lib.dir);
    lib.name = layout.name;
    lib.skipped = skipReason(lib.dir, layout);
    // The same library twice (lib/ and libdeps, or two versions): the first one wins, as in PlatformIO.
    if (project.libraries.some((l) => !l.skipped && l.name === lib.name)) lib.skipped ??= 'a library of the same name comes first';
    project.libraries.push(lib);
    if (lib.skipped) continue;
    project.sources.push(...layout.sources);
    project.includes.push(...layout.includes);
    project.defines.push(...layout.defines);
    project.ignoredFlags.push(...layout.ignored);
  }
}

/** Sources under src_dir after PlatformIO's build_src_filter (+<glob> / -<glob>, relative to src_dir). */
export function applySrcFilter(srcDir: string, filter: string | undefined): string[] {
  const all = walk(srcDir, [], new Set(['.git', '.pio', '.twincore', 'node_modules']));
  if (!filter || !filter.trim()) return all.filter((f) => SOURCE_EXT.test(f));
  const selected = new Set<string>();
  const re = /([+-])<([^>]*)>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(filter))) {
    const [, sign, pattern] = m;
    const abs = path.resolve(srcDir, pattern!);
    const files = pattern!.includes('*') || pattern!.includes('?')
      ? walk(path.resolve(srcDir, pattern!.split(/[*?]/)[0]!.replace(/[^/]*$/, '') || '.'), [], new Set(['.git'])).filter((f) => globToRegExp(abs).test(f))
      : isDir(abs) ? walk(abs, [], new Set(['.git'])) : existsSync(abs) ? [abs] : [];
    for (const f of files) (sign === '+' ? selected.add(f) : selected.delete(f));
  }
  return [...selected].filter((f) => SOURCE_EXT.test(f)).sort();
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else {
        re += '.*'; // PlatformIO's "+<*>" means everything below
      }
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(/.*)?$`);
}

function resolvePlatformio(root: string, opts: ResolveOptions): FirmwareProject {
  const ini = parsePlatformioIni(path.join(root, 'platformio.ini'));
  const env: PioEnv = ini.env(opts.env);
  const project: FirmwareProject = {
    kind: 'platformio', root, name: path.basename(root), env: env.name,
    sources: [], inoFiles: [], includes: [], defines: [], libraries: [], ignoredFlags: [],
  };
  const srcDir = path.resolve(root, ini.platformio('src_dir') ?? 'src');
  const includeDir = path.resolve(root, ini.platformio('include_dir') ?? 'include');
  const libDir = path.resolve(root, ini.platformio('lib_dir') ?? 'lib');
  const libdepsDir = path.resolve(root, ini.platformio('libdeps_dir') ?? '.pio/libdeps', env.name);
  if (!isDir(srcDir)) throw new FirmwareProjectError(`${root}: platformio.ini's src_dir '${path.relative(root, srcDir) || '.'}' does not exist`);

  const sources = applySrcFilter(srcDir, env.get('build_src_filter') ?? env.get('src_filter'));
  const inos = walk(srcDir).filter((f) => /\.ino$/i.test(f));
  project.sources.push(...sources);
  project.inoFiles.push(...inos);
  project.includes.push(includeDir, srcDir);
  const flags = splitFlags(env.get('build_flags') ?? '', root);
  project.defines.push(...flags.defines);
  project.includes.push(...flags.includes);
  project.ignoredFlags.push(...flags.ignored);

  const ignore = new Set((env.get('lib_ignore') ?? '').split(/[\n,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean));
  const deps = (env.get('lib_deps') ?? '').split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
  // A lib_deps entry the twin replaces needs nothing installed; any other needs .pio/libdeps/<env>.
  const needInstall = deps.filter((d) => !/asynctcp/i.test(d));
  if (needInstall.length && !isDir(libdepsDir)) {
    throw new FirmwareProjectError(
      `${root}: the libraries of [env:${env.name}] are not installed (${needInstall.join(', ')}); ` +
      `run "pio pkg install -e ${env.name}" in the project first (twincore builds what PlatformIO installed under ${path.relative(root, libdepsDir)}/)`);
  }
  const libs = [...librariesIn(libDir, 'lib'), ...librariesIn(libdepsDir, 'libdeps')]
    .filter((l) => !ignore.has(l.name.toLowerCase()));
  addLibraries(project, libs);
  return project;
}

function resolveSketch(root: string): FirmwareProject {
  const name = path.basename(root);
  const main = path.join(root, `${name}.ino`);
  const others = readdirSync(root).filter((f) => /\.ino$/i.test(f) && f !== `${name}.ino`).sort().map((f) => path.join(root, f));
  const beside = readdirSync(root).filter((f) => SOURCE_EXT.test(f)).sort().map((f) => path.join(root, f));
  const below = isDir(path.join(root, 'src')) ? walk(path.join(root, 'src')).filter((f) => SOURCE_EXT.test(f)) : [];
  return {
    kind: 'sketch', root, name, sources: [...beside, ...below], inoFiles: [main, ...others],
    includes: [root], defines: [], libraries: [], ignoredFlags: [],
  };
}

/** Resolves a project folder (see the top of this file). Throws FirmwareProjectError with a message for a person. */
export function resolveProject(dir: string, opts: ResolveOptions = {}): FirmwareProject {
  const root = path.resolve(dir);
  if (!isDir(root)) throw new FirmwareProjectError(`${dir}: not a folder`);
  let project: FirmwareProject;
  if (opts.src?.length) {
    project = { kind: 'explicit', root, name: path.basename(root), sources: [], inoFiles: [], includes: [], defines: [], libraries: [], ignoredFlags: [] };
    for (const s of opts.src) {
      const abs = path.resolve(root, s);
      if (!isDir(abs)) throw new FirmwareProjectError(`--src ${s}: not a folder`);
      const files = walk(abs);
      project.sources.push(...files.filter((f) => SOURCE_EXT.test(f)));
      project.inoFiles.push(...files.filter((f) => /\.ino$/i.test(f)));
      project.includes.push(abs);
    }
  } else if (existsSync(path.join(root, 'platformio.ini'))) {
    project = resolvePlatformio(root, opts);
  } else if (existsSync(path.join(root, `${path.basename(root)}.ino`))) {
    project = resolveSketch(root);
  } else {
    const inos = readdirSync(root).filter((f) => /\.ino$/i.test(f));
    throw new FirmwareProjectError(
      `${dir}: not a firmware project: no platformio.ini, and no ${path.basename(root)}.ino` +
      (inos.length ? ` (an Arduino sketch's main file is named after its folder; found ${inos.join(', ')})` : '') +
      '; or name the folders with --src/--include/--lib');
  }
  for (const inc of opts.include ?? []) project.includes.push(path.resolve(root, inc));
  for (const lib of opts.lib ?? []) {
    const abs = path.resolve(root, lib);
    if (!isDir(abs)) throw new FirmwareProjectError(`--lib ${lib}: not a folder`);
    addLibraries(project, librariesIn(abs, 'explicit'));
  }
  if (!project.sources.length && !project.inoFiles.length) throw new FirmwareProjectError(`${dir}: no source files found`);
  return project;
}
