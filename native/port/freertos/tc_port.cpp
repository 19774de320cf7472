// ESP32 port: clock and heap for the core.
#include <cstdlib>

#include "tc_port.h"

extern "C" int64_t esp_timer_get_time(void);

namespace twincore {
namespace port {

uint32_t millis() { return uint32_t(esp_timer_get_time() / 1000); }
void* rawAlloc(size_t n) { return std::malloc(n); }
void rawFree(void* p, size_t) { std::free(p); }

}  // namespace port
}  // namespace twincore
