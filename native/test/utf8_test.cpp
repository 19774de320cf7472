// utf8_test.cpp: the incremental UTF-8 validator (tc_utf8.h).
#include <string>
#include <vector>

#include "tc_test.h"
#include "tc_utf8.h"

using twincore::ws::isValidUtf8;
using twincore::ws::Utf8Validator;

namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(uint8_t(b));
  return out;
}

std::vector<uint8_t> str(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// Validates `in` whole, then split at every boundary, then byte by byte; all must agree with
// `valid` (complete and valid), and report the same verdict.
void expectUtf8(const std::vector<uint8_t>& in, bool valid, int line) {
  const uint8_t* p = in.data();
  const size_t n = in.size();
  CHECK_MSG(isValidUtf8(p, n) == valid, "whole input, sample at line " << line);
  for (size_t cut = 0; cut <= n; ++cut) {
    Utf8Validator v;
    const bool a = v.feed(p, cut);
    const bool b = v.feed(p + cut, n - cut);
    CHECK_MSG(((a && b && v.complete()) == valid), "cut at " << cut << ", sample at line " << line);
  }
  Utf8Validator v;
  bool ok = true;
  for (size_t i = 0; i < n; ++i) ok = v.feed(p + i, 1) && ok;
  CHECK_MSG((ok && v.complete()) == valid, "byte by byte, sample at line " << line);
}

}  // namespace

TEST(utf8_size_is_four_bytes) { CHECK_EQ(sizeof(Utf8Validator), 4u); }

TEST(utf8_accepts_valid_text) {
  expectUtf8(str(""), true, __LINE__);
  expectUtf8(str("Hello, world"), true, __LINE__);
  expectUtf8(str("\xC2\xA9 caf\xC3\xA9"), true, __LINE__);                 // 2-byte
  expectUtf8(str("\xE2\x82\xAC \xEF\xBF\xBF"), true, __LINE__);            // 3-byte, U+FFFF
  expectUtf8(str("\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"), true, __LINE__);    // emoji, U+10FFFF
  expectUtf8(bytes({0xC2, 0x80}), true, __LINE__);                         // U+0080
  expectUtf8(bytes({0xE0, 0xA0, 0x80}), true, __LINE__);                   // U+0800
  expectUtf8(bytes({0xED, 0x9F, 0xBF}), true, __LINE__);                   // U+D7FF
  expectUtf8(bytes({0xEE, 0x80, 0x80}), true, __LINE__);                   // U+E000
  expectUtf8(bytes({0xF0, 0x90, 0x80, 0x80}), true, __LINE__);             // U+10000
  expectUtf8(bytes({0x00, 0x7F}), true, __LINE__);                         // NUL and DEL are valid
  expectUtf8(str("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 long ascii run 0123456789"), true,
             __LINE__);
}

TEST(utf8_rejects_overlongs) {
  expectUtf8(bytes({0xC0, 0x80}), false, __LINE__);
  expectUtf8(bytes({0xC1, 0xBF}), false, __LINE__);
  expectUtf8(bytes({0xE0, 0x80, 0xAF}), false, __LINE__);
  expectUtf8(bytes({0xE0, 0x9F, 0xBF}), false, __LINE__);
  expectUtf8(bytes({0xF0, 0x80, 0x80, 0xAF}), false, __LINE__);
  expectUtf8(bytes({0xF0, 0x8F, 0xBF, 0xBF}), false, __LINE__);
}

TEST(utf8_rejects_surrogates_and_out_of_range) {
  expectUtf8(bytes({0xED, 0xA0, 0x80}), false, __LINE__);  // U+D800
  expectUtf8(bytes({0xED, 0xBF, 0xBF}), false, __LINE__);  // U+DFFF
  expectUtf8(bytes({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80}), false, __LINE__);  // CESU pair
  expectUtf8(bytes({0xF4, 0x90, 0x80, 0x80}), false, __LINE__);  // U+110000
  expectUtf8(bytes({0xF5, 0x80, 0x80, 0x80}), false, __LINE__);
  expectUtf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80}), false, __LINE__);
  expectUtf8(bytes({0xFE}), false, __LINE__);
  expectUtf8(bytes({0xFF}), false, __LINE__);
}

TEST(utf8_rejects_bad_continuations) {
  expectUtf8(bytes({0x80}), false, __LINE__);
  expectUtf8(bytes({0x41, 0xBF, 0x41}), false, __LINE__);
  expectUtf8(bytes({0xC3, 0x41}), false, __LINE__);
  expectUtf8(bytes({0xE2, 0x82, 0x41}), false, __LINE__);
  expectUtf8(bytes({0xF0, 0x9F, 0x98, 0xC3, 0xA9}), false, __LINE__);
  expectUtf8(bytes({0xC3, 0xA9, 0xA9}), false, __LINE__);
}

TEST(utf8_truncated_sequence_is_incomplete_not_invalid) {
  const std::vector<uint8_t> cut = bytes({0x61, 0xF0, 0x9F, 0x98});
  Utf8Validator v;
  CHECK(v.feed(cut.data(), cut.size()));  // a valid prefix
  CHECK(v.ok());
  CHECK(!v.complete());
  const uint8_t last = 0x80;
  CHECK(v.feed(&last, 1));
  CHECK(v.complete());
  expectUtf8(cut, false, __LINE__);
  expectUtf8(bytes({0xE2, 0x82}), false, __LINE__);
}

TEST(utf8_failure_is_sticky_until_reset) {
  Utf8Validator v;
  const uint8_t bad = 0xFF;
  const uint8_t good = 'a';
  CHECK(!v.feed(&bad, 1));
  CHECK(!v.feed(&good, 1));
  CHECK(!v.complete());
  CHECK(!v.ok());
  v.reset();
  CHECK(v.feed(&good, 1));
  CHECK(v.complete());
  CHECK(v.feed(nullptr, 0));
}

TEST(utf8_exhaustive_two_byte_sequences_match_reference) {
  // Reference: decode by hand and check the scalar-value rules.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const uint8_t s[2] = {uint8_t(a), uint8_t(b)};
      bool expect;
      if (a < 0x80) {
        expect = b < 0x80;
      } else if (a >= 0xC2 && a <= 0xDF) {
        expect = b >= 0x80 && b <= 0xBF;
      } else {
        expect = false;
      }
      CHECK_MSG(isValidUtf8(s, 2) == expect, "bytes " << a << "," << b);
    }
  }
}

TEST(utf8_exhaustive_code_points_roundtrip) {
  // Every scalar value encoded by hand must validate; every surrogate must not.
  int bad = 0;
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    uint8_t s[4];
    size_t n;
    if (cp < 0x80) {
      s[0] = uint8_t(cp);
      n = 1;
    } else if (cp < 0x800) {
      s[0] = uint8_t(0xC0 | (cp >> 6));
      s[1] = uint8_t(0x80 | (cp & 0x3F));
      n = 2;
    } else if (cp < 0x10000) {
      s[0] = uint8_t(0xE0 | (cp >> 12));
      s[1] = uint8_t(0x80 | ((cp >> 6) & 0x3F));
      s[2] = uint8_t(0x80 | (cp & 0x3F));
      n = 3;
    } else {
      s[0] = uint8_t(0xF0 | (cp >> 18));
      s[1] = uint8_t(0x80 | ((cp >> 12) & 0x3F));
      s[2] = uint8_t(0x80 | ((cp >> 6) & 0x3F));
      s[3] = uint8_t(0x80 | (cp & 0x3F));
      n = 4;
    }
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (isValidUtf8(s, n) == surrogate) ++bad;
  }
  CHECK_EQ(bad, 0);
}
