// Stream.cpp: Arduino's Stream on the host (rules: Stream.h).
#include "Stream.h"

#include "Arduino.h"
#include "twin.h"

#define NO_IGNORE_CHAR '\x01'

namespace {
// Gives up the CPU between two polls of an empty stream; false when the wait must end now
// (the device is stopping).
bool pollPause() {
  twin::sleepMs(1);
  return !twin::stopping();
}
}  // namespace

int Stream::timedRead() {
  _startMillis = millis();
  for (;;) {
    int c = read();
    if (c >= 0) return c;
    if (millis() - _startMillis >= _timeout || !pollPause()) return -1;
  }
}

int Stream::timedPeek() {
  _startMillis = millis();
  for (;;) {
    int c = peek();
    if (c >= 0) return c;
    if (millis() - _startMillis >= _timeout || !pollPause()) return -1;
  }
}

int Stream::peekNextDigit(LookaheadMode lookahead, bool detectDecimal) {
  for (;;) {
    int c = timedPeek();
    if (c < 0 || c == '-' || (c >= '0' && c <= '9') || (detectDecimal && c == '.')) return c;
    if (lookahead == SKIP_NONE) return -1;
    if (lookahead == SKIP_WHITESPACE && !(c == ' ' || c == '\t' || c == '\r' || c == '\n')) return -1;
    read();  // skip it
  }
}

bool Stream::find(const char* target) { return target && findUntil(target, strlen(target), nullptr, 0); }
bool Stream::find(const char* target, size_t length) { return findUntil(target, length, nullptr, 0); }

bool Stream::findUntil(const char* target, const char* terminator) {
  if (!target) return false;
  if (!terminator) return findUntil(target, strlen(target), nullptr, 0);
  return findUntil(target, strlen(target), terminator, strlen(terminator));
}

bool Stream::findUntil(const char* target, size_t targetLen, const char* terminate, size_t termLen) {
  if (!target) return false;
  MultiTarget t[2] = {{target, targetLen, 0}, {terminate, termLen, 0}};
  return findMulti(t, terminate ? 2 : 1) == 0;
}

namespace {
// After a mismatch: the longest prefix of str that ends the text matched so far (str[0..index))
// followed by c. Small targets, so the quadratic search is fine.
size_t fallBack(const char* str, size_t index, char c) {
  for (size_t k = index; k > 0; --k) {
    // candidate: str[0..k) must equal (str[index-k+1 .. index) + c)
    if (str[k - 1] != c) continue;
    if (memcmp(str, str + index - k + 1, k - 1) == 0) return k;
  }
  return 0;
}
}  // namespace

int Stream::findMulti(MultiTarget* targets, int tCount) {
  for (int i = 0; i < tCount; ++i) {
    if (targets[i].len == 0) return i;
  }
  for (;;) {
    int c = timedRead();
    if (c < 0) return -1;
    for (int i = 0; i < tCount; ++i) {
      MultiTarget& t = targets[i];
      if (char(c) == t.str[t.index]) {
        if (++t.index == t.len) return i;
      } else {
        t.index = fallBack(t.str, t.index, char(c));
      }
    }
  }
}

long Stream::parseInt(LookaheadMode lookahead, char ignore) {
  bool negative = false;
  long value = 0;
  int c = peekNextDigit(lookahead, false);
  if (c < 0) return 0;
  do {
    if (c == ignore) {
    } else if (c == '-') {
      negative = true;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
    }
    read();
    c = timedPeek();
  } while ((c >= '0' && c <= '9') || c == ignore);
  return negative ? -value : value;
}

float Stream::parseFloat(LookaheadMode lookahead, char ignore) {
  bool negative = false, fraction = false;
  long value = 0;
  double scale = 1.0;
  int c = peekNextDigit(lookahead, true);
  if (c < 0) return 0;
  do {
    if (c == ignore) {
    } else if (c == '-') {
      negative = true;
    } else if (c == '.') {
      fraction = true;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (fraction) scale *= 0.1;
    }
    read();
    c = timedPeek();
  } while ((c >= '0' && c <= '9') || (c == '.' && !fraction) || c == ignore);
  double v = negative ? -double(value) : double(value);
  return float(fraction ? v * scale : v);
}

size_t Stream::readBytes(char* buffer, size_t length) {
  size_t count = 0;
  while (count < length) {
    int c = timedRead();
    if (c < 0) break;
    buffer[count++] = char(c);
  }
  return count;
}

size_t Stream::readBytesUntil(char terminator, char* buffer, size_t length) {
  size_t count = 0;
  while (count < length) {
    int c = timedRead();
    if (c < 0 || c == terminator) break;
    buffer[count++] = char(c);
  }
  return count;
}

String Stream::readString() {
  String out;
  for (int c = timedRead(); c >= 0; c = timedRead()) out += char(c);
  return out;
}

String Stream::readStringUntil(char terminator) {
  String out;
  for (int c = timedRead(); c >= 0 && c != terminator; c = timedRead()) out += char(c);
  return out;
}
