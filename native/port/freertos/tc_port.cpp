// ESP32 port: clock and heap for the core.
#include <cstdlib>

#include "tc_port.h"

extern "C" int64_t esp_timer_get_time(void);

namespace twincore {
namespace port {

uint32_t millis() { return uint32_t(esp_timer_get_time() / 1000); }
void* rawAlloc(size_t n) { return std::malloc(n); }
void rawFree(void* p, size_t) { std::free(p); }

// AsyncTCP offers no way to run work on its task, so on the board the barrier is time-based:
// async_tcp runs at a higher priority (CONFIG_ASYNC_TCP_PRIORITY 10) than the loop task (1),
// and what remains of a dispatch once our callback returned is a few non-blocking
// instructions, so two ticks (2 ms at the default 1 kHz tick) cover it with a wide margin. On
// the host the barrier is exact (native/port/std).
void networkBarrier() { vTaskDelay(2); }

}  // namespace port
}  // namespace twincore
