// The built-in firmwares' config keys and ranges, checked before a run boots anything, so a typo
// in `--config` is a usage error on one line whatever the target (the device process would only
// say "start failed"). The firmware checks again when it boots: this is the same table as
// firmware/host/registry.cpp referenceConfig()/echoConfig(), with its messages.
import { FirmwareConfigError } from '../errors.js';

type Rule = { kind: 'u32'; min: number; max: number } | { kind: 'bool' } | { kind: 'path' };

const U32 = (min: number, max: number): Rule => ({ kind: 'u32', min, max });

const RULES: Readonly<Record<string, Readonly<Record<string, Rule>>>> = {
  reference: {
    port: U32(0, 65535), wsPath: { kind: 'path' }, maxMessage: U32(1, 16 * 1024 * 1024), maxClients: U32(1, 4096),
    keepAliveSec: U32(0, 65535), closeOnQueueFull: { kind: 'bool' }, logEvents: { kind: 'bool' },
    rate: U32(0, 1000), size: U32(52, 64 * 1024), count: U32(0, 1_000_000_000),
  },
  echo: { tickMs: U32(0, 3_600_000), port: U32(0, 65535) },
};

/** Throws FirmwareConfigError (TC_FIRMWARE_CONFIG) for a key or value the firmware would refuse. */
export function checkFirmwareConfig(firmware: string, config: Readonly<Record<string, string>>): void {
  const rules = RULES[firmware];
  if (!rules) return;
  for (const [key, value] of Object.entries(config)) {
    const rule = rules[key];
    if (!rule) throw new FirmwareConfigError(`unknown config key '${key}' for firmware '${firmware}' (known: ${Object.keys(rules).join(', ')})`);
    if (rule.kind === 'bool') {
      if (!['true', 'false', '1', '0'].includes(value)) throw new FirmwareConfigError(`config '${key}' must be true, false, 1 or 0, got '${value}'`);
    } else if (rule.kind === 'u32') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < rule.min || n > rule.max) {
        throw new FirmwareConfigError(`config '${key}' must be an integer ${rule.min}..${rule.max}, got '${value}'`);
      }
    } else {
      const ok = value.length >= 1 && value.length <= 64 && value.startsWith('/') && /^[\x21-\x7e]+$/.test(value) && !/[?#"\\]/.test(value);
      if (value === '/' || value === '/stats') throw new FirmwareConfigError(`config '${key}' must not be '/' or '/stats' (the dashboard and the counters live there)`);
      if (!ok) throw new FirmwareConfigError(`config '${key}' must be a path starting with '/' (1..64 printable characters, no ?#"\\), got '${value}'`);
    }
  }
}
