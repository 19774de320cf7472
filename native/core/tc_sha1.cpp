// sha1.cpp: SHA-1 (see sha1.h).
#include "tc_sha1.h"

#include <cstring>

namespace twincore {
namespace ws {
namespace {

inline uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

}  // namespace

void Sha1::reset() {
  _h[0] = 0x67452301u;
  _h[1] = 0xEFCDAB89u;
  _h[2] = 0x98BADCFEu;
  _h[3] = 0x10325476u;
  _h[4] = 0xC3D2E1F0u;
  _total = 0;
}

void Sha1::block(const uint8_t* p) {
  uint32_t w[16];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t(p[4 * i]) << 24) | (uint32_t(p[4 * i + 1]) << 16) |
           (uint32_t(p[4 * i + 2]) << 8) | uint32_t(p[4 * i + 3]);
  }
  uint32_t a = _h[0], b = _h[1], c = _h[2], d = _h[3], e = _h[4];
  for (int t = 0; t < 80; ++t) {
    uint32_t wt;
    if (t < 16) {
      wt = w[t];
    } else {
      // Message schedule kept in a 16-word ring.
      wt = rol(w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15], 1);
      w[t & 15] = wt;
    }
    uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999u;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1u;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDCu;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6u;
    }
    const uint32_t tmp = rol(a, 5) + f + e + k + wt;
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = tmp;
  }
  _h[0] += a;
  _h[1] += b;
  _h[2] += c;
  _h[3] += d;
  _h[4] += e;
}

void Sha1::update(const uint8_t* data, size_t n) {
  size_t used = size_t(_total & 63);
  _total += n;
  if (used != 0) {
    const size_t take = (64 - used < n) ? 64 - used : n;
    std::memcpy(_buf + used, data, take);
    data += take;
    n -= take;
    used += take;
    if (used < 64) return;
    block(_buf);
  }
  while (n >= 64) {
    block(data);
    data += 64;
    n -= 64;
  }
  if (n != 0) std::memcpy(_buf, data, n);
}

void Sha1::finish(uint8_t out[kSha1DigestLen]) {
  const uint64_t bits = _total * 8;
  size_t used = size_t(_total & 63);
  _buf[used++] = 0x80;
  if (used > 56) {
    std::memset(_buf + used, 0, 64 - used);
    block(_buf);
    used = 0;
  }
  std::memset(_buf + used, 0, 56 - used);
  for (int i = 0; i < 8; ++i) _buf[56 + i] = uint8_t(bits >> (56 - 8 * i));
  block(_buf);
  for (int i = 0; i < 5; ++i) {
    out[4 * i] = uint8_t(_h[i] >> 24);
    out[4 * i + 1] = uint8_t(_h[i] >> 16);
    out[4 * i + 2] = uint8_t(_h[i] >> 8);
    out[4 * i + 3] = uint8_t(_h[i]);
  }
}

void sha1(const uint8_t* data, size_t n, uint8_t out[kSha1DigestLen]) {
  Sha1 s;
  s.update(data, n);
  s.finish(out);
}

}  // namespace ws
}  // namespace twincore
