// The C++ tests under ThreadSanitizer (see native-suite.ts).
import { describe, it } from 'vitest';

import { RUN_TIMEOUT_MS, runNativeSuite } from './native-suite.js';

describe('C++ tests, TSan build', () => {
  it('all pass with no data race reported', () => runNativeSuite('tsan'), RUN_TIMEOUT_MS + 10_000);
});
