// WString.cpp: the Arduino String on the host (rules and board behaviour: WString.h).
#include "WString.h"

#include <math.h>
#include <stdio.h>

#include <algorithm>
#include <memory>

#include "stdlib_noniso.h"
#include "twin.h"

namespace {

// The one place String memory comes from: the calling thread's device heap.
char* stringAlloc(size_t n) { return static_cast<char*>(twin::heapAlloc(n)); }
void stringFree(char* p, size_t n) { twin::heapFree(p, n); }

// Finds needle (nlen bytes) in hay (hlen bytes); index or -1. Works on embedded NULs too.
long findBytes(const char* hay, size_t hlen, const char* needle, size_t nlen, size_t from) {
  if (from > hlen || nlen > hlen - from) return -1;
  if (nlen == 0) return long(from);
  for (size_t i = from; i + nlen <= hlen; ++i) {
    if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0) return long(i);
  }
  return -1;
}

}  // namespace

// ---------------------------------------------------------------- construction

String::String(const char* cstr) {
  init();
  if (cstr) copy(cstr, unsigned(strlen(cstr)));
}

String::String(const char* cstr, unsigned int length) {
  init();
  if (cstr) copy(cstr, length);
}

String::String(std::initializer_list<char> list) {
  init();
  if (reserve(unsigned(list.size()))) {
    unsigned i = 0;
    for (char c : list) wbuffer()[i++] = c;
    setLen(i);
  }
}

String::String(const String& value) {
  init();
  *this = value;
}

String::String(String&& rval) noexcept {
  init();
  move(rval);
}

String::String(StringSumHelper&& rval) noexcept {
  init();
  move(rval);
}

String::String(char c) {
  init();
  char buf[2] = {c, 0};
  copy(buf, 1);
}

String::String(unsigned char value, unsigned char base) {
  init();
  char buf[1 + 8 * sizeof(unsigned char)];
  *this = utoa(value, buf, base) ? buf : "";
}

String::String(int value, unsigned char base) {
  init();
  char buf[2 + 8 * sizeof(int)];
  *this = itoa(value, buf, base) ? buf : "";
}

String::String(unsigned int value, unsigned char base) {
  init();
  char buf[1 + 8 * sizeof(unsigned int)];
  *this = utoa(value, buf, base) ? buf : "";
}

String::String(long value, unsigned char base) {
  init();
  char buf[2 + 8 * sizeof(long)];
  *this = ltoa(value, buf, base);
}

String::String(unsigned long value, unsigned char base) {
  init();
  char buf[1 + 8 * sizeof(unsigned long)];
  *this = ultoa(value, buf, base);
}

String::String(long long value, unsigned char base) {
  init();
  char buf[2 + 8 * sizeof(long long)];
  *this = lltoa(value, buf, base);
}

String::String(unsigned long long value, unsigned char base) {
  init();
  char buf[1 + 8 * sizeof(unsigned long long)];
  *this = ulltoa(value, buf, base);
}

// dtostrf writes up to 309 integer digits, a sign, a point and the places.
String::String(float value, unsigned int decimalPlaces) : String(double(value), decimalPlaces) {}

String::String(double value, unsigned int decimalPlaces) {
  init();
  std::unique_ptr<char[]> buf(new char[decimalPlaces + 320]);
  *this = dtostrf(value, int(decimalPlaces + 2), decimalPlaces, buf.get());
}

String::~String() { invalidate(); }

// ---------------------------------------------------------------- memory

void String::invalidate() {
  if (_mode == kHeap && _u.heap.buf) stringFree(_u.heap.buf, _u.heap.cap + 1);
  init();
}

bool String::reserve(unsigned int size) {
  if (buffer() && capacity() >= size) return true;
  if (!changeBuffer(size)) return false;
  if (_len == 0) wbuffer()[0] = 0;
  return true;
}

// Moves the text into a buffer for maxStrLen characters: the in-object one when it is short
// enough, else a heap block (size rounded as the board rounds it).
bool String::changeBuffer(unsigned int maxStrLen) {
  if (maxStrLen < kSsoBytes - 1) {
    if (_mode == kHeap) {
      char tmp[kSsoBytes];
      unsigned keep = std::min<unsigned>(_len, maxStrLen);
      memcpy(tmp, _u.heap.buf, keep);
      stringFree(_u.heap.buf, _u.heap.cap + 1);
      memcpy(_u.sso, tmp, keep);
      _len = keep;
    } else if (_mode == kInvalid) {
      _len = 0;
    }
    _mode = kSso;
    _u.sso[_len] = 0;
    return true;
  }
  size_t newSize = (size_t(maxStrLen) + 16) & ~size_t(0xf);
  if (newSize > kCapacityMax) return false;
  char* nb = stringAlloc(newSize);
  if (!nb) return false;
  memset(nb, 0, newSize);
  if (buffer()) memcpy(nb, buffer(), std::min<size_t>(_len, newSize - 1));
  if (_mode == kHeap) stringFree(_u.heap.buf, _u.heap.cap + 1);
  if (_mode == kInvalid) _len = 0;
  _mode = kHeap;
  _u.heap.buf = nb;
  _u.heap.cap = uint32_t(newSize - 1);
  return true;
}

