// tc_heap.h: the core's counted heap. Every byte the WebSocket core allocates goes through here,
// so the harness can prove "zero bytes held" after end() and the board can budget per client.
//
// Threading: alloc()/free() and the counters may be called from any thread at any time; the
// counters are lock-free atomics (32-bit on the ESP32, 64-bit on the host), no lock is taken.
// Ownership: free(p, n) must be given the same n that alloc(n) was asked for.
// Size: no per-allocation header; the caller remembers n. Static state: 3 counters + 1 fault counter.
#pragma once
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace heap {

// Returns n bytes from port::rawAlloc, or nullptr (counted in failures()) when the platform is out
// of memory. alloc(0) returns nullptr and is not a failure.
void* alloc(size_t n);
// Returns p (from alloc(n)) to the platform. free(nullptr, n) does nothing.
void free(void* p, size_t n);
// Bytes currently held by the core.
size_t held();
// alloc() calls that returned nullptr for lack of memory (including injected failures).
uint32_t failures();

// Testing aids (harmless in production; no cost unless used).
// The next `count` calls to alloc() fail as if the platform were out of memory.
void failNextAllocs(uint32_t count);

}  // namespace heap
}  // namespace twincore
