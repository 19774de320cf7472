// IPAddress.cpp: Arduino's IPAddress on the host (rules: IPAddress.h).
#include "IPAddress.h"

#include <ctype.h>
#include <stdio.h>

#include "Print.h"

const IPAddress INADDR_NONE(0, 0, 0, 0);
const IPAddress IN6ADDR_ANY(IPv6);

bool IPAddress::fromString(const char* address) {
  if (!address) return false;
  return fromString4(address) || fromString6(address);
}

bool IPAddress::fromString4(const char* s) {
  uint8_t out[4];
  int part = 0;
  unsigned value = 0;
  int digits = 0;
  for (;; ++s) {
    char c = *s;
    if (c >= '0' && c <= '9') {
      value = value * 10 + unsigned(c - '0');
      if (++digits > 3 || value > 255) return false;
    } else if (c == '.' || c == 0) {
      if (digits == 0 || part > 3) return false;
      out[part++] = uint8_t(value);
      value = 0;
      digits = 0;
      if (c == 0) break;
    } else {
      return false;
    }
  }
  if (part != 4) return false;
  *this = IPAddress(out[0], out[1], out[2], out[3]);
  return true;
}

bool IPAddress::fromString6(const char* s) {
  uint16_t groups[8] = {0};
  int n = 0;          // groups written
  int gap = -1;       // index in groups where "::" stands
  uint8_t zone = 0;
  const char* p = s;
  if (p[0] == ':' && p[1] == ':') {
    gap = 0;
    p += 2;
  } else if (p[0] == ':') {
    return false;
  }
  while (*p && *p != '%') {
    // An IPv4 tail (a.b.c.d) takes the last two groups.
    const char* q = p;
    while (isxdigit(static_cast<unsigned char>(*q))) ++q;
    if (*q == '.') {
      IPAddress v4;
      const char* end = p;
      while (*end && *end != '%') ++end;
      char buf[16];
      size_t len = size_t(end - p);
      if (len >= sizeof buf || n > 6) return false;
      memcpy(buf, p, len);
      buf[len] = 0;
      if (!v4.fromString4(buf)) return false;
      groups[n++] = uint16_t(v4[0] << 8 | v4[1]);
      groups[n++] = uint16_t(v4[2] << 8 | v4[3]);
      p = end;
      break;
    }
    if (q == p || q - p > 4 || n >= 8) return false;
    unsigned v = 0;
    for (const char* d = p; d < q; ++d) {
      char c = char(tolower(static_cast<unsigned char>(*d)));
      v = v * 16 + unsigned(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    groups[n++] = uint16_t(v);
    p = q;
    if (*p == ':') {
      if (p[1] == ':') {
        if (gap >= 0) return false;
        gap = n;
        p += 2;
      } else {
        ++p;
        if (*p == 0 || *p == '%') return false;
      }
    }
  }
  if (*p == '%') {
    char* end = nullptr;
    unsigned long z = strtoul(p + 1, &end, 10);
    if (end == p + 1 || *end != 0 || z > 255) return false;
    zone = uint8_t(z);
  }
  if (gap < 0 && n != 8) return false;
  if (gap >= 0 && n > 7) return false;
  uint16_t full[8] = {0};
  if (gap < 0) {
    memcpy(full, groups, sizeof full);
  } else {
    int tail = n - gap;
    for (int i = 0; i < gap; ++i) full[i] = groups[i];
    for (int i = 0; i < tail; ++i) full[8 - tail + i] = groups[gap + i];
  }
  uint8_t bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[2 * i] = uint8_t(full[i] >> 8);
    bytes[2 * i + 1] = uint8_t(full[i]);
  }
  *this = IPAddress(IPv6, bytes, zone);
  return true;
}

String IPAddress::toString(bool includeZone) const {
  char buf[64];
  if (_type == IPv4) {
    snprintf(buf, sizeof buf, "%u.%u.%u.%u", _bytes[12], _bytes[13], _bytes[14], _bytes[15]);
    return String(buf);
  }
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = uint16_t(_bytes[2 * i] << 8 | _bytes[2 * i + 1]);
  // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes "::".
  int bestAt = -1, bestLen = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > bestLen && j - i >= 2) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  char* o = buf;
  for (int i = 0; i < 8; ++i) {
    if (i == bestAt) {
      *o++ = ':';
      *o++ = ':';
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i != bestAt + bestLen) *o++ = ':';
    o += snprintf(o, size_t(buf + sizeof buf - o), "%x", g[i]);
  }
  *o = 0;
  if (includeZone && _zone) snprintf(o, size_t(buf + sizeof buf - o), "%%%u", _zone);
  return String(buf);
}

size_t IPAddress::printTo(Print& p) const { return p.print(toString(true)); }