String& String::copy(const char* cstr, unsigned int length) {
  if (!reserve(length)) {
    invalidate();
    return *this;
  }
  memmove(wbuffer(), cstr, length);
  setLen(length);
  return *this;
}

void String::move(String& rhs) noexcept {
  if (this == &rhs) return;
  if (buffer() && rhs.buffer() && capacity() >= rhs._len && _mode == kSso) {
    memcpy(_u.sso, rhs.buffer(), rhs._len);
    setLen(rhs._len);
    rhs.invalidate();
    return;
  }
  invalidate();
  _mode = rhs._mode;
  _len = rhs._len;
  if (rhs._mode == kSso) {
    memcpy(_u.sso, rhs._u.sso, kSsoBytes);
  } else {
    _u.heap = rhs._u.heap;
  }
  rhs.init();
}

String& String::operator=(const String& rhs) {
  if (this == &rhs) return *this;
  if (rhs.buffer()) {
    copy(rhs.buffer(), rhs._len);
  } else {
    invalidate();
  }
  return *this;
}

String& String::operator=(String&& rval) noexcept {
  move(rval);
  return *this;
}

String& String::operator=(StringSumHelper&& rval) noexcept {
  move(rval);
  return *this;
}

String& String::operator=(const char* cstr) {
  if (cstr) {
    copy(cstr, unsigned(strlen(cstr)));
  } else {
    invalidate();
  }
  return *this;
}

// ---------------------------------------------------------------- concat

bool String::concat(const String& s) {
  if (!s.buffer()) return false;
  return concat(s.buffer(), s._len);
}

bool String::concat(const char* cstr, unsigned int length) {
  if (!cstr) return false;
  if (length == 0) return true;
  unsigned oldLen = this->length();
  // The source may be this string's own text (s += s.c_str()): the buffer may move.
  const char* mine = buffer();
  if (mine && cstr >= mine && cstr < mine + _len) {
    size_t off = size_t(cstr - mine);
    if (!reserve(oldLen + length)) return false;
    memmove(wbuffer() + oldLen, buffer() + off, length);
  } else {
    if (!reserve(oldLen + length)) return false;
    memcpy(wbuffer() + oldLen, cstr, length);
  }
  setLen(oldLen + length);
  return true;
}

bool String::concat(const char* cstr) {
  if (!cstr) return false;
  return concat(cstr, unsigned(strlen(cstr)));
}

bool String::concat(char c) { return concat(&c, 1); }

bool String::concat(unsigned char num) {
  char buf[4];
  return concat(utoa(num, buf, 10));
}

bool String::concat(int num) {
  char buf[2 + 3 * sizeof(int)];
  return concat(itoa(num, buf, 10));
}

bool String::concat(unsigned int num) {
  char buf[1 + 3 * sizeof(unsigned int)];
  return concat(utoa(num, buf, 10));
}

bool String::concat(long num) {
  char buf[2 + 3 * sizeof(long)];
  return concat(ltoa(num, buf, 10));
}

bool String::concat(unsigned long num) {
  char buf[1 + 3 * sizeof(unsigned long)];
  return concat(ultoa(num, buf, 10));
}

bool String::concat(long long num) {
  char buf[2 + 3 * sizeof(long long)];
  return concat(lltoa(num, buf, 10));
}

bool String::concat(unsigned long long num) {
  char buf[1 + 3 * sizeof(unsigned long long)];
  return concat(ulltoa(num, buf, 10));
}

bool String::concat(float num) { return concat(double(num)); }

bool String::concat(double num) {
  char buf[330];  // the board's 20-byte buffer overflows past 1e16; this one holds any double
  return concat(dtostrf(num, 4, 2, buf));
}

StringSumHelper& operator+(const StringSumHelper& lhs, const String& rhs) {
  StringSumHelper& a = const_cast<StringSumHelper&>(lhs);
  if (!a.concat(rhs)) a.invalidate();
  return a;
}

StringSumHelper& operator+(const StringSumHelper& lhs, const char* cstr) {
  StringSumHelper& a = const_cast<StringSumHelper&>(lhs);
  if (!a.concat(cstr)) a.invalidate();
  return a;
}

