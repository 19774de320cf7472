// esp_random.h (twin): the ESP32 random number source. On the twin both calls draw from the
// calling thread's device generator (Arduino.h: random/randomSeed describe it); off device
// threads, from a process-wide one. Any thread; `buf` is the caller's.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
uint32_t esp_random(void);
void esp_fill_random(void* buf, size_t len);
#ifdef __cplusplus
}
#endif
