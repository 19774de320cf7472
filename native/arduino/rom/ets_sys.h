// rom/ets_sys.h (twin): the ESP32 ROM's console printf and microsecond delay.
// ets_printf writes to the console like Serial (one device log line per '\n') and returns the
// formatted length; ets_delay_us busy-waits (as delayMicroseconds). Any thread. C and C++.
#pragma once
#include <stdint.h>

typedef enum { ETS_OK = 0, ETS_FAILED = 1, ETS_PENDING = 2, ETS_BUSY = 3, ETS_CANCEL = 4 } ETS_STATUS;

#ifdef __cplusplus
extern "C" {
#endif
int ets_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void ets_delay_us(uint32_t us);
#ifdef __cplusplus
}
#endif