StringSumHelper& operator+(const StringSumHelper& lhs, const __FlashStringHelper* rhs) {
  return lhs + reinterpret_cast<const char*>(rhs);
}

#define TC_SUM_NUMBER(T)                                          \
  StringSumHelper& operator+(const StringSumHelper& lhs, T num) { \
    StringSumHelper& a = const_cast<StringSumHelper&>(lhs);       \
    if (!a.concat(num)) a.invalidate();                           \
    return a;                                                     \
  }
TC_SUM_NUMBER(char)
TC_SUM_NUMBER(unsigned char)
TC_SUM_NUMBER(int)
TC_SUM_NUMBER(unsigned int)
TC_SUM_NUMBER(long)
TC_SUM_NUMBER(unsigned long)
TC_SUM_NUMBER(float)
TC_SUM_NUMBER(double)
TC_SUM_NUMBER(long long)
TC_SUM_NUMBER(unsigned long long)
#undef TC_SUM_NUMBER

// ---------------------------------------------------------------- comparison

// strcmp order; an invalid string compares as "".
int String::compareTo(const String& s) const {
  const unsigned char* a = reinterpret_cast<const unsigned char*>(c_str());
  const unsigned char* b = reinterpret_cast<const unsigned char*>(s.c_str());
  unsigned la = length(), lb = s.length();
  unsigned n = std::min(la, lb);
  int r = memcmp(a, b, n);
  if (r != 0) return r;
  if (la == lb) return 0;
  return la < lb ? -int(b[n]) : int(a[n]);
}

bool String::equals(const String& s) const { return length() == s.length() && compareTo(s) == 0; }

bool String::equals(const char* cstr) const {
  if (!cstr) return length() == 0;
  size_t n = strlen(cstr);
  return n == length() && memcmp(c_str(), cstr, n) == 0;
}

bool String::equalsIgnoreCase(const String& s) const {
  if (this == &s) return true;
  if (length() != s.length()) return false;
  for (unsigned i = 0; i < length(); ++i) {
    if (tolower(static_cast<unsigned char>(buffer()[i])) != tolower(static_cast<unsigned char>(s.buffer()[i])))
      return false;
  }
  return true;
}

unsigned char String::equalsConstantTime(const String& s) const {
  if (length() != s.length()) return 0;
  unsigned char diff = 0;
  for (unsigned i = 0; i < length(); ++i) diff |= static_cast<unsigned char>(buffer()[i] ^ s.buffer()[i]);
  return diff == 0;
}

bool String::startsWith(const String& prefix, unsigned int offset) const {
  if (!buffer() || !prefix.buffer()) return false;
  if (offset > _len || prefix._len > _len - offset) return false;
  return memcmp(buffer() + offset, prefix.buffer(), prefix._len) == 0;
}

bool String::endsWith(const String& suffix) const {
  if (!buffer() || !suffix.buffer() || suffix._len > _len) return false;
  return memcmp(buffer() + _len - suffix._len, suffix.buffer(), suffix._len) == 0;
}

// ---------------------------------------------------------------- characters

void String::setCharAt(unsigned int index, char c) {
  if (index < length()) wbuffer()[index] = c;
}

char String::operator[](unsigned int index) const { return index < length() ? buffer()[index] : 0; }

char& String::operator[](unsigned int index) {
  static thread_local char scratch;
  if (index >= length()) {
    scratch = 0;
    return scratch;
  }
  return wbuffer()[index];
}

void String::getBytes(unsigned char* buf, unsigned int bufsize, unsigned int index) const {
  if (!buf || bufsize == 0) return;
  if (index >= length()) {
    buf[0] = 0;
    return;
  }
  unsigned n = std::min(bufsize - 1, length() - index);
  memcpy(buf, buffer() + index, n);
  buf[n] = 0;
}

// ---------------------------------------------------------------- search

int String::indexOf(char ch, unsigned int fromIndex) const {
  if (fromIndex >= length()) return -1;
  const void* p = memchr(buffer() + fromIndex, ch, _len - fromIndex);
  return p ? int(static_cast<const char*>(p) - buffer()) : -1;
}

int String::indexOf(const String& s, unsigned int fromIndex) const {
  if (fromIndex >= length() || !s.buffer()) return -1;
  return int(findBytes(buffer(), _len, s.buffer(), s._len, fromIndex));
}

int String::lastIndexOf(char ch, unsigned int fromIndex) const {
  if (fromIndex >= length()) return -1;
  for (long i = long(fromIndex); i >= 0; --i) {
    if (buffer()[i] == ch) return int(i);
  }
  return -1;
}

