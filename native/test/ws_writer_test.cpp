// ws_writer_test.cpp: the frame encoder (ws_writer.h), and writer -> parser roundtrips of masked
// frames of 0, 1, 125, 126, 65535 and 65536 bytes.
#include <string>
#include <vector>

#include "tc_test.h"
#include "tc_utf8.h"
#include "ws_parser.h"
#include "ws_writer.h"

using namespace twincore::ws;
using Bytes = std::vector<uint8_t>;

namespace {

Bytes header(Opcode op, bool fin, uint64_t len, const uint8_t* mask = nullptr) {
  uint8_t out[kMaxFrameHeader + 4];
  std::memset(out, 0xEE, sizeof(out));
  const size_t n = writeFrameHeader(out, op, fin, len, mask);
  CHECK(n <= kMaxFrameHeader);
  for (size_t i = n; i < sizeof(out); ++i) CHECK_EQ(out[i], 0xEE);  // nothing written past n
  return Bytes(out, out + n);
}

struct Collect : FrameHandler {
  Bytes data;
  Bytes control;
  int messages = 0;
  int controls = 0;
  bool onDataChunk(const FrameInfo&, uint8_t* p, size_t len, bool messageDone) override {
    data.insert(data.end(), p, p + len);
    if (messageDone) ++messages;
    return true;
  }
  bool onControlFrame(Opcode, uint8_t* p, size_t len) override {
    control.assign(p, p + len);
    ++controls;
    return true;
  }
};

}  // namespace

