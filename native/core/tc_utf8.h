// utf8.h: incremental UTF-8 validator (RFC 3629): rejects overlong forms, surrogates
// U+D800..U+DFFF, code points above U+10FFFF, stray or missing continuation bytes, and the bytes
// 0xC0, 0xC1, 0xF5..0xFF. A sequence may be split across feed() calls (frames, TCP segments).
//
// Threading: no shared state; one instance per connection, used by one thread at a time.
// Size: 4 bytes (sizeof(Utf8Validator) == 4 on every target).
#pragma once
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace ws {

class Utf8Validator {
 public:
  // Validates the next n bytes. Returns false once the input so far is not a prefix of valid
  // UTF-8; the result is sticky until reset().
  bool feed(const uint8_t* p, size_t n);
  // True if the input so far is valid and does not end inside a multi-byte sequence.
  bool complete() const { return !_bad && _needed == 0; }
  // True if the input so far is a valid prefix (possibly ending mid-sequence).
  bool ok() const { return !_bad; }
  void reset() {
    _needed = 0;
    _lo = 0x80;
    _hi = 0xBF;
    _bad = 0;
  }

 private:
  uint8_t _needed = 0;  // continuation bytes still expected
  uint8_t _lo = 0x80;   // allowed range for the next continuation byte
  uint8_t _hi = 0xBF;
  uint8_t _bad = 0;     // sticky failure
};

// One-shot helper: true if [p, p+n) is complete, valid UTF-8.
bool isValidUtf8(const uint8_t* p, size_t n);

}  // namespace ws
}  // namespace twincore
