// utf8.cpp: incremental UTF-8 validator (see utf8.h).
#include "tc_utf8.h"

#include <cstring>

namespace twincore {
namespace ws {

bool Utf8Validator::feed(const uint8_t* p, size_t n) {
  if (_bad) return false;
  size_t i = 0;
  while (i < n) {
    if (_needed == 0) {
      // ASCII fast path, four bytes at a time.
      while (n - i >= 4) {
        uint32_t w;
        std::memcpy(&w, p + i, 4);
        if ((w & 0x80808080u) != 0) break;
        i += 4;
      }
      if (i == n) break;
      const uint8_t b = p[i++];
      if (b < 0x80) continue;
      if (b >= 0xC2 && b <= 0xDF) {
        _needed = 1;
      } else if (b == 0xE0) {
        _needed = 2;
        _lo = 0xA0;  // no overlong 3-byte forms
      } else if (b == 0xED) {
        _needed = 2;
        _hi = 0x9F;  // no surrogates
      } else if (b >= 0xE1 && b <= 0xEF) {
        _needed = 2;
      } else if (b == 0xF0) {
        _needed = 3;
        _lo = 0x90;  // no overlong 4-byte forms
      } else if (b >= 0xF1 && b <= 0xF3) {
        _needed = 3;
      } else if (b == 0xF4) {
        _needed = 3;
        _hi = 0x8F;  // nothing above U+10FFFF
      } else {
        _bad = 1;  // continuation byte without a lead, 0xC0/0xC1, 0xF5..0xFF
        return false;
      }
    } else {
      const uint8_t b = p[i++];
      if (b < _lo || b > _hi) {
        _bad = 1;
        return false;
      }
      --_needed;
      _lo = 0x80;
      _hi = 0xBF;
    }
  }
  return true;
}

bool isValidUtf8(const uint8_t* p, size_t n) {
  Utf8Validator v;
  return v.feed(p, n) && v.complete();
}

}  // namespace ws
}  // namespace twincore
