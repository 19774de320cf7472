// The C++ tests under AddressSanitizer + UBSan (see native-suite.ts).
import { describe, it } from 'vitest';

import { RUN_TIMEOUT_MS, runNativeSuite } from './native-suite.js';

describe('C++ tests, ASan + UBSan build', () => {
  it('all pass with no sanitizer report', () => runNativeSuite('asan'), RUN_TIMEOUT_MS + 10_000);
});
