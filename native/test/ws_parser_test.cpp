// ws_parser_test.cpp: the incremental frame parser (ws_parser.h), with frames written as raw bytes.
// Every valid sample is fed whole, split at every byte boundary and byte by byte, and must give the
// same events; every rejection asserts its close code and its stable code string at every split.
#include <cstdio>
#include <string>
#include <vector>

#include "tc_test.h"
#include "tc_utf8.h"
#include "ws_parser.h"

using namespace twincore::ws;
using Bytes = std::vector<uint8_t>;

namespace {

const uint8_t kMask[4] = {0x37, 0xFA, 0x21, 0x3D};  // the RFC 6455 5.7 example key

Bytes str(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

enum LenForm { kMinimal, kForce16, kForce64 };

// A client frame built by hand (independent of ws_writer): b0 is FIN|RSV|opcode as sent.
Bytes frame(uint8_t b0, const Bytes& payload, bool masked = true, LenForm form = kMinimal) {
  Bytes f{b0};
  const uint8_t m = masked ? 0x80 : 0x00;
  const uint64_t n = payload.size();
  if (form == kMinimal && n < 126) {
    f.push_back(uint8_t(m | n));
  } else if (form != kForce64 && n <= 0xFFFF) {
    f.push_back(uint8_t(m | 126));
    f.push_back(uint8_t(n >> 8));
    f.push_back(uint8_t(n));
  } else {
    f.push_back(uint8_t(m | 127));
    for (int s = 56; s >= 0; s -= 8) f.push_back(uint8_t(n >> s));
  }
  if (masked) f.insert(f.end(), kMask, kMask + 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(uint8_t(payload[i] ^ (masked ? kMask[i & 3] : 0)));
  return f;
}

constexpr uint8_t FIN = 0x80;
constexpr uint8_t TEXT = 0x1, BINARY = 0x2, CONT = 0x0, CLOSE = 0x8, PING = 0x9, PONG = 0xA;

Bytes closePayload(uint16_t code, const std::string& reason = "") {
  Bytes p{uint8_t(code >> 8), uint8_t(code)};
  p.insert(p.end(), reason.begin(), reason.end());
  return p;
}

std::string describe(const uint8_t* p, size_t n) {
  char buf[8];
  std::string s;
  if (n <= 48) {
    for (size_t i = 0; i < n; ++i) {
      std::snprintf(buf, sizeof(buf), "%02x", p[i]);
      s += buf;
    }
    return s;
  }
  uint32_t h = 2166136261u;  // FNV-1a of long payloads
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  std::snprintf(buf, sizeof(buf), "%06x", h & 0xFFFFFF);
  return "#" + std::string(buf);
}

// Records events normalised per frame (chunking differs between splits, frames must not), and
// checks the chunk contract on the way.
struct Recorder : FrameHandler {
  std::string log;
  int calls = 0;
  int stopAtCall = -1;  // return false from this call (1-based)
  bool inFrame = false;
  uint64_t expectIndex = 0;
  Bytes framePayload;
  Utf8Validator text;  // delivered text must always be a valid prefix

  bool onDataChunk(const FrameInfo& info, uint8_t* data, size_t len, bool messageDone) override {
    ++calls;
    CHECK_EQ(info.masked, 1);
    CHECK_EQ(info.index, expectIndex);
    CHECK(info.index + len <= info.len);
    CHECK(info.message_opcode == TEXT || info.message_opcode == BINARY);
    CHECK(std::memcmp(info.mask, kMask, 4) == 0);
    if (!inFrame) {
      inFrame = true;
      framePayload.clear();
      CHECK_EQ(info.opcode, info.num == 0 ? info.message_opcode : CONT);
    }
    framePayload.insert(framePayload.end(), data, data + len);
    expectIndex += len;
    if (info.message_opcode == TEXT) CHECK_MSG(text.feed(data, len), "delivered invalid UTF-8");
    const bool frameDone = info.index + len == info.len;
    CHECK_EQ(messageDone, frameDone && info.final);
    if (frameDone) {
      char head[96];
      std::snprintf(head, sizeof(head), "data mop=%u num=%u op=%u fin=%u len=%llu ",
                    unsigned(info.message_opcode), unsigned(info.num), unsigned(info.opcode),
                    unsigned(info.final), static_cast<unsigned long long>(info.len));
      log += head + describe(framePayload.data(), framePayload.size()) + (messageDone ? " done\n" : "\n");
      inFrame = false;
      expectIndex = 0;
      if (messageDone) {
        if (info.message_opcode == TEXT) CHECK(text.complete());
        text.reset();
      }
    }
    return calls != stopAtCall;
  }

  bool onControlFrame(Opcode op, uint8_t* payload, size_t len) override {
    ++calls;
    CHECK(len <= 125);
    log += "ctrl op=" + std::to_string(int(op)) + " " + describe(payload, len) + "\n";
    return calls != stopAtCall;
  }
};

struct Outcome {
  std::string log;
  const Error* error = nullptr;
  size_t consumed = 0;
};

ParserLimits bigLimits() {
  ParserLimits l;
  l.maxFramePayload = 1u << 20;
  l.maxMessage = 1u << 20;
  return l;
}

// Feeds `in` cut at `cuts` (each piece in its own exactly-sized buffer, so ASan sees over-reads).
Outcome run(const Bytes& in, const std::vector<size_t>& cuts, const ParserLimits& lim) {
  FrameParser p(lim);
  Recorder r;
  Outcome o;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(in.size());
  for (size_t end : ends) {
    Bytes piece(in.begin() + long(start), in.begin() + long(end));
    const size_t used = p.feed(piece.data(), piece.size(), r);
    o.consumed += used;
    start = end;
    if (p.error()) {
      CHECK(used <= piece.size());
      Bytes more{0x81};
      CHECK_EQ(p.feed(more.data(), more.size(), r), 0u);  // stays stopped
      break;
    }
    CHECK_EQ(used, piece.size());
  }
  o.log = r.log;
  o.error = p.error();
  return o;
}

std::vector<size_t> everyByte(size_t n) {
  std::vector<size_t> v;
  for (size_t i = 1; i < n; ++i) v.push_back(i);
  return v;
}

// Valid input: same events and full consumption whole, at every split, byte by byte.
void expectEvents(const Bytes& in, const std::string& expected, const ParserLimits& lim = ParserLimits(),
                  bool allSplits = true) {
  const Outcome whole = run(in, {}, lim);
  CHECK_MSG(whole.error == nullptr, (whole.error ? whole.error->code : ""));
  CHECK_EQ(whole.log, expected);
  CHECK_EQ(whole.consumed, in.size());
  if (allSplits) {
    for (size_t cut = 0; cut <= in.size(); ++cut) {
      const Outcome o = run(in, {cut}, lim);
      CHECK_MSG(o.error == nullptr && o.log == expected && o.consumed == in.size(),
                "split at " << cut << ":\n" << o.log);
    }
    const Outcome o = run(in, everyByte(in.size()), lim);
    CHECK_MSG(o.error == nullptr && o.log == expected && o.consumed == in.size(), "byte by byte:\n" << o.log);
  }
}

// Invalid input: the same error whole, at every split and byte by byte.
void expectError(const Bytes& in, const Error& e, uint16_t closeCode, const char* code,
                 const ParserLimits& lim = ParserLimits()) {
  CHECK_EQ(e.closeCode, closeCode);
  CHECK_EQ(e.code, code);
  const Outcome whole = run(in, {}, lim);
  CHECK_MSG(whole.error == &e, "expected " << code << ", got " << (whole.error ? whole.error->code : "none"));
  if (whole.error) {
    CHECK_EQ(whole.error->closeCode, closeCode);
    CHECK_EQ(whole.error->code, code);
  }
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    const Outcome o = run(in, {cut}, lim);
    CHECK_MSG(o.error == &e, code << ": split at " << cut << " got " << (o.error ? o.error->code : "none"));
  }
  const Outcome o = run(in, everyByte(in.size()), lim);
  CHECK_MSG(o.error == &e, code << ": byte by byte got " << (o.error ? o.error->code : "none"));
}

}  // namespace

TEST(parser_sizeof_is_documented) {
  CHECK_EQ(sizeof(FrameInfo), 32u);
  CHECK_EQ(sizeof(FrameParser), 224u);  // ws_parser.h states this figure
}

TEST(parser_error_table_is_consistent) {
  for (size_t i = 0; i < kErrorCount; ++i) {
    const Error* e = kAllErrors[i];
    CHECK(e->closeCode == 1002 || e->closeCode == 1007 || e->closeCode == 1009);
    CHECK(std::strncmp(e->code, "WS_ERR_", 7) == 0);
    CHECK(std::strlen(e->reason) <= 123);
    for (size_t j = 0; j < i; ++j) CHECK(std::strcmp(e->code, kAllErrors[j]->code) != 0);
  }
}

TEST(parser_close_code_validity_table) {
  for (uint32_t c = 0; c <= 0xFFFF; ++c) {
    const bool expect = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
    CHECK_MSG(isValidCloseCodeOnWire(uint16_t(c)) == expect, "code " << c);
  }
}

TEST(parser_rfc6455_examples) {
  // 5.7: a single-frame masked text message "Hello".
  expectEvents({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
               "data mop=1 num=0 op=1 fin=1 len=5 48656c6c6f done\n");
  // 5.7: a masked Pong "Hello".
  expectEvents({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}, "ctrl op=10 48656c6c6f\n");
  // 5.7: the fragmented "Hel" + "lo", masked as a client must.
  expectEvents(cat({frame(TEXT, str("Hel")), frame(FIN | CONT, str("lo"))}),
               "data mop=1 num=0 op=1 fin=0 len=3 48656c\n"
               "data mop=1 num=1 op=0 fin=1 len=2 6c6f done\n");
  // 5.7: 256 bytes binary (16-bit length).
  Bytes b256(256);
  for (size_t i = 0; i < b256.size(); ++i) b256[i] = uint8_t(i);
  const Bytes f256 = frame(FIN | BINARY, b256);
  CHECK_EQ(f256[1], 0xFE);
  expectEvents(f256, "data mop=2 num=0 op=2 fin=1 len=256 " + describe(b256.data(), 256) + " done\n");
}

TEST(parser_rfc6455_unmasked_example_is_refused) {
  expectError({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}, kErrExpectedMask, 1002, "WS_ERR_EXPECTED_MASK");
  expectError({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}, kErrExpectedMask, 1002, "WS_ERR_EXPECTED_MASK");
  // Detected on the second byte: nothing else needed.
  expectError({0x82, 0x00}, kErrExpectedMask, 1002, "WS_ERR_EXPECTED_MASK");
}

TEST(parser_64k_binary_with_64bit_length) {
  Bytes big(65536);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 31 + 7);
  const Bytes f = frame(FIN | BINARY, big);
  CHECK_EQ(f[1], 0xFF);
  const std::string expected = "data mop=2 num=0 op=2 fin=1 len=65536 " + describe(big.data(), big.size()) + " done\n";
  expectEvents(f, expected, bigLimits(), false);
  for (size_t cut : {size_t(1), size_t(2), size_t(9), size_t(10), size_t(13), size_t(14), size_t(15),
                     size_t(1000), f.size() - 1}) {
    const Outcome o = run(f, {cut}, bigLimits());
    CHECK_MSG(o.error == nullptr && o.log == expected, "cut " << cut);
  }
  std::vector<size_t> cuts;
  for (size_t c = 3; c < f.size(); c += 4093) cuts.push_back(c);  // odd chunking across mask phases
  CHECK_EQ(run(f, cuts, bigLimits()).log, expected);
}

TEST(parser_control_frames_interleave_with_fragments) {
  const Bytes in = cat({frame(TEXT, str("Hel")), frame(FIN | PING, str("p1")), frame(CONT, str("")),
                        frame(FIN | PONG, {}), frame(FIN | CONT, str("lo")), frame(FIN | CLOSE, closePayload(1000, "bye"))});
  expectEvents(in,
               "data mop=1 num=0 op=1 fin=0 len=3 48656c\n"
               "ctrl op=9 7031\n"
               "data mop=1 num=1 op=0 fin=0 len=0 \n"
               "ctrl op=10 \n"
               "data mop=1 num=2 op=0 fin=1 len=2 6c6f done\n"
               "ctrl op=8 03e8627965\n");
}

TEST(parser_many_frames_in_one_buffer_and_empty_frames) {
  const Bytes in = cat({frame(FIN | TEXT, {}), frame(FIN | BINARY, {}), frame(FIN | PING, {}),
                        frame(BINARY, {0x00, 0xFF}), frame(FIN | CONT, {}), frame(FIN | TEXT, str("a")),
                        frame(FIN | CLOSE, {}), frame(FIN | CLOSE, closePayload(4999))});
  expectEvents(in,
               "data mop=1 num=0 op=1 fin=1 len=0  done\n"
               "data mop=2 num=0 op=2 fin=1 len=0  done\n"
               "ctrl op=9 \n"
               "data mop=2 num=0 op=2 fin=0 len=2 00ff\n"
               "data mop=2 num=1 op=0 fin=1 len=0  done\n"
               "data mop=1 num=0 op=1 fin=1 len=1 61 done\n"
               "ctrl op=8 \n"
               "ctrl op=8 1387\n");
}

TEST(parser_accepts_non_minimal_length_encodings) {
  expectEvents(frame(FIN | TEXT, str("hello"), true, kForce16), "data mop=1 num=0 op=1 fin=1 len=5 68656c6c6f done\n");
  expectEvents(frame(FIN | BINARY, str("hello"), true, kForce64), "data mop=2 num=0 op=2 fin=1 len=5 68656c6c6f done\n");
  expectEvents(frame(FIN | BINARY, {}, true, kForce64), "data mop=2 num=0 op=2 fin=1 len=0  done\n");
}

TEST(parser_rejects_rsv_bits) {
  for (uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    expectError(frame(uint8_t(FIN | rsv | TEXT), str("x")), kErrUnexpectedRsv, 1002, "WS_ERR_UNEXPECTED_RSV");
    expectError(frame(uint8_t(FIN | rsv | PING), {}), kErrUnexpectedRsv, 1002, "WS_ERR_UNEXPECTED_RSV");
  }
  // Also on a continuation in the middle of a message.
  expectError(cat({frame(TEXT, str("a")), frame(uint8_t(FIN | 0x40 | CONT), str("b"))}), kErrUnexpectedRsv, 1002,
              "WS_ERR_UNEXPECTED_RSV");
}

TEST(parser_rejects_reserved_opcodes) {
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    expectError(frame(uint8_t(FIN | op), str("x")), kErrInvalidOpcode, 1002, "WS_ERR_INVALID_OPCODE");
    expectError(frame(op, {}), kErrInvalidOpcode, 1002, "WS_ERR_INVALID_OPCODE");
  }
}

