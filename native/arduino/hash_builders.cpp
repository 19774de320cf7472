// hash_builders.cpp: HEXBuilder, HashBuilder, MD5Builder (RFC 1321) and SHA1Builder
// (FIPS 180-4), written from the specifications.
#include <stdio.h>

#include "MD5Builder.h"
#include "SHA1Builder.h"

// ---------------------------------------------------------------- hex

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
const char kHex[] = "0123456789abcdef";
}  // namespace

size_t HEXBuilder::hex2bytes(unsigned char* out, size_t maxlen, const char* in) {
  if (!in) return 0;
  size_t digits = 0;
  for (; *in; ++in) {
    int v = hexValue(*in);
    if (v < 0) continue;
    size_t at = digits / 2;
    if (out && at < maxlen) {
      if (digits % 2 == 0) {
        out[at] = uint8_t(v << 4);
      } else {
        out[at] = uint8_t(out[at] | v);
      }
    }
    ++digits;
  }
  return (digits + 1) / 2;
}

size_t HEXBuilder::bytes2hex(char* out, size_t maxlen, const unsigned char* in, size_t len) {
  if (!out || maxlen == 0) return 0;
  size_t n = 0;
  for (size_t i = 0; i < len && n + 2 < maxlen; ++i) {
    out[n++] = kHex[in[i] >> 4];
    out[n++] = kHex[in[i] & 0xf];
  }
  out[n] = 0;
  return n;
}

String HEXBuilder::bytes2hex(const unsigned char* in, size_t len) {
  String s;
  if (!s.reserve(unsigned(len * 2))) return s;
  for (size_t i = 0; i < len; ++i) {
    s += kHex[in[i] >> 4];
    s += kHex[in[i] & 0xf];
  }
  return s;
}

bool HEXBuilder::isHexString(const char* str, size_t len) {
  if (!str) return false;
  for (size_t i = 0; i < len; ++i) {
    if (hexValue(str[i]) < 0) return false;
  }
  return true;
}

bool HEXBuilder::isHexString(const char* str) { return str && isHexString(str, strlen(str)); }

void HashBuilder::addHexString(const char* data) {
  if (!data) return;
  size_t n = hex2bytes(nullptr, 0, data);
  uint8_t small[64];
  uint8_t* buf = n <= sizeof small ? small : new uint8_t[n];
  hex2bytes(buf, n, data);
  add(buf, n);
  if (buf != small) delete[] buf;
}

bool HashBuilder::addFromStream(Stream& stream, size_t maxLen) {
  uint8_t buf[128];
  size_t total = 0;
  while (total < maxLen) {
    int avail = stream.available();
    if (avail <= 0) break;
    size_t want = maxLen - total;
    if (want > sizeof buf) want = sizeof buf;
    if (size_t(avail) < want) want = size_t(avail);
    size_t got = stream.readBytes(buf, want);
    if (got == 0) break;
    add(buf, got);
    total += got;
  }
  return total > 0;
}

// ---------------------------------------------------------------- MD5

namespace {
inline uint32_t rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

// Per-round shift amounts and the sine-derived constants T[i] = floor(2^32 * |sin(i + 1)|).
const unsigned kMd5Shift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
const uint32_t kMd5T[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

void toHex(const uint8_t* in, size_t n, char* out) {
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[in[i] >> 4];
    out[2 * i + 1] = kHex[in[i] & 0xf];
  }
  out[2 * n] = 0;
}
}  // namespace

void MD5Builder::begin() {
  _state[0] = 0x67452301;
  _state[1] = 0xefcdab89;
  _state[2] = 0x98badcfe;
  _state[3] = 0x10325476;
  _bytes = 0;
  memset(_digest, 0, sizeof _digest);
}

