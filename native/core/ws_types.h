// ws_types.h: RFC 6455 vocabulary shared by the codec: opcodes, close codes, and the parser's
// errors as data (each a stable string code plus the close code to answer with).
//
// Threading: constants only; no shared mutable state. Header-only.
// Sizes: Opcode 1 byte; Error 2 pointers + uint16_t (24 bytes on a 64-bit host, 12 on the ESP32).
#pragma once
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace ws {

enum class Opcode : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

constexpr bool isControl(Opcode op) { return (static_cast<uint8_t>(op) & 0x08) != 0; }

// Close status codes (RFC 6455 7.4.1). NoStatus and Abnormal are for reporting only: they never
// appear on the wire.
namespace close {
constexpr uint16_t Normal = 1000;
constexpr uint16_t GoingAway = 1001;
constexpr uint16_t ProtocolError = 1002;
constexpr uint16_t Unsupported = 1003;
constexpr uint16_t NoStatus = 1005;
constexpr uint16_t Abnormal = 1006;
constexpr uint16_t InvalidPayload = 1007;
constexpr uint16_t PolicyViolation = 1008;
constexpr uint16_t TooBig = 1009;
constexpr uint16_t MandatoryExt = 1010;
constexpr uint16_t InternalError = 1011;
constexpr uint16_t TryAgainLater = 1013;
}  // namespace close

// True if `code` may appear in a Close frame on the wire (RFC 6455 7.4 and the IANA registry):
// 1000-1003, 1007-1014, 3000-4999. 1004 (reserved), 1005, 1006, 1015 (local-only), the rest of
// 1016-2999 (unassigned IANA range), <1000 and >=5000 are invalid.
constexpr bool isValidCloseCodeOnWire(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

// A protocol error: the close code to send, a stable machine-readable code, a short human reason
// (ASCII, < 123 bytes, so it can be sent as the close reason as-is).
struct Error {
  uint16_t closeCode;
  const char* code;
  const char* reason;
};

// Every error the frame parser reports. X(constant, closeCode, code string, reason).
#define TWINCORE_WS_ERRORS(X)                                                                      \
  X(kErrExpectedMask, 1002, "WS_ERR_EXPECTED_MASK", "client frame is not masked")                  \
  X(kErrUnexpectedRsv, 1002, "WS_ERR_UNEXPECTED_RSV", "RSV bit set without a negotiated extension") \
  X(kErrInvalidOpcode, 1002, "WS_ERR_INVALID_OPCODE", "reserved opcode")                           \
  X(kErrControlTooLong, 1002, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",                             \
    "control frame payload longer than 125 bytes")                                                 \
  X(kErrControlFragmented, 1002, "WS_ERR_EXPECTED_FIN", "control frame is fragmented")             \
  X(kErrUnexpectedContinuation, 1002, "WS_ERR_UNEXPECTED_CONTINUATION",                            \
    "continuation frame without a message in progress")                                           \
  X(kErrExpectedContinuation, 1002, "WS_ERR_EXPECTED_CONTINUATION",                                \
    "new data frame while a fragmented message is in progress")                                    \
  X(kErrInvalidLength, 1002, "WS_ERR_INVALID_PAYLOAD_LENGTH",                                      \
    "64-bit payload length with the most significant bit set")                                     \
  X(kErrInvalidClosePayload, 1002, "WS_ERR_INVALID_CLOSE_PAYLOAD", "close payload of 1 byte")      \
  X(kErrInvalidCloseCode, 1002, "WS_ERR_INVALID_CLOSE_CODE", "invalid close code")                 \
  X(kErrInvalidUtf8, 1007, "WS_ERR_INVALID_UTF8", "text message is not valid UTF-8")               \
  X(kErrIncompleteUtf8, 1007, "WS_ERR_INCOMPLETE_UTF8", "text message ends inside a UTF-8 sequence") \
  X(kErrInvalidCloseReason, 1007, "WS_ERR_INVALID_CLOSE_REASON", "close reason is not valid UTF-8") \
  X(kErrFrameTooBig, 1009, "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH", "frame payload too big")      \
  X(kErrMessageTooBig, 1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", "message too big")

#define TWINCORE_WS_DEFINE_ERROR(name, closeCode, code, reason) \
  inline constexpr Error name{closeCode, code, reason};
TWINCORE_WS_ERRORS(TWINCORE_WS_DEFINE_ERROR)
#undef TWINCORE_WS_DEFINE_ERROR

#define TWINCORE_WS_ERROR_ADDRESS(name, closeCode, code, reason) &name,
// All parser errors, for tables and tests.
inline constexpr const Error* kAllErrors[] = {TWINCORE_WS_ERRORS(TWINCORE_WS_ERROR_ADDRESS)};
#undef TWINCORE_WS_ERROR_ADDRESS
constexpr size_t kErrorCount = sizeof(kAllErrors) / sizeof(kAllErrors[0]);

}  // namespace ws
}  // namespace twincore
