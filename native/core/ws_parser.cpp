// ws_parser.cpp: incremental frame parser (see ws_parser.h).
#include "ws_parser.h"

#include <cstring>

#include "ws_writer.h"

namespace twincore {
namespace ws {
namespace {

constexpr uint8_t kOpContinuation = static_cast<uint8_t>(Opcode::Continuation);
constexpr uint8_t kOpText = static_cast<uint8_t>(Opcode::Text);
constexpr uint8_t kOpBinary = static_cast<uint8_t>(Opcode::Binary);
constexpr uint8_t kOpClose = static_cast<uint8_t>(Opcode::Close);
constexpr uint8_t kOpPing = static_cast<uint8_t>(Opcode::Ping);
constexpr uint8_t kOpPong = static_cast<uint8_t>(Opcode::Pong);

// Total header size (2..14, mask included) once the first two bytes are known.
inline uint8_t headerSize(uint8_t b1) {
  const uint8_t len7 = b1 & 0x7F;
  return uint8_t(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
}

}  // namespace

FrameParser::FrameParser(const ParserLimits& limits) : _limits(limits) { reset(); }

void FrameParser::reset() {
  std::memset(&_info, 0, sizeof(_info));
  _messageLen = 0;
  _error = nullptr;
  _utf8.reset();
  _state = kHeader;
  _inMessage = 0;
  _hdrLen = 0;
  _ctrlOp = 0;
  std::memset(_ctrlMask, 0, sizeof(_ctrlMask));
  _ctrlNeed = 0;
  _ctrlLen = 0;
}

bool FrameParser::fail(const Error& e) {
  _error = &e;
  return false;
}

bool FrameParser::checkFirstByte(uint8_t b0) {
  const bool fin = (b0 & 0x80) != 0;
  const uint8_t op = b0 & 0x0F;
  if ((b0 & 0x70) != 0) return fail(kErrUnexpectedRsv);
  if (op == kOpClose || op == kOpPing || op == kOpPong) {
    if (!fin) return fail(kErrControlFragmented);
    return true;
  }
  if (op == kOpContinuation) {
    if (!_inMessage) return fail(kErrUnexpectedContinuation);
    return true;
  }
  if (op == kOpText || op == kOpBinary) {
    if (_inMessage) return fail(kErrExpectedContinuation);
    return true;
  }
  return fail(kErrInvalidOpcode);
}

bool FrameParser::checkSecondByte(uint8_t b1) {
  if ((b1 & 0x80) == 0) return fail(kErrExpectedMask);
  const uint8_t len7 = b1 & 0x7F;
  const uint8_t op = _hdr[0] & 0x0F;
  if (op & 0x08) {
    if (len7 > kMaxControlPayload) return fail(kErrControlTooLong);
    if (op == kOpClose && len7 == 1) return fail(kErrInvalidClosePayload);
  }
  return true;
}

bool FrameParser::startFrame() {
  const uint8_t len7 = _hdr[1] & 0x7F;
  uint64_t plen;
  size_t i = 2;
  if (len7 == 126) {
    plen = (uint64_t(_hdr[2]) << 8) | _hdr[3];
    i = 4;
  } else if (len7 == 127) {
    plen = 0;
    for (i = 2; i < 10; ++i) plen = (plen << 8) | _hdr[i];
    if ((plen >> 63) != 0) return fail(kErrInvalidLength);
  } else {
    plen = len7;
  }
  const uint8_t* mask = _hdr + i;
  const uint8_t op = _hdr[0] & 0x0F;
  const uint8_t fin = uint8_t(_hdr[0] >> 7);

  if (op & 0x08) {  // length <= 125 was checked on the second byte
    _ctrlOp = op;
    std::memcpy(_ctrlMask, mask, 4);
    _ctrlNeed = uint8_t(plen);
    _ctrlLen = 0;
    _state = kControl;
    return true;
  }

  if (plen > _limits.maxFramePayload) return fail(kErrFrameTooBig);
  if (op != kOpContinuation) {
    _messageLen = 0;  // a new message; _messageLen <= maxMessage holds from here on
    if (plen > _limits.maxMessage) return fail(kErrMessageTooBig);
    _info.message_opcode = op;
    _info.num = 0;
    _utf8.reset();
    _inMessage = 1;
  } else {
    if (plen > _limits.maxMessage - _messageLen) return fail(kErrMessageTooBig);
    ++_info.num;
  }
  _messageLen += plen;
  _info.final = fin;
  _info.masked = 1;
  _info.opcode = op;
  std::memcpy(_info.mask, mask, 4);
  _info.len = plen;
  _info.index = 0;
  _state = kData;
  return true;
}

bool FrameParser::validateClose() {
  if (_ctrlNeed == 0) return true;  // no status; a 1-byte payload was refused from the header
  const uint16_t code = uint16_t((uint16_t(_ctrl[0]) << 8) | _ctrl[1]);
  if (!isValidCloseCodeOnWire(code)) return fail(kErrInvalidCloseCode);
  if (!isValidUtf8(_ctrl + 2, size_t(_ctrlNeed) - 2)) return fail(kErrInvalidCloseReason);
  return true;
}

size_t FrameParser::feed(uint8_t* data, size_t len, FrameHandler& h) {
  if (_error != nullptr) return 0;
  size_t pos = 0;
  for (;;) {
    if (_state == kData) {
      // Deliver what is available of this frame; an empty frame is delivered once, with len 0.
      const uint64_t remaining = _info.len - _info.index;
      const size_t avail = len - pos;
      if (avail == 0 && remaining != 0) break;
      const size_t n = remaining < avail ? size_t(remaining) : avail;
      uint8_t* p = data + pos;
      applyMask(p, n, _info.mask, _info.index);
      const bool text = _info.message_opcode == kOpText;
      if (text && !_utf8.feed(p, n)) {
        fail(kErrInvalidUtf8);
        return pos + n;
      }
      const bool frameDone = (n == remaining);
      const bool messageDone = frameDone && _info.final;
      if (messageDone && text && !_utf8.complete()) {
        fail(kErrIncompleteUtf8);
        return pos + n;
      }
      pos += n;
      if (frameDone) {
        _state = kHeader;
        if (messageDone) _inMessage = 0;
      }
      const bool go = h.onDataChunk(_info, p, n, messageDone);
      _info.index += n;
      if (!go) return pos;
      continue;
    }

    if (_state == kControl) {
      size_t take = size_t(_ctrlNeed - _ctrlLen);
      if (take > len - pos) take = len - pos;
      if (take != 0) std::memcpy(_ctrl + _ctrlLen, data + pos, take);
      _ctrlLen = uint8_t(_ctrlLen + take);
      pos += take;
      if (_ctrlLen < _ctrlNeed) break;  // all input used
      applyMask(_ctrl, _ctrlNeed, _ctrlMask, 0);
      if (_ctrlOp == kOpClose && !validateClose()) return pos;
      _state = kHeader;
      if (!h.onControlFrame(static_cast<Opcode>(_ctrlOp), _ctrl, _ctrlNeed)) return pos;
      continue;
    }

    // kHeader: collect up to 14 bytes, checking each as early as it can be checked.
    if (pos == len) break;
    const uint8_t b = data[pos++];
    _hdr[_hdrLen++] = b;
    if (_hdrLen == 1) {
      if (!checkFirstByte(b)) return pos;
      continue;
    }
    if (_hdrLen == 2 && !checkSecondByte(b)) return pos;
    if (_hdrLen < headerSize(_hdr[1])) continue;
    _hdrLen = 0;
    if (!startFrame()) return pos;
  }
  return pos;
}

}  // namespace ws
}  // namespace twincore