TEST(parser_rejects_bad_control_frames) {
  // Payload > 125: 126 and 127 length forms on a control frame.
  expectError(frame(FIN | PING, Bytes(126, 'x')), kErrControlTooLong, 1002, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
  expectError(frame(FIN | CLOSE, closePayload(1000, std::string(200, 'r'))), kErrControlTooLong, 1002,
              "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
  expectError(frame(FIN | PONG, str("x"), true, kForce64), kErrControlTooLong, 1002,
              "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
  // Fragmented control frames.
  expectError(frame(PING, str("x")), kErrControlFragmented, 1002, "WS_ERR_EXPECTED_FIN");
  expectError(frame(CLOSE, {}), kErrControlFragmented, 1002, "WS_ERR_EXPECTED_FIN");
  expectError(cat({frame(TEXT, str("a")), frame(PONG, {})}), kErrControlFragmented, 1002, "WS_ERR_EXPECTED_FIN");
  // 125 is fine.
  expectEvents(frame(FIN | PING, Bytes(125, 'z')), "ctrl op=9 " + describe(Bytes(125, 'z').data(), 125) + "\n");
}

TEST(parser_rejects_continuation_errors) {
  expectError(frame(FIN | CONT, str("x")), kErrUnexpectedContinuation, 1002, "WS_ERR_UNEXPECTED_CONTINUATION");
  expectError(cat({frame(FIN | TEXT, str("done")), frame(CONT, str("x"))}), kErrUnexpectedContinuation, 1002,
              "WS_ERR_UNEXPECTED_CONTINUATION");
  expectError(cat({frame(TEXT, str("a")), frame(FIN | TEXT, str("b"))}), kErrExpectedContinuation, 1002,
              "WS_ERR_EXPECTED_CONTINUATION");
  expectError(cat({frame(BINARY, str("a")), frame(FIN | PING, {}), frame(BINARY, str("b"))}),
              kErrExpectedContinuation, 1002, "WS_ERR_EXPECTED_CONTINUATION");
}

TEST(parser_rejects_64bit_length_with_msb_set) {
  Bytes f{FIN | BINARY, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1};
  f.insert(f.end(), kMask, kMask + 4);
  expectError(f, kErrInvalidLength, 1002, "WS_ERR_INVALID_PAYLOAD_LENGTH", bigLimits());
}

TEST(parser_rejects_bad_close_payloads) {
  expectError(frame(FIN | CLOSE, {0x03}), kErrInvalidClosePayload, 1002, "WS_ERR_INVALID_CLOSE_PAYLOAD");
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    expectError(frame(FIN | CLOSE, closePayload(code)), kErrInvalidCloseCode, 1002, "WS_ERR_INVALID_CLOSE_CODE");
  }
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999}) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "%04x", code);
    expectEvents(frame(FIN | CLOSE, closePayload(code, "ok")), std::string("ctrl op=8 ") + hex + "6f6b\n");
  }
  expectError(frame(FIN | CLOSE, closePayload(1000, "bad \xFF")), kErrInvalidCloseReason, 1007,
              "WS_ERR_INVALID_CLOSE_REASON");
  expectError(frame(FIN | CLOSE, closePayload(1000, "cut \xE2\x82")), kErrInvalidCloseReason, 1007,
              "WS_ERR_INVALID_CLOSE_REASON");
  expectEvents(frame(FIN | CLOSE, closePayload(1001, "\xE2\x82\xAC")), "ctrl op=8 03e9e282ac\n");
}

