// ws_buffer.h: one framed WebSocket message shared by every client it is queued to.
//
// A SharedBuffer is one allocation: [this struct][kHeadroom bytes][payload]. The frame header
// is written into the headroom right before the payload the first time the buffer is framed,
// so a broadcast frames its payload once and every client sends the same bytes (server frames
// are never masked). Queues hold references; the last unref frees it through twincore::heap.
//
// Threads: ref()/unref() are atomic (32-bit) and may run on any thread. The payload may be
// written only before the buffer is first sent. frame() may race with itself (two broadcasts
// of one user buffer): exactly one caller frames it; a caller asking for a different opcode
// (or losing the race while framing is in progress) gets false and must copy.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace ws {

class SharedBuffer {
 public:
  // Largest unmasked server frame header (2 + 8 bytes of extended length).
  static constexpr size_t kHeadroom = 10;

  // A buffer for len payload bytes, refcount 1; nullptr when the heap is exhausted.
  static SharedBuffer* create(size_t len);
  // create() + copy of data (data may be null when len is 0).
  static SharedBuffer* copyOf(const void* data, size_t len);

  void ref() { _refs.fetch_add(1, std::memory_order_relaxed); }
  void unref();

  uint8_t* payload() { return base() + kHeadroom; }
  const uint8_t* payload() const { return const_cast<SharedBuffer*>(this)->base() + kHeadroom; }
  size_t length() const { return _len; }

  // Before the first send only: shortens the payload (printf sizing). The bytes stay allocated.
  void truncate(size_t len);

  // Writes the header of a frame with opcode op (a ws::Opcode value) and the FIN bit `fin`
  // (false: a fragment, AsyncWebSocketClient::sendFragment) once. True when the buffer is (now)
  // framed with op and fin.
  bool frame(uint8_t op, bool fin = true);
  // The framed bytes (valid once frame() returned true).
  const uint8_t* frameData() const { return payload() - _hdrLen; }
  size_t frameLength() const { return _hdrLen + _len; }

 private:
  explicit SharedBuffer(size_t len) : _refs(1), _state(0), _hdrLen(0), _len(len), _slack(0) {}
  ~SharedBuffer() = default;
  uint8_t* base() { return reinterpret_cast<uint8_t*>(this + 1); }

  std::atomic<uint32_t> _refs;  // 4
  std::atomic<uint8_t> _state;  // 1: 0 unframed, kFraming, else 0x80 | opcode | 0x40 if not FIN
  uint8_t _hdrLen;              // 1
  size_t _len;                  // 4/8: payload length
  size_t _slack;                // 4/8: bytes allocated past _len (after truncate())
};

}  // namespace ws
}  // namespace twincore
