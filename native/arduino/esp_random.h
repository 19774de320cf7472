// esp_random.h (twin): the ESP32 hardware random number generator, on the host: numbers from the
// host's entropy source (std::random_device), as unpredictable as the board's RNG with WiFi on.
// Threading: any thread. Lifetimes: nothing kept.
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
