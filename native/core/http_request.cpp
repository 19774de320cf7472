// http_request.cpp: bounded HTTP/1.1 request-head parser (see http_request.h).
#include "http_request.h"

#include <cstring>

#include "tc_heap.h"

namespace twincore {
namespace ws {
namespace {

constexpr uint16_t kInitialCap = 512;

// RFC 9110 tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA.
bool isTchar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

inline bool isOws(uint8_t c) { return c == ' ' || c == '\t'; }

// field-content octets: VCHAR, obs-text, SP, HTAB.
inline bool isFieldByte(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7F); }

inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? uint8_t(c - 'A' + 'a') : c; }

bool equalCaseless(const uint8_t* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (lower(a[i]) != lower(uint8_t(b[i]))) return false;
  }
  return true;
}

void reverse(uint8_t* p, size_t n) {
  for (size_t i = 0, j = n; i + 1 < j; ++i, --j) {
    const uint8_t t = p[i];
    p[i] = p[j - 1];
    p[j - 1] = t;
  }
}

// Moves [p+mid, p+n) in front of [p, p+mid), in place.
void rotate(uint8_t* p, size_t mid, size_t n) {
  reverse(p, mid);
  reverse(p + mid, n - mid);
  reverse(p, n);
}

}  // namespace

HttpRequestParser::HttpRequestParser(const HttpLimits& limits) : _limits(limits) {}

HttpRequestParser::~HttpRequestParser() { heap::free(_buf, _cap); }

void HttpRequestParser::release() {
  heap::free(_buf, _cap);
  _buf = nullptr;
  _cap = _len = _lineStart = _w = _sp1 = _sp2 = _pathOff = _queryOff = _hdrStart = _status = 0;
  _state = kRequestLine;
  _nHeaders = 0;
  _minor = 0;
}

HttpRequestParser::Result HttpRequestParser::fail(uint16_t status) {
  heap::free(_buf, _cap);  // nothing is readable after an error; give the memory back now
  _buf = nullptr;
  _cap = _len = 0;
  _status = status;
  _state = kError;
  return Result::Error;
}

bool HttpRequestParser::grow() {
  uint32_t want = _cap == 0 ? kInitialCap : uint32_t(_cap) * 2;
  if (want > _limits.maxHeadBytes) want = _limits.maxHeadBytes;
  uint8_t* nb = static_cast<uint8_t*>(heap::alloc(want));
  if (nb == nullptr) return false;
  if (_len != 0) std::memcpy(nb, _buf, _len);
  heap::free(_buf, _cap);
  _buf = nb;
  _cap = uint16_t(want);
  return true;
}

HttpRequestParser::Result HttpRequestParser::feed(const uint8_t* data, size_t len, size_t* consumed) {
  if (consumed) *consumed = 0;
  if (_state == kDone) return Result::Done;
  if (_state == kError) return Result::Error;
  size_t used = 0;
  while (used < len) {
    if (_len >= _limits.maxHeadBytes) {
      if (consumed) *consumed = used;
      // Still inside the request target when the room ran out: the URI is too long.
      return fail(_state == kRequestLine && _sp1 != 0 && _sp2 == 0 ? 414 : 431);
    }
    if (_len == _cap && !grow()) {
      if (consumed) *consumed = used;
      return fail(503);
    }
    const uint8_t b = data[used++];
    const uint16_t at = _len;
    _buf[_len++] = b;
    const bool afterCr = at > _lineStart && _buf[at - 1] == '\r';
    if (afterCr != (b == '\n')) {  // CR not followed by LF, or a bare LF
      if (consumed) *consumed = used;
      return fail(400);
    }
    if (b == '\n') {
      const uint16_t lineEnd = uint16_t(at - 1);  // the CR
      bool ok;
      if (_state == kRequestLine) {
        ok = parseRequestLine(lineEnd);
        if (ok) _state = kHeaders;
      } else if (lineEnd == _lineStart) {
        _state = kDone;
        if (consumed) *consumed = used;
        return Result::Done;
      } else {
        ok = parseHeaderLine(_lineStart, lineEnd);
      }
      if (!ok) {
        if (consumed) *consumed = used;
        return fail(_status != 0 ? _status : 400);
      }
      _lineStart = _len;
    } else if (_state == kRequestLine && b != '\r') {
      // Check the request line's shape as it arrives, so garbage fails fast.
      if (b == ' ') {
        if (_sp1 == 0) {
          if (at == 0) {
            if (consumed) *consumed = used;
            return fail(400);  // empty method
          }
          _sp1 = at;
        } else if (_sp2 == 0) {
          _sp2 = at;
        } else {
          if (consumed) *consumed = used;
          return fail(400);  // a third SP
        }
      } else if (_sp1 == 0 && !isTchar(b)) {
        if (consumed) *consumed = used;
        return fail(400);  // method is not a token
      }
    }
  }
  if (consumed) *consumed = used;
  return Result::NeedMore;
}

