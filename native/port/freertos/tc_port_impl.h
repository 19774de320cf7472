// ESP32 implementation of the core's port seam (see native/core/tc_port.h): a FreeRTOS mutex
// in static storage (no heap), millis() from esp_timer, the heap from malloc.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
}

namespace twincore {
namespace port {

class Mutex {
 public:
  Mutex() : _h(xSemaphoreCreateMutexStatic(&_storage)) {}
  ~Mutex() { vSemaphoreDelete(_h); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() { xSemaphoreTake(_h, portMAX_DELAY); }
  void unlock() { xSemaphoreGive(_h); }
  bool try_lock() { return xSemaphoreTake(_h, 0) == pdTRUE; }

 private:
  StaticSemaphore_t _storage;
  SemaphoreHandle_t _h;
};

// The host batches its network lock across a broadcast; on the board AsyncTCP has its own
// locking per call, so this is nothing.
class NetBatch {
 public:
  NetBatch() {}
  void next() {}
  NetBatch(const NetBatch&) = delete;
  NetBatch& operator=(const NetBatch&) = delete;
};

uint32_t millis();
void* rawAlloc(size_t n);
void rawFree(void* p, size_t n);
void networkBarrier();

}  // namespace port
}  // namespace twincore
