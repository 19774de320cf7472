// Validation and defaulting of device options, shared by the in-process Device and the
// ProcessDevice. The addon validates again (it never trusts its caller).
import { DEVICE_DEFAULTS, MAX_NAME_LENGTH, PROFILE_LIMITS, PROFILES, type Profile, type ProfileName } from './defaults.js';
import { TwincoreRangeError, TwincoreTypeError } from './errors.js';

/** A named profile, or overrides on one: `{ name: 'esp32c3', maxConnections: 4 }` starts from
 *  esp32c3; an object whose name is not a known profile starts from esp32 and keeps its name. */
export type ProfileInput = ProfileName | (string & {}) | Partial<Profile>;

export type ConfigInput = Record<string, string | number | boolean>;

export interface DeviceOptions {
  /** Firmware to boot (firmware/host/registry.cpp). Default 'echo'. */
  firmware?: string;
  /** Firmware config; numbers and booleans are passed as their decimal/`true`/`false` text. */
  config?: ConfigInput;
  /** Default 'esp32'. */
  profile?: ProfileInput;
  /** Recent log lines kept in `device.logs`. Default 1000. */
  logCapacity?: number;
}

export interface ResolvedDeviceOptions {
  firmware: string;
  config: Record<string, string>;
  profile: Profile;
  logCapacity: number;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkInt(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TwincoreTypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TwincoreRangeError(`${what} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/** checkInt for an optional value: `def` when it is undefined. */
export function optInt(value: unknown, what: string, def: number, min: number, max: number): number {
  return value === undefined ? def : checkInt(value, what, min, max);
}

export function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TwincoreTypeError(`${what} must be a string, got ${typeof value}`);
  if (value.length < 1 || value.length > MAX_NAME_LENGTH) {
    throw new TwincoreRangeError(`${what} must be 1..${MAX_NAME_LENGTH} characters long`);
  }
  return value;
}

export function resolveProfile(input: unknown): Profile {
  if (input === undefined) return { ...PROFILES[DEVICE_DEFAULTS.profile]! };
  if (typeof input === 'string') {
    const p = PROFILES[input];
    if (!p) {
      throw new TwincoreRangeError(`options.profile: unknown profile '${input}' (known: ${Object.keys(PROFILES).join(', ')})`);
    }
    return { ...p };
  }
  if (!isPlainObject(input)) throw new TwincoreTypeError('options.profile must be a profile name or an object');
  const name = input.name === undefined ? DEVICE_DEFAULTS.profile : checkName(input.name, 'options.profile.name');
  const out: Profile = { ...(PROFILES[name] ?? PROFILES[DEVICE_DEFAULTS.profile]!), name };
  for (const [key, value] of Object.entries(input)) {
    if (key === 'name' || value === undefined) continue;
    if (key === 'dualCore') {
      if (typeof value !== 'boolean') throw new TwincoreTypeError('options.profile.dualCore must be a boolean');
      out.dualCore = value;
      continue;
    }
    const limits = (PROFILE_LIMITS as Record<string, readonly [number, number]>)[key];
    if (!limits) throw new TwincoreTypeError(`options.profile.${key} is not a profile field`);
    (out as unknown as Record<string, number>)[key] = checkInt(value, `options.profile.${key}`, limits[0], limits[1]);
  }
  return out;
}

export function resolveConfig(input: unknown): Record<string, string> {
  if (input === undefined) return {};
  if (!isPlainObject(input)) throw new TwincoreTypeError('options.config must be an object');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!key) throw new TwincoreRangeError('options.config keys must not be empty');
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value);
    else if (typeof value === 'boolean') out[key] = String(value);
    else throw new TwincoreTypeError(`options.config.${key} must be a string, a finite number or a boolean`);
  }
  return out;
}

export function resolveDeviceOptions(options: unknown): ResolvedDeviceOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw new TwincoreTypeError('options must be an object');
  const known = new Set(['firmware', 'config', 'profile', 'logCapacity']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TwincoreTypeError(`options.${key} is not a device option`);
  }
  return {
    firmware: options.firmware === undefined ? DEVICE_DEFAULTS.firmware : checkName(options.firmware, 'options.firmware'),
    config: resolveConfig(options.config),
    profile: resolveProfile(options.profile),
    logCapacity: options.logCapacity === undefined
      ? DEVICE_DEFAULTS.logCapacity
      : checkInt(options.logCapacity, 'options.logCapacity', 0, 1_000_000),
  };
}
