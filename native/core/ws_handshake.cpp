// ws_handshake.cpp: opening-handshake helpers (see ws_handshake.h).
#include "ws_handshake.h"

#include <cstring>

#include "tc_base64.h"
#include "tc_sha1.h"

namespace twincore {
namespace ws {
namespace {

const char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

inline bool isOws(char c) { return c == ' ' || c == '\t'; }

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// Trims OWS on both sides of [*p, *p + *n).
void trim(const char** p, size_t* n) {
  const char* s = *p;
  size_t len = *n;
  while (len > 0 && isOws(s[0])) {
    ++s;
    --len;
  }
  while (len > 0 && isOws(s[len - 1])) --len;
  *p = s;
  *n = len;
}

bool equalToken(const char* a, size_t n, const char* token, bool caseless) {
  for (size_t i = 0; i < n; ++i) {
    const char t = token[i];
    if (t == '\0') return false;
    if (caseless ? lower(a[i]) != lower(t) : a[i] != t) return false;
  }
  return token[n] == '\0';
}

bool listHas(const char* value, size_t len, const char* token, bool caseless) {
  if (value == nullptr || token == nullptr || token[0] == '\0') return false;
  size_t start = 0;
  while (start <= len) {
    size_t end = start;
    while (end < len && value[end] != ',') ++end;
    const char* elem = value + start;
    size_t elemLen = end - start;
    trim(&elem, &elemLen);
    if (elemLen != 0 && equalToken(elem, elemLen, token, caseless)) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

bool computeAcceptKey(const char* key, size_t keyLen, char out[kAcceptKeyLen + 1]) {
  out[0] = '\0';
  if (key == nullptr) return false;
  trim(&key, &keyLen);
  if (keyLen == 0) return false;
  Sha1 s;
  s.update(reinterpret_cast<const uint8_t*>(key), keyLen);
  s.update(reinterpret_cast<const uint8_t*>(kGuid), sizeof(kGuid) - 1);
  uint8_t digest[kSha1DigestLen];
  s.finish(digest);
  return base64Encode(digest, sizeof(digest), out, kAcceptKeyLen + 1) == kAcceptKeyLen;
}

bool isValidClientKey(const char* key, size_t len) {
  if (key == nullptr) return false;
  trim(&key, &len);
  return len == 24 && base64DecodedSize(key, len) == 16;
}

bool headerHasToken(const char* value, size_t len, const char* token) {
  return listHas(value, len, token, true);
}

int selectSubprotocol(const char* offered, size_t len, const char* const* supported, size_t nSupported) {
  if (supported == nullptr) return -1;
  for (size_t i = 0; i < nSupported; ++i) {
    if (listHas(offered, len, supported[i], false)) return int(i);
  }
  return -1;
}

}  // namespace ws
}  // namespace twincore
