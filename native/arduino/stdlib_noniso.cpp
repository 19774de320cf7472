// stdlib_noniso.cpp: the number<->text conversions of stdlib_noniso.h (their exact rules there).
#include "stdlib_noniso.h"

#include <math.h>
#include <string.h>

namespace {

const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

// Writes v in base (already validated) at out, most significant digit first; returns the end.
char* writeDigits(unsigned long long v, unsigned base, char* out) {
  char tmp[64];
  int n = 0;
  do {
    tmp[n++] = kDigits[v % base];
    v /= base;
  } while (v);
  while (n) *out++ = tmp[--n];
  *out = 0;
  return out;
}

// The arduino-esp32 form: '-' then the magnitude, in any base 2..16.
char* signedText(long long v, char* s, int radix) {
  if (radix < 2 || radix > 16) {
    *s = 0;
    return s;
  }
  char* out = s;
  unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  if (v < 0) *out++ = '-';
  writeDigits(mag, unsigned(radix), out);
  return s;
}

char* unsignedText(unsigned long long v, char* s, int radix) {
  if (radix < 2 || radix > 16) {
    *s = 0;
    return s;
  }
  writeDigits(v, unsigned(radix), s);
  return s;
}

}  // namespace

extern "C" {

char* utoa(unsigned int val, char* s, int radix) {
  if (radix < 2 || radix > 36) {
    *s = 0;
    return nullptr;
  }
  writeDigits(val, unsigned(radix), s);
  return s;
}

char* itoa(int val, char* s, int radix) {
  if (radix < 2 || radix > 36) {
    *s = 0;
    return nullptr;
  }
  if (radix == 10 && val < 0) {
    *s = '-';
    writeDigits(0ULL - (unsigned long long)(long long)val, 10, s + 1);
    return s;
  }
  writeDigits((unsigned int)val, unsigned(radix), s);
  return s;
}

char* ltoa(long val, char* s, int radix) { return signedText(val, s, radix); }
char* ultoa(unsigned long val, char* s, int radix) { return unsignedText(val, s, radix); }
char* lltoa(long long val, char* s, int radix) { return signedText(val, s, radix); }
char* ulltoa(unsigned long long val, char* s, int radix) { return unsignedText(val, s, radix); }

// The board's algorithm (so the same double gives the same digits): add half a unit of the last
// place, count the integer digits, scale to one integer digit and peel digits off by
// truncation, multiplying the remainder by ten.
char* dtostrf(double number, signed int width, unsigned int prec, char* s) {
  if (isnan(number)) {
    strcpy(s, "nan");
    return s;
  }
  if (isinf(number)) {
    strcpy(s, "inf");
    return s;
  }
  char* out = s;
  int pad = width;
  if (prec > 0) pad -= int(prec + 1);
  bool negative = number < 0.0;
  if (negative) {
    --pad;
    number = -number;
  }
  // Half a unit of the last place, computed as the board does it: 1 / (2 * 10^prec).
  double denom = 2.0;
  for (unsigned i = 0; i < prec; ++i) denom *= 10.0;
  number += 1.0 / denom;
  double scale = 1.0;
  unsigned intDigits = 1;
  while (number >= 10.0 * scale) {
    scale *= 10.0;
    ++intDigits;
  }
  number /= scale;
  pad -= int(intDigits);
  while (pad-- > 0) *out++ = ' ';
  if (negative) *out++ = '-';
  unsigned left = intDigits + prec;
  while (left-- > 0) {
    int d = int(number);
    if (d > 9) d = 9;
    if (d < 0) d = 0;
    *out++ = char('0' + d);
    if (left == prec && prec > 0) *out++ = '.';
    number = (number - d) * 10.0;
  }
  *out = 0;
  return s;
}

#ifdef TWIN_NEEDS_STRLCPY
size_t strlcpy(char* dst, const char* src, size_t size) {
  size_t n = strlen(src);
  if (size > 0) {
    size_t k = n < size - 1 ? n : size - 1;
    memcpy(dst, src, k);
    dst[k] = 0;
  }
  return n;
}

size_t strlcat(char* dst, const char* src, size_t size) {
  size_t d = strnlen(dst, size);
  if (d == size) return size + strlen(src);
  return d + strlcpy(dst + d, src, size - d);
}
#endif

}  // extern "C"