void MD5Builder::compress(const uint8_t* p) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i)
    m[i] = uint32_t(p[4 * i]) | uint32_t(p[4 * i + 1]) << 8 | uint32_t(p[4 * i + 2]) << 16 | uint32_t(p[4 * i + 3]) << 24;
  uint32_t a = _state[0], b = _state[1], c = _state[2], d = _state[3];
  for (int i = 0; i < 64; ++i) {
    uint32_t f;
    int g;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    uint32_t next = b + rotl(a + f + kMd5T[i] + m[g], kMd5Shift[i]);
    a = d;
    d = c;
    c = b;
    b = next;
  }
  _state[0] += a;
  _state[1] += b;
  _state[2] += c;
  _state[3] += d;
}

void MD5Builder::add(const uint8_t* data, size_t len) {
  if (!data) return;
  size_t used = size_t(_bytes % 64);
  _bytes += len;
  while (len > 0) {
    size_t n = 64 - used < len ? 64 - used : len;
    memcpy(_block + used, data, n);
    used += n;
    data += n;
    len -= n;
    if (used == 64) {
      compress(_block);
      used = 0;
    }
  }
}

void MD5Builder::calculate() {
  uint64_t bits = _bytes * 8;
  uint8_t pad[72] = {0x80};
  size_t used = size_t(_bytes % 64);
  size_t padLen = used < 56 ? 56 - used : 120 - used;
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(bits >> (8 * i));  // little-endian length
  add(pad, padLen);
  add(len, 8);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) _digest[4 * i + j] = uint8_t(_state[i] >> (8 * j));
}

void MD5Builder::getBytes(uint8_t* output) { memcpy(output, _digest, sizeof _digest); }
void MD5Builder::getChars(char* output) { toHex(_digest, sizeof _digest, output); }
String MD5Builder::toString() {
  char out[2 * ESP_ROM_MD5_DIGEST_LEN + 1];
  getChars(out);
  return String(out);
}

// ---------------------------------------------------------------- SHA-1

void SHA1Builder::begin() {
  _state[0] = 0x67452301;
  _state[1] = 0xefcdab89;
  _state[2] = 0x98badcfe;
  _state[3] = 0x10325476;
  _state[4] = 0xc3d2e1f0;
  _bytes = 0;
  memset(_digest, 0, sizeof _digest);
}

void SHA1Builder::compress(const uint8_t* p) {
  uint32_t w[80];
  for (int i = 0; i < 16; ++i)
    w[i] = uint32_t(p[4 * i]) << 24 | uint32_t(p[4 * i + 1]) << 16 | uint32_t(p[4 * i + 2]) << 8 | uint32_t(p[4 * i + 3]);
  for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = _state[0], b = _state[1], c = _state[2], d = _state[3], e = _state[4];
  for (int i = 0; i < 80; ++i) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    uint32_t t = rotl(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  _state[0] += a;
  _state[1] += b;
  _state[2] += c;
  _state[3] += d;
  _state[4] += e;
}

void SHA1Builder::add(const uint8_t* data, size_t len) {
  if (!data) return;
  size_t used = size_t(_bytes % 64);
  _bytes += len;
  while (len > 0) {
    size_t n = 64 - used < len ? 64 - used : len;
    memcpy(_block + used, data, n);
    used += n;
    data += n;
    len -= n;
    if (used == 64) {
      compress(_block);
      used = 0;
    }
  }
}

void SHA1Builder::calculate() {
  uint64_t bits = _bytes * 8;
  uint8_t pad[72] = {0x80};
  size_t used = size_t(_bytes % 64);
  size_t padLen = used < 56 ? 56 - used : 120 - used;
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(bits >> (56 - 8 * i));  // big-endian length
  add(pad, padLen);
  add(len, 8);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) _digest[4 * i + j] = uint8_t(_state[i] >> (24 - 8 * j));
}

void SHA1Builder::getBytes(uint8_t* output) { memcpy(output, _digest, sizeof _digest); }
void SHA1Builder::getChars(char* output) { toHex(_digest, sizeof _digest, output); }
String SHA1Builder::toString() {
  char out[2 * SHA1_HASH_SIZE + 1];
  getChars(out);
  return String(out);
}
