// tc_heap.cpp: counted heap over port::rawAlloc/rawFree (see tc_heap.h).
#include "tc_heap.h"

#include <atomic>

#include "tc_port.h"

namespace twincore {
namespace heap {
namespace {

std::atomic<size_t> g_held{0};
std::atomic<uint32_t> g_failures{0};
std::atomic<uint32_t> g_injected{0};

// Consumes one injected failure if any is pending.
bool takeInjectedFailure() {
  uint32_t n = g_injected.load(std::memory_order_relaxed);
  while (n != 0) {
    if (g_injected.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

}  // namespace

void* alloc(size_t n) {
  if (n == 0) return nullptr;
  void* p = takeInjectedFailure() ? nullptr : port::rawAlloc(n);
  if (p == nullptr) {
    g_failures.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  g_held.fetch_add(n, std::memory_order_relaxed);
  return p;
}

void free(void* p, size_t n) {
  if (p == nullptr) return;
  g_held.fetch_sub(n, std::memory_order_relaxed);
  port::rawFree(p, n);
}

size_t held() { return g_held.load(std::memory_order_relaxed); }
uint32_t failures() { return g_failures.load(std::memory_order_relaxed); }
void failNextAllocs(uint32_t count) { g_injected.store(count, std::memory_order_relaxed); }

}  // namespace heap
}  // namespace twincore