TEST(parser_utf8_across_fragments) {
  // U+1F600 (F0 9F 98 80) split across two frames, and across three with a ping between.
  expectEvents(cat({frame(TEXT, {'a', 0xF0, 0x9F}), frame(FIN | CONT, {0x98, 0x80})}),
               "data mop=1 num=0 op=1 fin=0 len=3 61f09f\n"
               "data mop=1 num=1 op=0 fin=1 len=2 9880 done\n");
  expectEvents(cat({frame(TEXT, {0xF0}), frame(CONT, {0x9F, 0x98}), frame(FIN | PING, {}), frame(FIN | CONT, {0x80})}),
               "data mop=1 num=0 op=1 fin=0 len=1 f0\n"
               "data mop=1 num=1 op=0 fin=0 len=2 9f98\n"
               "ctrl op=9 \n"
               "data mop=1 num=2 op=0 fin=1 len=1 80 done\n");
  // Binary messages are not validated.
  expectEvents(frame(FIN | BINARY, {0xFF, 0xC0}), "data mop=2 num=0 op=2 fin=1 len=2 ffc0 done\n");
}

TEST(parser_rejects_invalid_utf8) {
  expectError(frame(FIN | TEXT, {'o', 'k', 0xFF}), kErrInvalidUtf8, 1007, "WS_ERR_INVALID_UTF8");
  expectError(frame(FIN | TEXT, {0xED, 0xA0, 0x80}), kErrInvalidUtf8, 1007, "WS_ERR_INVALID_UTF8");  // surrogate
  expectError(frame(FIN | TEXT, {0xC0, 0xAF}), kErrInvalidUtf8, 1007, "WS_ERR_INVALID_UTF8");        // overlong
  expectError(cat({frame(TEXT, {0xE2, 0x82}), frame(FIN | CONT, {0x41})}), kErrInvalidUtf8, 1007,
              "WS_ERR_INVALID_UTF8");
  // A new message after a good one starts with a fresh validator state.
  expectError(cat({frame(FIN | TEXT, str("fine")), frame(FIN | TEXT, {0x80})}), kErrInvalidUtf8, 1007,
              "WS_ERR_INVALID_UTF8");
}

