// Stream.h (twin): Arduino's Stream (a Print that can also be read) as arduino-esp32 has it.
// A subclass implements available()/read()/peek(); the timed helpers here wait for data up to
// the stream's timeout (setTimeout, default 1000 ms, measured with millis()):
//  - find/findUntil: read until the target (or the terminator) has been seen; true if found.
//  - parseInt/parseFloat: skip per LookaheadMode to the first digit, '-' (or '.'), then read the
//    number; 0 on timeout. `ignore` characters inside the number are skipped (e.g. ',').
//  - readBytes/readBytesUntil: up to length bytes (until the terminator, which is consumed but
//    not stored); they return how many were stored.
//  - readString/readStringUntil: everything until the timeout (or the terminator).
// While it waits, a timed read sleeps 1 ms per poll (twin::sleepMs): on a device it lets the
// other task run, on a firmware task it ends with the task when the device stops, on the loop
// task it returns early (nothing more is read) when the device stops.
//
// Threading: one task at a time per Stream object. Lifetime: buffers are the caller's.
#pragma once
#include <inttypes.h>

#include "Print.h"

enum LookaheadMode {
  SKIP_ALL,        // everything that cannot start a number is skipped
  SKIP_NONE,       // nothing is skipped: the number must start at the next character
  SKIP_WHITESPACE  // only spaces, tabs, CR and LF are skipped
};

#define NO_IGNORE_CHAR '\x01'

class Stream : public Print {
 protected:
  unsigned long _timeout;
  unsigned long _startMillis;
  int timedRead();
  int timedPeek();
  int peekNextDigit(LookaheadMode lookahead, bool detectDecimal);

 public:
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int peek() = 0;

  Stream() : _timeout(1000), _startMillis(0) {}
  virtual ~Stream() {}

  void setTimeout(unsigned long timeout) { _timeout = timeout; }
  unsigned long getTimeout() { return _timeout; }

  bool find(const char* target);
  bool find(const uint8_t* target) { return find(reinterpret_cast<const char*>(target)); }
  bool find(const char* target, size_t length);
  bool find(const uint8_t* target, size_t length) { return find(reinterpret_cast<const char*>(target), length); }
  bool find(char target) { return find(&target, 1); }
  bool findUntil(const char* target, const char* terminator);
  bool findUntil(const uint8_t* target, const char* terminator) {
    return findUntil(reinterpret_cast<const char*>(target), terminator);
  }
  bool findUntil(const char* target, size_t targetLen, const char* terminate, size_t termLen);
  bool findUntil(const uint8_t* target, size_t targetLen, const char* terminate, size_t termLen) {
    return findUntil(reinterpret_cast<const char*>(target), targetLen, terminate, termLen);
  }

  long parseInt(LookaheadMode lookahead = SKIP_ALL, char ignore = NO_IGNORE_CHAR);
  float parseFloat(LookaheadMode lookahead = SKIP_ALL, char ignore = NO_IGNORE_CHAR);

  virtual size_t readBytes(char* buffer, size_t length);
  virtual size_t readBytes(uint8_t* buffer, size_t length) { return readBytes(reinterpret_cast<char*>(buffer), length); }
  size_t readBytesUntil(char terminator, char* buffer, size_t length);
  size_t readBytesUntil(char terminator, uint8_t* buffer, size_t length) {
    return readBytesUntil(terminator, reinterpret_cast<char*>(buffer), length);
  }

  virtual String readString();
  String readStringUntil(char terminator);

 protected:
  long parseInt(char ignore) { return parseInt(SKIP_ALL, ignore); }
  float parseFloat(char ignore) { return parseFloat(SKIP_ALL, ignore); }

  struct MultiTarget {
    const char* str;  // what to look for
    size_t len;
    size_t index;     // how much of it has matched so far
  };
  // Reads until one of the targets has been seen; its index, or -1 on timeout. An empty target
  // matches at once.
  int findMulti(MultiTarget* targets, int tCount);
};

#undef NO_IGNORE_CHAR
