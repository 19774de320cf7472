// Arduino.h (twin): the small Arduino subset the firmware needs, on the host.
//
// Threading: every function here may be called from the device's loop task and from its
// async_tcp thread (both are "device threads"). They act on the device that owns the calling
// thread (a thread-local set when the twin starts the thread). Calling them from a thread that
// belongs to no device is allowed: Serial output then goes to stderr. millis()/micros() count
// from the process start on every thread (one clock, since the core compares times taken on
// different tasks).
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "IPAddress.h"
#include "WString.h"
#include "pgmspace.h"
#include "stdlib_noniso.h"

uint32_t millis();
uint32_t micros();
// Blocks the calling task. In a single-core profile it gives the CPU to the other task.
void delay(uint32_t ms);
// Lets the other task run (single-core profile); a scheduling hint otherwise.
void yield();

// Serial: text written here becomes device log lines (one line per '\n').
class HardwareSerial {
 public:
  void begin(unsigned long) {}
  size_t write(uint8_t c);
  size_t write(const uint8_t* data, size_t len);
  size_t print(const char* s);
  size_t print(long v);
  size_t println(const char* s = "");
  size_t println(long v);
  size_t printf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  explicit operator bool() const { return true; }
};
extern HardwareSerial Serial;