bool HttpRequestParser::parseRequestLine(uint16_t lineEnd) {
  // METHOD SP target SP HTTP/d.d ; the method was checked byte by byte.
  if (_sp1 == 0 || _sp2 == 0 || _sp2 == _sp1 + 1) return false;
  const uint8_t* v = _buf + _sp2 + 1;
  if (lineEnd - (_sp2 + 1) != 8 || std::memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
      v[6] != '.' || v[7] < '0' || v[7] > '9') {
    return false;
  }
  if (v[5] != '1' || v[7] > '1') {
    _status = 505;
    return false;
  }
  _minor = uint8_t(v[7] - '0');

  const uint16_t t0 = uint16_t(_sp1 + 1);
  for (uint16_t i = t0; i < _sp2; ++i) {
    if (_buf[i] < 0x21 || _buf[i] > 0x7E) return false;
  }
  uint16_t ps = t0;  // path start
  if (_buf[t0] != '/') {
    // absolute-form: scheme "://" authority [path] [?query]
    const size_t tlen = size_t(_sp2 - t0);
    size_t skip = 0;
    if (tlen >= 7 && equalCaseless(_buf + t0, "http://", 7)) {
      skip = 7;
    } else if (tlen >= 8 && equalCaseless(_buf + t0, "https://", 8)) {
      skip = 8;
    } else {
      return false;
    }
    ps = uint16_t(t0 + skip);
    while (ps < _sp2 && _buf[ps] != '/' && _buf[ps] != '?') ++ps;
    if (ps == t0 + skip) return false;  // no authority
  }
  uint16_t pe = ps;
  while (pe < _sp2 && _buf[pe] != '?') ++pe;

  // Pack: METHOD\0 path\0 [query\0]. Every move is to the left (or in place).
  _buf[_sp1] = '\0';
  _pathOff = t0;
  uint16_t w = t0;
  if (pe == ps) {
    _buf[w++] = '/';  // "http://host" or "http://host?q": the path is "/"
  } else {
    std::memmove(_buf + w, _buf + ps, size_t(pe - ps));
    w = uint16_t(w + (pe - ps));
  }
  _buf[w++] = '\0';
  if (pe < _sp2) {
    const uint16_t qs = uint16_t(pe + 1);
    _queryOff = w;
    std::memmove(_buf + w, _buf + qs, size_t(_sp2 - qs));
    w = uint16_t(w + (_sp2 - qs));
    _buf[w++] = '\0';
  }
  _w = w;
  _hdrStart = w;
  return true;
}

uint16_t HttpRequestParser::findEntry(const char* name, size_t nameLen) const {
  uint16_t off = _hdrStart;
  while (off < _w) {
    const size_t n = std::strlen(reinterpret_cast<const char*>(_buf + off));
    if (n == nameLen && equalCaseless(_buf + off, name, n)) return off;
    off = uint16_t(off + n + 1);
    off = uint16_t(off + std::strlen(reinterpret_cast<const char*>(_buf + off)) + 1);
  }
  return 0;
}

bool HttpRequestParser::parseHeaderLine(uint16_t ls, uint16_t le) {
  if (isOws(_buf[ls])) return false;  // obs-fold (or whitespace before the first field)
  uint16_t colon = ls;
  while (colon < le && isTchar(_buf[colon])) ++colon;
  if (colon == ls || colon == le || _buf[colon] != ':') return false;
  uint16_t vs = uint16_t(colon + 1);
  uint16_t ve = le;
  for (uint16_t i = vs; i < ve; ++i) {
    if (!isFieldByte(_buf[i])) return false;
  }
  while (vs < ve && isOws(_buf[vs])) ++vs;
  while (ve > vs && isOws(_buf[ve - 1])) --ve;
  if (_nHeaders >= _limits.maxHeaders) {
    _status = 431;
    return false;
  }
  ++_nHeaders;

  const size_t nameLen = size_t(colon - ls);
  const size_t vlen = size_t(ve - vs);
  const uint16_t entry = findEntry(reinterpret_cast<const char*>(_buf + ls), nameLen);
  if (entry == 0) {
    // New entry at _w: name\0value\0. _w <= ls, and the value lies past the name, so every move
    // goes left.
    std::memmove(_buf + _w, _buf + ls, nameLen);
    _buf[_w + nameLen] = '\0';
    uint16_t w = uint16_t(_w + nameLen + 1);
    std::memmove(_buf + w, _buf + vs, vlen);
    w = uint16_t(w + vlen);
    _buf[w++] = '\0';
    _w = w;
    return true;
  }
  if (vlen == 0) return true;  // nothing to add to the list
  // Join: append ", value" to the existing entry's value. Stage the new text at _w (it fits: the
  // raw line is longer than ", " + value), then rotate it in front of the entries that follow.
  const uint16_t oldValue = uint16_t(entry + nameLen + 1);
  const uint16_t valueEnd = uint16_t(oldValue + std::strlen(reinterpret_cast<const char*>(_buf + oldValue)));
  const size_t sep = (valueEnd == oldValue) ? 0 : 2;  // an empty old value takes no separator
  std::memmove(_buf + _w + sep, _buf + vs, vlen);   // vs >= ls + 2 >= _w + 2: moves left
  if (sep) {
    _buf[_w] = ',';
    _buf[_w + 1] = ' ';
  }
  const size_t add = sep + vlen;
  rotate(_buf + valueEnd, size_t(_w - valueEnd), size_t(_w - valueEnd) + add);
  _w = uint16_t(_w + add);
  return true;
}

size_t HttpRequestParser::entryLen(uint16_t off) const {
  return std::strlen(reinterpret_cast<const char*>(_buf + off)) + 1;
}

const char* HttpRequestParser::method() const {
  return done() ? reinterpret_cast<const char*>(_buf) : "";
}

const char* HttpRequestParser::path() const {
  return done() ? reinterpret_cast<const char*>(_buf + _pathOff) : "";
}

const char* HttpRequestParser::query() const {
  return done() && _queryOff != 0 ? reinterpret_cast<const char*>(_buf + _queryOff) : "";
}

const char* HttpRequestParser::header(const char* name) const {
  if (!done() || name == nullptr) return nullptr;
  const size_t n = std::strlen(name);
  const uint16_t entry = findEntry(name, n);
  if (entry == 0) return nullptr;
  return reinterpret_cast<const char*>(_buf + entry + n + 1);
}

}  // namespace ws
}  // namespace twincore