TEST(parser_rejects_text_ending_mid_sequence) {
  expectError(frame(FIN | TEXT, {'a', 0xF0, 0x9F, 0x98}), kErrIncompleteUtf8, 1007, "WS_ERR_INCOMPLETE_UTF8");
  expectError(cat({frame(TEXT, {0xF0, 0x9F}), frame(FIN | CONT, {0x98})}), kErrIncompleteUtf8, 1007,
              "WS_ERR_INCOMPLETE_UTF8");
  expectError(cat({frame(TEXT, {0xC3}), frame(FIN | CONT, {})}), kErrIncompleteUtf8, 1007, "WS_ERR_INCOMPLETE_UTF8");
}

TEST(parser_invalid_utf8_chunk_is_not_delivered) {
  FrameParser p{ParserLimits()};
  Recorder r;
  Bytes f = frame(FIN | TEXT, str("abc\xFF"));
  CHECK_EQ(p.feed(f.data(), f.size(), r), f.size());
  REQUIRE(p.error() != nullptr);
  CHECK_EQ(p.error()->code, "WS_ERR_INVALID_UTF8");
  CHECK_EQ(r.calls, 0);
}

TEST(parser_limits_1009) {
  ParserLimits lim;
  lim.maxFramePayload = 10;
  lim.maxMessage = 16;
  expectEvents(frame(FIN | BINARY, Bytes(10, 1)), "data mop=2 num=0 op=2 fin=1 len=10 01010101010101010101 done\n", lim);
  expectError(frame(FIN | BINARY, Bytes(11, 1)), kErrFrameTooBig, 1009, "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH", lim);
  expectError(frame(FIN | TEXT, Bytes(300, 'a')), kErrFrameTooBig, 1009, "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH", lim);
  expectEvents(cat({frame(TEXT, Bytes(10, 'a')), frame(FIN | CONT, Bytes(6, 'b'))}),
               "data mop=1 num=0 op=1 fin=0 len=10 61616161616161616161\n"
               "data mop=1 num=1 op=0 fin=1 len=6 626262626262 done\n",
               lim);
  expectError(cat({frame(TEXT, Bytes(10, 'a')), frame(CONT, Bytes(6, 'b')), frame(FIN | CONT, Bytes(1, 'c'))}),
              kErrMessageTooBig, 1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", lim);
  // Control frames do not count towards the message.
  expectEvents(cat({frame(BINARY, Bytes(10, 2)), frame(FIN | PING, Bytes(100, 3)), frame(FIN | CONT, Bytes(6, 4))}),
               "data mop=2 num=0 op=2 fin=0 len=10 02020202020202020202\n"
               "ctrl op=9 " + describe(Bytes(100, 3).data(), 100) + "\n"
               "data mop=2 num=1 op=0 fin=1 len=6 040404040404 done\n",
               lim);
  // A message limit below the frame limit applies to single frames too.
  lim.maxFramePayload = 100;
  lim.maxMessage = 8;
  expectError(frame(FIN | BINARY, Bytes(9, 1)), kErrMessageTooBig, 1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", lim);
  // Refused from the header alone, before any payload arrives: a 2^62-byte frame.
  Bytes hdr{FIN | BINARY, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0};
  hdr.insert(hdr.end(), kMask, kMask + 4);
  expectError(hdr, kErrFrameTooBig, 1009, "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH");
  // Message size resets between messages.
  lim.maxMessage = 10;
  expectEvents(cat({frame(FIN | TEXT, Bytes(10, 'a')), frame(FIN | TEXT, Bytes(10, 'b'))}),
               "data mop=1 num=0 op=1 fin=1 len=10 61616161616161616161 done\n"
               "data mop=1 num=0 op=1 fin=1 len=10 62626262626262626262 done\n",
               lim);
}

TEST(parser_chunks_carry_index_and_messageDone) {
  FrameParser p{ParserLimits()};
  Recorder r;
  Bytes f = cat({frame(TEXT, str("abcdef")), frame(FIN | CONT, str("gh"))});
  // Header (6 bytes) + 2 payload bytes, then 3, then the rest.
  CHECK_EQ(p.feed(f.data(), 8, r), 8u);
  CHECK_EQ(r.calls, 1);
  CHECK(p.inMessage());
  CHECK_EQ(p.feed(f.data() + 8, 3, r), 3u);
  CHECK_EQ(p.feed(f.data() + 11, f.size() - 11, r), f.size() - 11);
  CHECK(p.error() == nullptr);
  CHECK(!p.inMessage());
  CHECK_EQ(r.log, std::string("data mop=1 num=0 op=1 fin=0 len=6 616263646566\n"
                              "data mop=1 num=1 op=0 fin=1 len=2 6768 done\n"));
}

TEST(parser_handler_false_stops_and_resumes) {
  const Bytes in = cat({frame(FIN | TEXT, str("one")), frame(FIN | PING, str("p")), frame(FIN | BINARY, str("two"))});
  const std::string expected =
      "data mop=1 num=0 op=1 fin=1 len=3 6f6e65 done\n"
      "ctrl op=9 70\n"
      "data mop=2 num=0 op=2 fin=1 len=3 74776f done\n";
  for (int stopAt = 1; stopAt <= 3; ++stopAt) {
    FrameParser p{ParserLimits()};
    Recorder r;
    r.stopAtCall = stopAt;
    Bytes buf = in;
    const size_t first = p.feed(buf.data(), buf.size(), r);
    CHECK_EQ(r.calls, stopAt);
    const size_t frameEnds[] = {9, 16, buf.size()};
    CHECK_EQ(first, frameEnds[stopAt - 1]);  // stopped right after the frame it delivered
    CHECK(p.error() == nullptr);
    const size_t rest = p.feed(buf.data() + first, buf.size() - first, r);
    CHECK_EQ(first + rest, buf.size());
    CHECK_EQ(r.log, expected);
  }
}

TEST(parser_error_is_final_until_reset) {
  FrameParser p{ParserLimits()};
  Recorder r;
  Bytes bad{0x83, 0x80, 0, 0, 0, 0};
  CHECK_EQ(p.feed(bad.data(), bad.size(), r), 1u);  // refused on the first byte
  REQUIRE(p.error() != nullptr);
  CHECK_EQ(p.error()->code, "WS_ERR_INVALID_OPCODE");
  CHECK_EQ(p.error()->closeCode, close::ProtocolError);
  Bytes good = frame(FIN | TEXT, str("x"));
  CHECK_EQ(p.feed(good.data(), good.size(), r), 0u);
  p.reset();
  CHECK(p.error() == nullptr);
  good = frame(FIN | TEXT, str("x"));
  CHECK_EQ(p.feed(good.data(), good.size(), r), good.size());
  CHECK_EQ(r.log, std::string("data mop=1 num=0 op=1 fin=1 len=1 78 done\n"));
}
