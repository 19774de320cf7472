// Arduino.h (twin): the Arduino-ESP32 core API on the host, so sketches and libraries written
// for arduino-esp32 3.x compile unchanged and run on a twin device.
//
// What it brings in, as the board's Arduino.h does: the C headers (stdint, string, math,
// inttypes formats...), <algorithm>/<cmath>, String, Print/Printable/Stream, HardwareSerial
// (Serial), IPAddress, pgmspace, stdlib_noniso (itoa/dtostrf), the esp32-hal declarations
// (time, log_x), ESP (Esp.h), esp_random, the FreeRTOS headers when the twin has them, and the
// Arduino constants and macros. min/max are std::min/std::max (`using`), as on arduino-esp32:
// both arguments must have one type (min(1, 2UL) does not compile there either); _min/_max
// are the mixed-type macros.
//
// Threading: every function may be called from the device's loop task, its async_tcp thread and
// its firmware tasks ("device threads"); each acts on the device owning the calling thread.
// From a thread of no device they act on the process's default device (twin::contextDevice),
// else on a process-wide fallback (random) or do nothing harmful (Serial goes to stderr).
// millis()/micros() count from the process start on every thread (one clock, since the core
// compares times taken on different tasks). Lifetimes: see each header.
#pragma once
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_arduino_version.h"
#if defined(__has_include)
#if __has_include(<freertos/FreeRTOS.h>)
#include <freertos/FreeRTOS.h>
#if __has_include(<freertos/task.h>)
#include <freertos/task.h>
#endif
#if __has_include(<freertos/semphr.h>)
#include <freertos/semphr.h>
#endif
#endif
#endif
#include "esp32-hal.h"
#include "esp_random.h"
#include "pgmspace.h"
#include "stdlib_noniso.h"
#include "binary.h"

#define PI 3.1415926535897932384626433832795
#define HALF_PI 1.5707963267948966192313216916398
#define TWO_PI 6.283185307179586476925286766559
#define DEG_TO_RAD 0.017453292519943295769236907684886
#define RAD_TO_DEG 57.295779513082320876798154814105
#define EULER 2.718281828459045235360287471352

#define SERIAL 0x0
#define DISPLAY 0x1
#define LSBFIRST 0
#define MSBFIRST 1

// Pin levels and modes (esp32-hal-gpio.h values).
#define LOW 0x0
#define HIGH 0x1
#define INPUT 0x01
#define OUTPUT 0x03
#define PULLUP 0x04
#define INPUT_PULLUP 0x05
#define PULLDOWN 0x08
#define INPUT_PULLDOWN 0x09
#define OPEN_DRAIN 0x10
#define OUTPUT_OPEN_DRAIN 0x13
#define ANALOG 0xC0
// Interrupt modes.
#define DISABLED 0x00
#define RISING 0x01
#define FALLING 0x02
#define CHANGE 0x03
#define ONLOW 0x04
#define ONHIGH 0x05
#define ONLOW_WE 0x0C
#define ONHIGH_WE 0x0D

#define DEFAULT 1
#define EXTERNAL 0

#ifndef __STRINGIFY
#define __STRINGIFY(a) #a
#endif

// The board cannot define min()/max() as macros (C++ library clashes); these are its
// mixed-type stand-ins.
#define _min(a, b) ((a) < (b) ? (a) : (b))
#define _max(a, b) ((a) > (b) ? (a) : (b))
#define _abs(x) ((x) > 0 ? (x) : -(x))
#define constrain(amt, low, high) ((amt) < (low) ? (low) : ((amt) > (high) ? (high) : (amt)))
#define _round(x) ((x) >= 0 ? (long)((x) + 0.5) : (long)((x) - 0.5))
#define radians(deg) ((deg) * DEG_TO_RAD)
#define degrees(rad) ((rad) * RAD_TO_DEG)
#define sq(x) ((x) * (x))

// No interrupts to mask on the twin.
#define sei()
#define cli()
#define interrupts() sei()
#define noInterrupts() cli()

#define clockCyclesPerMicrosecond() ((long int)getCpuFrequencyMhz())
#define clockCyclesToMicroseconds(a) ((a) / clockCyclesPerMicrosecond())
#define microsecondsToClockCycles(a) ((a) * clockCyclesPerMicrosecond())

#define lowByte(w) ((uint8_t)((w) & 0xff))
#define highByte(w) ((uint8_t)((w) >> 8))
#define bitRead(value, bit) (((value) >> (bit)) & 0x01)
#define bitSet(value, bit) ((value) |= (1UL << (bit)))
#define bitClear(value, bit) ((value) &= ~(1UL << (bit)))
#define bitToggle(value, bit) ((value) ^= (1UL << (bit)))
#define bitWrite(value, bit, bitvalue) ((bitvalue) ? bitSet(value, bit) : bitClear(value, bit))
#define bit(b) (1UL << (b))
#define _BV(b) (1UL << (b))

#ifndef _NOP
#define _NOP() \
  do {         \
  } while (0)
#endif

#define NOT_A_PIN -1
#define NOT_A_PORT -1
#define NOT_AN_INTERRUPT -1
#define NOT_ON_TIMER 0

typedef bool boolean;
typedef uint8_t byte;
typedef unsigned int word;

#ifdef __cplusplus
#include <algorithm>
#include <cmath>

#include "HardwareSerial.h"
#include "IPAddress.h"
#include "Print.h"
#include "Printable.h"
#include "Stream.h"
#include "WCharacter.h"
#include "WString.h"
#include "Esp.h"

// The board uses the C++ library's abs/round/min/max (float-correct, no macro clashes).
using std::abs;
using std::isinf;
using std::isnan;
using std::max;
using std::min;
using std::round;

void setup(void);
void loop(void);

// Pins: declared here, implemented by the twin's pin model (pins.cpp).
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
int digitalRead(uint8_t pin);
uint16_t analogRead(uint8_t pin);
void analogWrite(uint8_t pin, int value);

// random(max): 0..max-1 (0 when max <= 0); random(min, max): min..max-1 (min when max <= min).
// The numbers come from the device's generator (seeded unpredictably when the device first
// uses it, like the board's hardware RNG); randomSeed(s) with s != 0 restarts it from s, so the
// sequence that follows is the same on every run (randomSeed(0) is ignored, as on the board).
// esp_random() draws from the same generator.
long random(long howbig);
long random(long howsmall, long howbig);
void randomSeed(unsigned long seed);
// Kept for source compatibility: the twin has one generator either way.
void useRealRandomGenerator(bool useRandomHW);
// (x - in_min) * (out_max - out_min) / (in_max - in_min) + out_min in long arithmetic
// (truncating); an empty input range logs an error and returns -1, as on the board.
long map(long x, long in_min, long in_max, long out_min, long out_max);

uint16_t makeWord(uint16_t w);
uint16_t makeWord(uint8_t h, uint8_t l);
#define word(...) makeWord(__VA_ARGS__)

// The twin's loop task runs on a host thread with a host-sized stack: the request is checked
// for sense and otherwise has no effect (a sketch that overflows 8 KB on the board does not
// overflow here).
#define SET_LOOP_TASK_STACK_SIZE(sz) static_assert((sz) > 0, "SET_LOOP_TASK_STACK_SIZE needs a size")
#endif  // __cplusplus
