// Host implementation of the core's port seam: std::mutex that cooperates with the twin's
// single-core CPU, the twin's clock and the twin's counted heap.
#include "tc_port.h"

#include "Arduino.h"
#include "twin.h"
#include "twin_internal.h"

namespace twincore {
namespace port {

void Mutex::lock() {
  if (_m.try_lock()) return;
  // Contended: a FreeRTOS task blocked on a mutex lets the other task run.
  twin::cpuBlockBegin();
  _m.lock();
  twin::cpuBlockEnd();
}

NetBatch::NetBatch() : _dev(twin::netBatchBegin()) {}
NetBatch::~NetBatch() { twin::netBatchEnd(static_cast<twin::Device::Impl*>(_dev)); }
void NetBatch::renew() {
  _n = 0;
  if (!_dev) return;
  twin::netBatchEnd(static_cast<twin::Device::Impl*>(_dev));
  _dev = twin::netBatchBegin();
}

uint32_t millis() { return ::millis(); }
void* rawAlloc(size_t n) { return twin::heapAlloc(n); }
void rawFree(void* p, size_t n) { twin::heapFree(p, n); }
void networkBarrier() { twin::networkBarrier(); }

}  // namespace port
}  // namespace twincore
