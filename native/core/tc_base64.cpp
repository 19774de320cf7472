// base64.cpp: base64 encode and canonical-form check (see base64.h).
#include "tc_base64.h"

namespace twincore {
namespace ws {
namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of a base64 alphabet character, or -1.
int valueOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

size_t base64Encode(const uint8_t* in, size_t n, char* out, size_t cap) {
  const size_t maxIn = (static_cast<size_t>(-1) / 4 - 1) * 3;  // keeps the length arithmetic exact
  if (out == nullptr || cap == 0 || n > maxIn) return 0;
  const size_t len = base64EncodedLen(n);
  if (cap < len + 1) {
    out[0] = '\0';
    return 0;
  }
  size_t o = 0;
  size_t i = 0;
  for (; n - i >= 3; i += 3) {
    const uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8) | in[i + 2];
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t(in[i]) << 16;
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8);
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

int base64DecodedSize(const char* s, size_t n) {
  if (n == 0) return 0;
  if (s == nullptr || n % 4 != 0 || n / 4 > size_t(0x7FFFFFFF) / 3) return -1;
  size_t pad = 0;
  if (s[n - 1] == '=') pad = (s[n - 2] == '=') ? 2 : 1;
  const size_t data = n - pad;
  for (size_t i = 0; i < data; ++i) {
    if (valueOf(s[i]) < 0) return -1;
  }
  // Canonical: the bits of the last data character that fall beyond the decoded bytes are zero.
  if (pad == 1 && (valueOf(s[data - 1]) & 0x03) != 0) return -1;
  if (pad == 2 && (valueOf(s[data - 1]) & 0x0F) != 0) return -1;
  return int(n / 4 * 3 - pad);
}

}  // namespace ws
}  // namespace twincore
