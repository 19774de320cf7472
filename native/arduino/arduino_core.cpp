// arduino_core.cpp: the Arduino-ESP32 core functions on the host (time, delay, Serial), acting on
// the device of the calling thread through the twin's services (twin.h). Rules: Arduino.h.
#include <cstdarg>
#include <string>

#include "Arduino.h"
#include "twin.h"

uint32_t millis() { return twin::uptimeMs(); }
uint32_t micros() { return uint32_t(twin::uptimeUs()); }

// On the loop task it returns early when the device stops, so stop() never waits out a long
// delay(); on a firmware task it unwinds the task instead (twin::sleepMs).
void delay(uint32_t ms) { twin::sleepMs(ms); }
void yield() { twin::yieldTask(); }

HardwareSerial Serial;

namespace {
thread_local std::string tlsSerialLine;
}

size_t HardwareSerial::write(uint8_t c) {
  if (c == '\n') {
    twin::log(twin::LogLevel::Info, tlsSerialLine);
    tlsSerialLine.clear();
  } else if (c != '\r') {
    if (tlsSerialLine.size() < 4096) tlsSerialLine.push_back(char(c));
  }
  return 1;
}

size_t HardwareSerial::write(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; ++i) write(data[i]);
  return len;
}

size_t HardwareSerial::print(const char* s) { return write(reinterpret_cast<const uint8_t*>(s), std::strlen(s)); }
size_t HardwareSerial::print(long v) { return printf("%ld", v); }
size_t HardwareSerial::println(const char* s) { return print(s) + write('\n'); }
size_t HardwareSerial::println(long v) { return print(v) + write('\n'); }

size_t HardwareSerial::printf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return 0;
  size_t len = size_t(n) < sizeof buf ? size_t(n) : sizeof buf - 1;
  return write(reinterpret_cast<const uint8_t*>(buf), len);
}
