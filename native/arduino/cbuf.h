// cbuf.h (twin): arduino-esp32's circular byte buffer (used by ESPAsyncWebServer's chunked and
// Print responses). cbuf(n) holds up to n-1 bytes (one slot stays free to tell full from
// empty): room() = size() - 1 - available().
//  - The storage comes from the device heap (twin::heapAlloc): when it cannot be allocated
//    size() is 0 and every write stores nothing (callers check size(), as ESPAsyncWebServer does).
//  - resize(n) keeps the stored bytes; it refuses (returns the old size) when n is not larger
//    than the bytes stored, equals the size, or the allocation fails. resizeAdd(k) = resize(size()+k).
//  - write() stores what fits and returns how many bytes it stored; read()/peek() return -1 (or 0
//    bytes) when empty; remove(n) drops up to n bytes and returns what is left.
// Threading: one task at a time per cbuf (no lock, as the board's). Lifetime: owns its storage,
// freed to the device heap it came from by the destructor; `next` is the caller's link.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

class cbuf {
 public:
  explicit cbuf(size_t size);
  ~cbuf();
  cbuf(const cbuf&) = delete;
  cbuf& operator=(const cbuf&) = delete;

  size_t resizeAdd(size_t addSize) { return resize(_size + addSize); }
  size_t resize(size_t newSize);

  size_t available() const;
  size_t size() { return _size; }
  size_t room() const;
  bool empty() const { return _begin == _end; }
  bool full() const { return _size == 0 || room() == 0; }

  int peek();
  size_t peek(char* dst, size_t size);
  int read();
  size_t read(char* dst, size_t size);
  size_t write(char c);
  size_t write(const char* src, size_t size);
  void flush() { _begin = _end = 0; }
  size_t remove(size_t size);

  cbuf* next;

 private:
  size_t _size;   // bytes of storage (0: none)
  char* _buf;     // storage, from twin::heapAlloc
  size_t _begin;  // read index
  size_t _end;    // write index
  size_t copyOut(char* dst, size_t n) const;
};
