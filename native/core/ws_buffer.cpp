#include "ws_buffer.h"

#include <cstring>
#include <new>

#include "tc_heap.h"
#include "ws_types.h"
#include "ws_writer.h"

namespace twincore {
namespace ws {

namespace {
constexpr uint8_t kFraming = 0x7F;
constexpr uint8_t kFramed = 0x80;
constexpr uint8_t kNotFin = 0x40;
}  // namespace

SharedBuffer* SharedBuffer::create(size_t len) {
  void* mem = heap::alloc(sizeof(SharedBuffer) + kHeadroom + len);
  if (!mem) return nullptr;
  return new (mem) SharedBuffer(len);
}

SharedBuffer* SharedBuffer::copyOf(const void* data, size_t len) {
  SharedBuffer* b = create(len);
  if (b && len) std::memcpy(b->payload(), data, len);
  return b;
}

void SharedBuffer::unref() {
  if (_refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  size_t n = sizeof(SharedBuffer) + kHeadroom + _len + _slack;
  this->~SharedBuffer();
  heap::free(this, n);
}

void SharedBuffer::truncate(size_t len) {
  if (len < _len && _state.load(std::memory_order_acquire) == 0) {
    _slack += _len - len;
    _len = len;
  }
}

bool SharedBuffer::frame(uint8_t op, bool fin) {
  uint8_t want = uint8_t(kFramed | op | (fin ? 0 : kNotFin));
  uint8_t st = _state.load(std::memory_order_acquire);
  if (st == want) return true;
  if (st != 0) return false;
  uint8_t expected = 0;
  if (!_state.compare_exchange_strong(expected, kFraming, std::memory_order_acq_rel)) {
    return expected == want;
  }
  uint8_t hdr[kMaxFrameHeader];
  size_t h = writeFrameHeader(hdr, static_cast<Opcode>(op), fin, _len, nullptr);
  if (h == 0 || h > kHeadroom) {
    _state.store(0, std::memory_order_release);
    return false;
  }
  std::memcpy(payload() - h, hdr, h);
  _hdrLen = uint8_t(h);
  _state.store(want, std::memory_order_release);
  return true;
}

}  // namespace ws
}  // namespace twincore