TEST(writer_header_length_forms) {
  CHECK(header(Opcode::Text, true, 0) == Bytes({0x81, 0x00}));
  CHECK(header(Opcode::Binary, true, 125) == Bytes({0x82, 0x7D}));
  CHECK(header(Opcode::Binary, false, 126) == Bytes({0x02, 0x7E, 0x00, 0x7E}));
  CHECK(header(Opcode::Continuation, true, 65535) == Bytes({0x80, 0x7E, 0xFF, 0xFF}));
  CHECK(header(Opcode::Binary, true, 65536) == Bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
  CHECK(header(Opcode::Binary, true, 0x0102030405060708ull) == Bytes({0x82, 0x7F, 1, 2, 3, 4, 5, 6, 7, 8}));
  CHECK(header(Opcode::Binary, true, 0x7FFFFFFFFFFFFFFFull) ==
        Bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  CHECK(header(Opcode::Ping, true, 0) == Bytes({0x89, 0x00}));
  CHECK(header(Opcode::Pong, true, 125) == Bytes({0x8A, 0x7D}));
  CHECK(header(Opcode::Close, true, 2) == Bytes({0x88, 0x02}));
}

TEST(writer_header_masked) {
  const uint8_t m[4] = {0x37, 0xFA, 0x21, 0x3D};
  CHECK(header(Opcode::Text, true, 5, m) == Bytes({0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D}));
  CHECK(header(Opcode::Binary, true, 256, m) == Bytes({0x82, 0xFE, 0x01, 0x00, 0x37, 0xFA, 0x21, 0x3D}));
  const Bytes h = header(Opcode::Binary, true, 1ull << 32, m);
  CHECK_EQ(h.size(), kMaxFrameHeader);
  CHECK(h == Bytes({0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 0x37, 0xFA, 0x21, 0x3D}));
}

TEST(writer_header_refuses_misuse) {
  uint8_t out[kMaxFrameHeader];
  CHECK_EQ(writeFrameHeader(out, Opcode::Binary, true, 1ull << 63, nullptr), 0u);
  CHECK_EQ(writeFrameHeader(out, Opcode::Ping, true, 126, nullptr), 0u);
  CHECK_EQ(writeFrameHeader(out, Opcode::Close, false, 0, nullptr), 0u);
  CHECK_EQ(writeFrameHeader(out, Opcode::Text, false, 0, nullptr), 2u);  // data frames may fragment
}

TEST(writer_close_payload) {
  uint8_t out[kMaxControlPayload];
  CHECK_EQ(writeClosePayload(out, close::Normal, "bye", 3), 5u);
  CHECK(Bytes(out, out + 5) == Bytes({0x03, 0xE8, 'b', 'y', 'e'}));
  CHECK_EQ(writeClosePayload(out, close::TooBig, nullptr, 10), 2u);
  CHECK(Bytes(out, out + 2) == Bytes({0x03, 0xF1}));
  CHECK_EQ(writeClosePayload(out, 4000, "", 0), 2u);
  // Codes that never go on the wire give an empty payload.
  CHECK_EQ(writeClosePayload(out, close::NoStatus, "x", 1), 0u);
  CHECK_EQ(writeClosePayload(out, close::Abnormal, "x", 1), 0u);
  CHECK_EQ(writeClosePayload(out, 1015, "x", 1), 0u);
  CHECK_EQ(writeClosePayload(out, 0, nullptr, 0), 0u);
}

TEST(writer_close_reason_truncated_at_utf8_boundary) {
  uint8_t out[kMaxControlPayload + 8];
  std::memset(out, 0xEE, sizeof(out));
  const std::string ascii(200, 'a');
  CHECK_EQ(writeClosePayload(out, 1000, ascii.data(), ascii.size()), 125u);
  CHECK_EQ(out[125], 0xEE);
  // 122 ASCII bytes then a 3-byte euro sign straddling byte 123: cut before it.
  std::string s = std::string(122, 'b') + "\xE2\x82\xAC" + "tail";
  CHECK_EQ(writeClosePayload(out, 1000, s.data(), s.size()), 124u);
  CHECK(isValidUtf8(out + 2, 122));
  // 121 + a 2-byte char that ends exactly at 123: kept.
  s = std::string(121, 'c') + "\xC3\xA9" + "more";
  CHECK_EQ(writeClosePayload(out, 1000, s.data(), s.size()), 125u);
  CHECK(isValidUtf8(out + 2, 123));
  // Emoji run: 4-byte characters, 123 = 30*4 + 3 -> 120 bytes kept.
  s.clear();
  for (int i = 0; i < 40; ++i) s += "\xF0\x9F\x98\x80";
  CHECK_EQ(writeClosePayload(out, 1000, s.data(), s.size()), 122u);
  CHECK(isValidUtf8(out + 2, 120));
  // Exactly 123 bytes: untouched.
  s = std::string(123, 'd');
  CHECK_EQ(writeClosePayload(out, 1000, s.data(), s.size()), 125u);
}

TEST(writer_apply_mask_phases_and_chunks) {
  const uint8_t m[4] = {0x01, 0x02, 0x04, 0x80};
  Bytes ref(37);
  for (size_t i = 0; i < ref.size(); ++i) ref[i] = uint8_t(i * 13);
  Bytes whole = ref;
  applyMask(whole.data(), whole.size(), m, 0);
  for (size_t i = 0; i < ref.size(); ++i) CHECK_EQ(whole[i], uint8_t(ref[i] ^ m[i & 3]));
  // Any chunking with running offsets gives the same result.
  for (size_t cut = 0; cut <= ref.size(); ++cut) {
    for (size_t cut2 = cut; cut2 <= ref.size(); cut2 += 5) {
      Bytes c = ref;
      applyMask(c.data(), cut, m, 0);
      applyMask(c.data() + cut, cut2 - cut, m, cut);
      applyMask(c.data() + cut2, c.size() - cut2, m, cut2);
      CHECK_MSG(c == whole, "cuts " << cut << "," << cut2);
    }
  }
  // Offsets beyond 32 bits only matter modulo 4.
  Bytes c = ref;
  applyMask(c.data(), c.size(), m, (1ull << 40) + 0);
  CHECK(c == whole);
  applyMask(c.data(), c.size(), m, 0);
  CHECK(c == ref);  // masking twice restores the data
  applyMask(nullptr, 0, m, 3);
}

TEST(writer_parser_masked_roundtrip) {
  const uint8_t m[4] = {0xA5, 0x5A, 0xC3, 0x3C};
  ParserLimits lim;
  lim.maxFramePayload = 65536;
  lim.maxMessage = 65536;
  for (size_t n : {size_t(0), size_t(1), size_t(125), size_t(126), size_t(65535), size_t(65536)}) {
    Bytes payload(n);
    for (size_t i = 0; i < n; ++i) payload[i] = uint8_t((i * 2654435761u) >> 13);
    for (Opcode op : {Opcode::Binary, Opcode::Ping}) {
      if (op == Opcode::Ping && n > kMaxControlPayload) continue;
      Bytes wire = header(op, true, n, m);
      const size_t hdr = wire.size();
      CHECK_EQ(hdr, size_t(n < 126 ? 6 : n <= 65535 ? 8 : 14));
      wire.insert(wire.end(), payload.begin(), payload.end());
      applyMask(wire.data() + hdr, n, m, 0);
      std::vector<size_t> cuts = {0, 1, hdr - 1, hdr, hdr + 1, hdr + n / 2, wire.size()};
      if (n <= 126) {
        cuts.clear();
        for (size_t c = 0; c <= wire.size(); ++c) cuts.push_back(c);
      }
      for (size_t cut : cuts) {
        if (cut > wire.size()) continue;
        Bytes buf = wire;
        FrameParser p(lim);
        Collect c;
        const size_t a = p.feed(buf.data(), cut, c);
        const size_t b = p.feed(buf.data() + cut, buf.size() - cut, c);
        CHECK_MSG(p.error() == nullptr, "n=" << n << " cut=" << cut);
        CHECK_EQ(a + b, wire.size());
        if (op == Opcode::Binary) {
          CHECK_EQ(c.messages, 1);
          CHECK_MSG(c.data == payload, "n=" << n << " cut=" << cut);
        } else {
          CHECK_EQ(c.controls, 1);
          CHECK_MSG(c.control == payload, "n=" << n << " cut=" << cut);
        }
      }
    }
  }
}

TEST(writer_parser_close_roundtrip) {
  const uint8_t m[4] = {1, 2, 3, 4};
  uint8_t payload[kMaxControlPayload];
  const std::string reason = std::string(121, 'r') + "\xE2\x82\xAC";
  const size_t n = writeClosePayload(payload, close::GoingAway, reason.data(), reason.size());
  CHECK_EQ(n, 123u);
  Bytes wire = header(Opcode::Close, true, n, m);
  const size_t hdr = wire.size();
  wire.insert(wire.end(), payload, payload + n);
  applyMask(wire.data() + hdr, n, m, 0);
  FrameParser p{ParserLimits()};
  Collect c;
  CHECK_EQ(p.feed(wire.data(), wire.size(), c), wire.size());
  CHECK(p.error() == nullptr);
  CHECK(c.control == Bytes(payload, payload + n));
}
