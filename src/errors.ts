// Errors with stable codes. The addon throws plain Error/TypeError/RangeError objects carrying the
// same codes; fromNative() turns them into these classes.
//
// Option validation follows Node's own convention (ERR_INVALID_ARG_TYPE is a TypeError with a
// code): a wrong type is a TwincoreTypeError, a value out of range a TwincoreRangeError, both with
// code TC_INVALID_OPTION. Everything else is a TwincoreError subclass.

export type TwincoreErrorCode =
  | 'TC_INVALID_OPTION'
  | 'TC_FIRMWARE_UNKNOWN'
  | 'TC_FIRMWARE_CONFIG'
  | 'TC_DEVICE_START_FAILED'
  | 'TC_DEVICE_STOPPED'
  | 'TC_NATIVE_LOAD_FAILED'
  | 'TC_PROCESS_FAILED'
  | 'TC_SANITIZER_REPORT'
  | 'TC_UNSUPPORTED'
  | 'TC_USAGE'
  | 'TC_FIRMWARE_PROJECT'
  | 'TC_FIRMWARE_BUILD';

export interface CodedError extends Error {
  readonly code: TwincoreErrorCode;
}

export class TwincoreError extends Error implements CodedError {
  readonly code: TwincoreErrorCode;
  constructor(code: TwincoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class TwincoreTypeError extends TypeError implements CodedError {
  readonly code = 'TC_INVALID_OPTION' as const;
  constructor(message: string) {
    super(message);
    this.name = 'TwincoreTypeError';
  }
}

export class TwincoreRangeError extends RangeError implements CodedError {
  readonly code = 'TC_INVALID_OPTION' as const;
  constructor(message: string) {
    super(message);
    this.name = 'TwincoreRangeError';
  }
}

export class FirmwareUnknownError extends TwincoreError {
  constructor(message: string) {
    super('TC_FIRMWARE_UNKNOWN', message);
  }
}

export class FirmwareConfigError extends TwincoreError {
  constructor(message: string) {
    super('TC_FIRMWARE_CONFIG', message);
  }
}

export class DeviceStartError extends TwincoreError {
  /** Device log lines seen before the failure (they usually say why). */
  logs: string[] = [];
  constructor(message: string, options?: { cause?: unknown }) {
    super('TC_DEVICE_START_FAILED', message, options);
  }
}

export class DeviceStoppedError extends TwincoreError {
  constructor(message = 'the device was stopped') {
    super('TC_DEVICE_STOPPED', message);
  }
}

export class NativeLoadError extends TwincoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TC_NATIVE_LOAD_FAILED', message, options);
  }
}

/** The device process misbehaved: no READY line, died early, did not exit after SIGTERM. */
export class ProcessDeviceError extends TwincoreError {
  stderr = '';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TC_PROCESS_FAILED', message, options);
  }
}

export class SanitizerReportError extends TwincoreError {
  constructor(readonly reports: string[]) {
    super('TC_SANITIZER_REPORT', `${reports.length} sanitizer report(s):\n${reports.join('\n')}`);
  }
}

export class UnsupportedError extends TwincoreError {
  constructor(message: string) {
    super('TC_UNSUPPORTED', message);
  }
}

/** A firmware project that cannot be resolved: not a project, dependencies not installed, a bad platformio.ini. */
export class FirmwareProjectError extends TwincoreError {
  constructor(message: string) {
    super('TC_FIRMWARE_PROJECT', message);
  }
}

/** The firmware did not compile or link. `output` is the compiler's own output (user paths and lines). */
export class FirmwareBuildError extends TwincoreError {
  constructor(message: string, readonly output: string) {
    super('TC_FIRMWARE_BUILD', message);
  }
}

/** A command line that cannot be run (exit code 2). */
export class UsageError extends TwincoreError {
  constructor(message: string) {
    super('TC_USAGE', message);
  }
}

export function isTwincoreError(e: unknown): e is CodedError {
  if (!(e instanceof Error)) return false;
  const code: unknown = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('TC_');
}

/** Maps an error thrown by the addon (a plain Error with a TC_ code) to the classes above. */
export function fromNative(e: unknown): unknown {
  if (!(e instanceof Error) || isTwincoreInstance(e)) return e;
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case 'TC_INVALID_OPTION':
      return e instanceof RangeError ? new TwincoreRangeError(e.message) : new TwincoreTypeError(e.message);
    case 'TC_FIRMWARE_UNKNOWN':
      return new FirmwareUnknownError(e.message);
    case 'TC_FIRMWARE_CONFIG':
      return new FirmwareConfigError(e.message);
    case 'TC_DEVICE_START_FAILED':
      return new DeviceStartError(e.message, { cause: e });
    case 'TC_DEVICE_STOPPED':
      return new DeviceStoppedError(e.message);
    default:
      return e;
  }
}

function isTwincoreInstance(e: Error): boolean {
  return e instanceof TwincoreError || e instanceof TwincoreTypeError || e instanceof TwincoreRangeError;
}
