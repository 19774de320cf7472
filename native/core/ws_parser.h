// ws_parser.h: the incremental RFC 6455 frame parser for frames a server receives from a client.
// Only a parser: it takes bytes, unmasks them in place and reports through a FrameHandler; it
// never sends, closes or allocates. Protocol violations become an Error (ws_types.h) carrying the
// close code to answer with.
//
// Threading: no shared state; one instance per connection, used by one thread at a time. The
// handler is called synchronously from feed(), on the caller's thread; it must not call feed() or
// reset() on the same parser (return false instead and act after feed() returns).
// Size: sizeof(FrameParser) == 224 bytes on a 64-bit host, 216 on a 32-bit MCU (checked with
// arm-none-eabi), including the inline 125-byte control-frame buffer; FrameInfo is 32 bytes. No heap.
//
// Policy choices, each documented here:
// - Non-minimal length encodings (e.g. 5 written with the 16-bit form) are ACCEPTED: RFC 6455 5.2
//   tells senders to use the minimal form but does not require receivers to reject, and most
//   servers (ws, uWebSockets, ESPAsyncWebServer) accept them. Only bit 63 of a 64-bit length is an error.
// - No extension is ever negotiated, so any RSV bit is an error.
// - Limits are checked from the header, before any payload byte is read: a frame longer than
//   maxFramePayload, or one that would take the message over maxMessage, is refused with 1009.
// - Text is validated chunk by chunk before delivery; a chunk containing invalid UTF-8 is not
//   delivered. A text message ending inside a sequence is 1007 (WS_ERR_INCOMPLETE_UTF8).
// - After a Close frame the parser keeps parsing; the connection layer stops feeding it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tc_utf8.h"
#include "ws_types.h"

namespace twincore {
namespace ws {

struct FrameInfo {         // mirrors ESPAsyncWebServer's AwsFrameInfo field names
  uint8_t message_opcode;  // Text or Binary: the opcode of the message this frame belongs to
  uint32_t num;            // frame number within the message (0 = first)
  uint8_t final;           // FIN bit of this frame
  uint8_t masked;          // always 1 for client frames we accept
  uint8_t opcode;          // this frame's opcode (Continuation for later fragments)
  uint8_t mask[4];
  uint64_t len;            // this frame's payload length
  uint64_t index;          // offset of the current chunk within this frame's payload
};

// Defaults sized for an ESP32 serving a UI: one message fits comfortably in its free heap.
struct ParserLimits {
  uint64_t maxFramePayload = 16384;  // larger data frames are refused with 1009
  uint64_t maxMessage = 16384;       // larger messages (sum of fragments) are refused with 1009
};

class FrameHandler {  // implemented by the client layer
 public:
  // A chunk of a data frame (Text/Binary/Continuation), already unmasked in place.
  // Called once with len==0 for an empty frame. For text, the bytes delivered so far are valid UTF-8
  // (a sequence may be split across chunks; invalid data is reported as an error instead of delivered).
  // `messageDone` is true on the last chunk of the final frame. Return false to stop feeding (e.g. the
  // connection was closed from inside); feed() then returns immediately.
  virtual bool onDataChunk(const FrameInfo& info, uint8_t* data, size_t len, bool messageDone) = 0;
  // A complete control frame (Ping, Pong, Close), payload unmasked (<=125 bytes). A Close payload has
  // already been validated (empty, or 2-byte valid code + UTF-8 reason). Return false to stop.
  virtual bool onControlFrame(Opcode op, uint8_t* payload, size_t len) = 0;

 protected:
  ~FrameHandler() = default;
};

class FrameParser {
 public:
  explicit FrameParser(const ParserLimits& limits);

  // Consumes input split at ANY byte boundary; unmasks in place. Returns bytes consumed: all of
  // `len` unless a handler returned false (then the bytes up to and including the frame data just
  // delivered) or a protocol violation was found (then the bytes up to and including the offending
  // ones). On a protocol violation it stops, error() becomes non-null, and every later feed()
  // returns 0. A handler returning false leaves the parser consistent: a later feed() continues.
  size_t feed(uint8_t* data, size_t len, FrameHandler& h);

  // The violation found, or nullptr. Points at one of the constants in ws_types.h.
  const Error* error() const { return _error; }

  // True between the first and the final frame of a fragmented data message.
  bool inMessage() const { return _inMessage != 0; }

  // Back to the initial state (no message in progress, no error); the limits are kept.
  void reset();

 private:
  enum State : uint8_t { kHeader, kData, kControl };

  bool fail(const Error& e);
  bool checkFirstByte(uint8_t b0);
  bool checkSecondByte(uint8_t b1);
  bool startFrame();  // the header is complete in _hdr
  bool validateClose();

  ParserLimits _limits;        // 16
  FrameInfo _info;             // 32: the current (or last) data frame
  uint64_t _messageLen;        // 8: payload bytes of the current message so far
  const Error* _error;         // 8 (4)
  Utf8Validator _utf8;         // 4: the current text message
  uint8_t _state;              // State
  uint8_t _inMessage;          // a data message has started and its final frame has not
  uint8_t _hdrLen;             // header bytes collected in _hdr
  uint8_t _hdr[14];            // frame header being collected
  uint8_t _ctrlOp;             // Opcode of the control frame being collected
  uint8_t _ctrlMask[4];
  uint8_t _ctrlNeed;           // its payload length (<= 125)
  uint8_t _ctrlLen;            // payload bytes collected so far
  uint8_t _ctrl[125];          // control payload
};

}  // namespace ws
}  // namespace twincore
