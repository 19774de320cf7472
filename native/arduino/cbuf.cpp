// cbuf.cpp: the circular buffer of cbuf.h over the device heap.
#include "cbuf.h"

#include "twin.h"

cbuf::cbuf(size_t size) : next(nullptr), _size(0), _buf(nullptr), _begin(0), _end(0) {
  if (size == 0) return;
  _buf = static_cast<char*>(twin::heapAlloc(size));
  if (_buf) _size = size;
}

cbuf::~cbuf() {
  if (_buf) twin::heapFree(_buf, _size);
}

size_t cbuf::available() const { return _end >= _begin ? _end - _begin : _size - _begin + _end; }

size_t cbuf::room() const { return _size == 0 ? 0 : _size - 1 - available(); }

size_t cbuf::resize(size_t newSize) {
  size_t have = available();
  if (newSize <= have || newSize == _size) return _size;
  char* nb = static_cast<char*>(twin::heapAlloc(newSize));
  if (!nb) return _size;
  copyOut(nb, have);
  memset(nb + have, 0, newSize - have);
  if (_buf) twin::heapFree(_buf, _size);
  _buf = nb;
  _size = newSize;
  _begin = 0;
  _end = have;
  return _size;
}

// Copies the first n stored bytes (n <= available()) to dst without consuming them.
size_t cbuf::copyOut(char* dst, size_t n) const {
  size_t first = _end >= _begin ? n : (_size - _begin < n ? _size - _begin : n);
  if (dst) memcpy(dst, _buf + _begin, first);
  if (n > first && dst) memcpy(dst + first, _buf, n - first);
  return n;
}

int cbuf::peek() {
  if (empty()) return -1;
  return static_cast<unsigned char>(_buf[_begin]);
}

size_t cbuf::peek(char* dst, size_t size) {
  size_t n = available() < size ? available() : size;
  return n ? copyOut(dst, n) : 0;
}

int cbuf::read() {
  if (empty()) return -1;
  int c = static_cast<unsigned char>(_buf[_begin]);
  _begin = (_begin + 1) % _size;
  return c;
}

size_t cbuf::read(char* dst, size_t size) {
  size_t n = available() < size ? available() : size;
  if (n == 0) return 0;
  copyOut(dst, n);
  _begin = (_begin + n) % _size;
  return n;
}

size_t cbuf::write(char c) { return write(&c, 1); }

size_t cbuf::write(const char* src, size_t size) {
  size_t n = room() < size ? room() : size;
  if (n == 0 || !src) return 0;
  size_t first = _size - _end < n ? _size - _end : n;
  memcpy(_buf + _end, src, first);
  if (n > first) memcpy(_buf, src + first, n - first);
  _end = (_end + n) % _size;
  return n;
}

size_t cbuf::remove(size_t size) {
  size_t have = available();
  if (size >= have) {
    _begin = _end;
    return 0;
  }
  _begin = (_begin + size) % _size;
  return have - size;
}
