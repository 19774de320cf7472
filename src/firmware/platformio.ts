// platformio.ini as PlatformIO reads it, for what a host build needs: sections, multi-line values
// (continuation lines indented), `extends`, the common [env] section, and ${section.key} /
// ${sysenv.NAME} interpolation. Comments: lines starting with ';' or '#', and ' ;' inline.
import { readFileSync } from 'node:fs';

import { FirmwareProjectError } from '../errors.js';

export interface PioEnv {
  name: string;
  /** The option's value with [env] and `extends` applied and interpolated; undefined when unset. */
  get(key: string): string | undefined;
}

export interface PioIni {
  sections: Map<string, Map<string, string>>;
  envNames: string[];
  platformio(key: string): string | undefined;
  /** The named env, else default_envs' first, else the first [env:*]. */
  env(name?: string): PioEnv;
}

export function parseIniText(text: string, file = 'platformio.ini'): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*[;#]/.test(raw) || !raw.trim()) return;
    const line = raw.replace(/\s+;.*$/, '');
    const sec = /^\[([^\]]+)\]\s*$/.exec(line.trim());
    if (sec && !/^\s/.test(raw)) {
      current = new Map();
      sections.set(sec[1]!.trim(), current);
      lastKey = undefined;
      return;
    }
    if (/^\s/.test(raw) && current && lastKey !== undefined) {
      current.set(lastKey, `${current.get(lastKey)}\n${line.trim()}`.replace(/^\n/, ''));
      return;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!kv || !current) throw new FirmwareProjectError(`${file}:${i + 1}: cannot read '${raw.trim()}'`);
    lastKey = kv[1]!.trim();
    current.set(lastKey, kv[2]!.trim());
  });
  return sections;
}

export function parsePlatformioIni(file: string): PioIni {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FirmwareProjectError(`${file}: ${(e as Error).message}`);
  }
  const sections = parseIniText(text, file);
  const envNames = [...sections.keys()].filter((s) => s.startsWith('env:')).map((s) => s.slice(4));

  const raw = (section: string, key: string, seen = new Set<string>()): string | undefined => {
    if (seen.has(section)) return undefined;
    seen.add(section);
    const s = sections.get(section);
    if (s?.has(key)) return s.get(key);
    const ext = s?.get('extends');
    if (ext) {
      for (const parent of ext.split(/[\n,]+/).map((x) => x.trim()).filter(Boolean)) {
        const v = raw(parent, key, seen);
        if (v !== undefined) return v;
      }
    }
    if (section.startsWith('env:') && section !== 'env') return raw('env', key, seen);
    return undefined;
  };
  const interpolate = (value: string, envSection: string, depth = 0): string =>
    depth > 10 ? value : value.replace(/\$\{([^}]+)\}/g, (_, ref: string) => {
      const dot = ref.lastIndexOf('.');
      if (dot < 0) return '';
      const sec = ref.slice(0, dot);
      const key = ref.slice(dot + 1);
      if (sec === 'sysenv') return process.env[key] ?? '';
      if (sec === 'this') return interpolate(raw(envSection, key) ?? '', envSection, depth + 1);
      return interpolate(raw(sec, key) ?? '', envSection, depth + 1);
    });

  return {
    sections,
    envNames,
    platformio: (key) => {
      const v = sections.get('platformio')?.get(key);
      return v === undefined ? undefined : interpolate(v, 'platformio');
    },
    env(name?: string): PioEnv {
      const defaults = (sections.get('platformio')?.get('default_envs') ?? '').split(/[\n,\s]+/).filter(Boolean);
      const chosen = name ?? defaults[0] ?? envNames[0];
      if (!chosen) throw new FirmwareProjectError(`${file}: no [env:...] section`);
      if (!envNames.includes(chosen)) {
        throw new FirmwareProjectError(`${file}: no environment '${chosen}' (it has: ${envNames.join(', ') || 'none'})`);
      }
      const section = `env:${chosen}`;
      return {
        name: chosen,
        get: (key) => {
          const v = raw(section, key);
          return v === undefined ? undefined : interpolate(v, section);
        },
      };
    },
  };
}
