// http_request.h: incremental, bounded parser for an HTTP/1.1 request head (request line + header
// fields + blank line), enough for a WebSocket upgrade. It never reads past the blank line: bytes
// after it (e.g. an early WebSocket frame) belong to the caller.
//
// Threading: no shared state; one instance per connection, used by one thread at a time.
// Memory: one buffer from twincore::heap, allocated on the first byte (512 bytes, or maxHeadBytes
// if smaller), doubled as needed up to maxHeadBytes; freed by release(), on Error, and by the
// destructor. The head is rewritten in place into NUL-terminated strings, "METHOD\0path\0query\0"
// then one "name\0value\0" entry per distinct header: the packed entry list is the header index
// (offsets into the buffer, no side table). Accessor pointers stay valid until release().
// Size: sizeof(HttpRequestParser) == 40 bytes on a 64-bit host, 32 on a 32-bit MCU.
//
// Strictness (each answered with errorStatus()):
//   400 malformed request line (not exactly METHOD SP target SP HTTP/d.d, method not a token,
//       target not origin-form "/..." or absolute-form "http(s)://host/...", CTL/SP/non-ASCII in
//       the target), empty line before the request line, bare LF or CR not followed by LF,
//       obs-fold (a line starting with SP/HTAB), header name not a token or followed by
//       whitespace before ':', CTL (other than HTAB) or DEL in a header value
//   414 the request target does not fit within maxHeadBytes
//   431 the head is longer than maxHeadBytes, or more than maxHeaders header lines
//   505 a well-formed version other than HTTP/1.1 or HTTP/1.0
//   503 heap::alloc failed
#pragma once
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace ws {

// Defaults: a browser's upgrade request is 400-700 bytes with 10-15 headers; cookies may add more.
struct HttpLimits {
  uint16_t maxHeadBytes = 2048;  // whole head including the blank line
  uint8_t maxHeaders = 24;       // header lines (duplicates count each time)
};

class HttpRequestParser {
 public:
  enum class Result : uint8_t { NeedMore, Done, Error };

  explicit HttpRequestParser(const HttpLimits& limits = HttpLimits());
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Consumes bytes up to and including the blank line ending the head. *consumed (may be nullptr)
  // receives the bytes taken from `data`: all of them on NeedMore, up to the end of the head on Done,
  // up to the offending byte on Error. Once Done or Error, later calls return the same and consume 0.
  Result feed(const uint8_t* data, size_t len, size_t* consumed);

  // 400, 414, 431, 503 or 505 after Error (see above); 0 otherwise.
  uint16_t errorStatus() const { return _status; }

  // The parsed head; valid after Done until release(). Before Done: "" (header(): nullptr).
  const char* method() const;
  const char* path() const;   // the target's path, without the query ("/" for "http://host")
  const char* query() const;  // after '?', "" if none
  // Case-insensitive lookup; nullptr if absent. OWS around the value is trimmed; repeated headers
  // are joined with ", " in the order received.
  const char* header(const char* name) const;
  uint8_t httpMinor() const { return _minor; }  // 1 for HTTP/1.1, 0 for HTTP/1.0
  uint8_t headerLines() const { return _nHeaders; }
  size_t bufferBytes() const { return _cap; }  // heap bytes held right now

  // Calls f(name, value) for each distinct header, in the order first received (after Done).
  template <class F>
  void forEachHeader(F&& f) const {
    if (_state != kDone) return;
    uint16_t off = _hdrStart;
    while (off < _w) {
      const char* name = reinterpret_cast<const char*>(_buf + off);
      off = uint16_t(off + entryLen(off));
      const char* value = reinterpret_cast<const char*>(_buf + off);
      off = uint16_t(off + entryLen(off));
      f(name, value);
    }
  }

  // Frees the buffer and returns to the initial state (a later feed() starts a new request).
  void release();

 private:
  enum State : uint8_t { kRequestLine, kHeaders, kDone, kError };

  Result fail(uint16_t status);
  bool grow();
  bool parseRequestLine(uint16_t lineEnd);
  bool parseHeaderLine(uint16_t lineStart, uint16_t lineEnd);
  uint16_t findEntry(const char* name, size_t nameLen) const;  // offset of the entry, or 0
  bool done() const { return _state == kDone; }
  size_t entryLen(uint16_t off) const;  // strlen + 1 of the string at off

  uint8_t* _buf = nullptr;  // the head, rewritten in place
  uint16_t _cap = 0;        // allocated bytes
  uint16_t _len = 0;        // bytes stored
  uint16_t _lineStart = 0;  // start of the line being received
  uint16_t _w = 0;          // end of the packed strings
  uint16_t _sp1 = 0;        // offset of the SP after the method (0: not seen yet)
  uint16_t _sp2 = 0;        // offset of the SP after the target (0: not seen yet)
  uint16_t _pathOff = 0;
  uint16_t _queryOff = 0;   // 0: no query
  uint16_t _hdrStart = 0;   // first header entry
  uint16_t _status = 0;
  HttpLimits _limits;       // 4 bytes
  uint8_t _state = kRequestLine;
  uint8_t _nHeaders = 0;
  uint8_t _minor = 0;
};

}  // namespace ws
}  // namespace twincore