// The last occurrence starting at or before fromIndex (clamped to the last character).
int String::lastIndexOf(const String& s, unsigned int fromIndex) const {
  if (s.length() == 0 || length() == 0 || s._len > _len) return -1;
  if (fromIndex >= _len) fromIndex = _len - 1;
  long start = std::min<long>(long(fromIndex), long(_len - s._len));
  for (long i = start; i >= 0; --i) {
    if (memcmp(buffer() + i, s.buffer(), s._len) == 0) return int(i);
  }
  return -1;
}

String String::substring(unsigned int left, unsigned int right) const {
  if (left > right) std::swap(left, right);
  String out;
  if (left >= length()) return out;
  if (right > _len) right = _len;
  out.copy(buffer() + left, right - left);
  return out;
}

// ---------------------------------------------------------------- modification

void String::replace(char find, char replace) {
  for (unsigned i = 0; i < length(); ++i) {
    if (buffer()[i] == find) wbuffer()[i] = replace;
  }
}

void String::replace(const String& find, const String& replace) {
  if (length() == 0 || find.length() == 0 || !replace.buffer()) return;
  const unsigned fl = find._len, rl = replace._len;
  // Count the matches first: the result's size decides whether the buffer must grow.
  unsigned matches = 0;
  for (long at = findBytes(buffer(), _len, find.buffer(), fl, 0); at >= 0;
       at = findBytes(buffer(), _len, find.buffer(), fl, size_t(at) + fl))
    ++matches;
  if (matches == 0) return;
  // `replace` may be this string itself; keep a copy of its text before the buffer changes.
  String with = (&replace == this) ? String(replace) : String();
  const String& rep = (&replace == this) ? with : replace;
  if (!rep.buffer()) return;
  const unsigned long newLen = (unsigned long)_len - (unsigned long)matches * fl + (unsigned long)matches * rl;
  if (rl <= fl) {
    // Shrinks or keeps: compact in place, left to right.
    unsigned r = 0, w = 0;
    while (r < _len) {
      if (r + fl <= _len && memcmp(buffer() + r, find.buffer(), fl) == 0) {
        memcpy(wbuffer() + w, rep.buffer(), rl);
        w += rl;
        r += fl;
      } else {
        wbuffer()[w++] = buffer()[r++];
      }
    }
    setLen(w);
    return;
  }
  if (newLen > 0xffffffffUL || !reserve(unsigned(newLen))) {
    twin::log(twin::LogLevel::Warn, "String.Replace() Insufficient space to replace string");
    return;
  }
  // Grows: fill from the end backwards so no unread text is overwritten.
  long r = long(_len), w = long(newLen);
  // The match positions, found left to right, are replayed right to left.
  std::unique_ptr<unsigned[]> pos(new unsigned[matches]);
  unsigned k = 0;
  for (long at = findBytes(buffer(), _len, find.buffer(), fl, 0); at >= 0 && k < matches;
       at = findBytes(buffer(), _len, find.buffer(), fl, size_t(at) + fl))
    pos[k++] = unsigned(at);
  char* b = wbuffer();
  while (k > 0) {
    --k;
    long tail = r - long(pos[k] + fl);
    w -= tail;
    memmove(b + w, b + pos[k] + fl, size_t(tail));
    w -= rl;
    memcpy(b + w, rep.buffer(), rl);
    r = long(pos[k]);
  }
  setLen(unsigned(newLen));
}

void String::remove(unsigned int index) { remove(index, unsigned(-1)); }

void String::remove(unsigned int index, unsigned int count) {
  if (index >= length() || count == 0) return;
  if (count > _len - index) count = _len - index;
  memmove(wbuffer() + index, buffer() + index + count, _len - index - count);
  setLen(_len - count);
}

void String::toLowerCase() {
  for (unsigned i = 0; i < length(); ++i) wbuffer()[i] = char(tolower(static_cast<unsigned char>(buffer()[i])));
}

void String::toUpperCase() {
  for (unsigned i = 0; i < length(); ++i) wbuffer()[i] = char(toupper(static_cast<unsigned char>(buffer()[i])));
}

void String::trim() {
  if (length() == 0) return;
  unsigned b = 0, e = _len;
  while (b < e && isspace(static_cast<unsigned char>(buffer()[b]))) ++b;
  while (e > b && isspace(static_cast<unsigned char>(buffer()[e - 1]))) --e;
  if (b > 0) memmove(wbuffer(), buffer() + b, e - b);
  setLen(e - b);
}

// ---------------------------------------------------------------- conversion

long String::toInt() const { return buffer() ? atol(buffer()) : 0; }
float String::toFloat() const { return buffer() ? float(atof(buffer())) : 0.0f; }
double String::toDouble() const { return buffer() ? atof(buffer()) : 0.0; }

const String emptyString;
