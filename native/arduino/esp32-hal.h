// esp32-hal.h (twin): the arduino-esp32 HAL declarations sketches and libraries reach through
// Arduino.h: time, CPU figures, the HAL log. C and C++.
// Threading: any thread (Arduino.h has the device rules). millis()/micros() share one process
// clock; delay() blocks the calling task (a single-core profile gives the CPU to the other task;
// on the loop task it returns early when the device stops, on a firmware task it ends the task
// then); delayMicroseconds() busy-waits below 2 ms, as the board does, and sleeps beyond.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp32-hal-log.h"

#ifndef ARDUINO_RUNNING_CORE
#define ARDUINO_RUNNING_CORE 1
#endif
#ifndef ARDUINO_EVENT_RUNNING_CORE
#define ARDUINO_EVENT_RUNNING_CORE 1
#endif

#ifdef __cplusplus
extern "C" {
#endif
uint32_t millis(void);
uint32_t micros(void);
void delay(uint32_t ms);
void delayMicroseconds(uint32_t us);
void yield(void);
// The profile's CPU clock: 240 MHz (esp32, esp32s3), 160 MHz (esp32c3).
uint32_t getCpuFrequencyMhz(void);
uint32_t getXtalFrequencyMhz(void);
uint32_t getApbFrequency(void);
// A steady 45.0 degrees Celsius: the twin has no die sensor.
float temperatureRead(void);
#ifdef __cplusplus
}
#endif
