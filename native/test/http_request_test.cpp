// http_request_test.cpp: the bounded HTTP request-head parser (http_request.h). Every sample is fed
// whole, split at every byte boundary, and byte by byte; all must give the same outcome.
#include <string>
#include <vector>

#include "http_request.h"
#include "tc_heap.h"
#include "tc_test.h"

using twincore::ws::HttpLimits;
using twincore::ws::HttpRequestParser;
using Result = HttpRequestParser::Result;
namespace heap = twincore::heap;

namespace {

const char* const kUpgrade =
    "GET /chat?room=1&x=y HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

struct Outcome {
  Result result = Result::NeedMore;
  size_t consumed = 0;
  uint16_t status = 0;
  std::string summary;  // method|path|query|minor|selected headers
};

const char* const kProbe[] = {"host", "upgrade", "connection", "sec-websocket-key", "origin",
                              "sec-websocket-protocol", "sec-websocket-version", "accept",
                              "x-dup", "cookie", "x-empty"};

std::string summarize(const HttpRequestParser& p) {
  std::string s = std::string(p.method()) + "|" + p.path() + "|" + p.query() + "|" +
                  std::to_string(p.httpMinor());
  for (const char* h : kProbe) {
    const char* v = p.header(h);
    s += std::string("|") + h + "=" + (v ? std::string("[") + v + "]" : std::string("null"));
  }
  return s;
}

// Feeds `in` in the given pieces (cut offsets), stopping at Done/Error.
Outcome run(const std::string& in, const std::vector<size_t>& cuts, const HttpLimits& limits) {
  HttpRequestParser p(limits);
  Outcome o;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(in.size());
  for (size_t end : ends) {
    std::vector<uint8_t> piece(in.begin() + long(start), in.begin() + long(end));  // exact size: ASan bound
    size_t used = 0;
    o.result = p.feed(piece.data(), piece.size(), &used);
    CHECK(used <= piece.size());
    o.consumed += used;
    if (o.result == Result::NeedMore) CHECK_EQ(used, piece.size());
    start = end;
    if (o.result != Result::NeedMore) break;
  }
  o.status = p.errorStatus();
  if (o.result == Result::Done) o.summary = summarize(p);
  return o;
}

// Whole, every 2-way split, byte by byte: identical outcomes. Returns the whole-input outcome.
Outcome runAllSplits(const std::string& in, const HttpLimits& limits = HttpLimits()) {
  const size_t before = heap::held();
  const Outcome whole = run(in, {}, limits);
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    const Outcome o = run(in, {cut}, limits);
    CHECK_MSG(o.result == whole.result && o.consumed == whole.consumed && o.status == whole.status &&
                  o.summary == whole.summary,
              "split at " << cut << ": " << o.summary << " status " << o.status);
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < in.size(); ++i) bytes.push_back(i);
  const Outcome o = run(in, bytes, limits);
  CHECK_MSG(o.result == whole.result && o.consumed == whole.consumed && o.status == whole.status &&
                o.summary == whole.summary,
            "byte by byte: " << o.summary);
  CHECK_EQ(heap::held(), before);  // every parser freed its buffer
  return whole;
}

uint16_t statusOf(const std::string& in, const HttpLimits& limits = HttpLimits()) {
  const Outcome o = runAllSplits(in, limits);
  CHECK(o.result == Result::Error);
  return o.status;
}

std::string request(const std::string& headers) { return "GET / HTTP/1.1\r\n" + headers + "\r\n"; }

}  // namespace

TEST(http_sizeof_is_small) {
  CHECK(sizeof(HttpRequestParser) <= 64);
  CHECK_EQ(sizeof(HttpRequestParser), 40u);
}

TEST(http_parses_upgrade_request_at_every_split) {
  const std::string in = std::string(kUpgrade) + "\x81\x85";  // an early frame follows the head
  const Outcome o = runAllSplits(in);
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.consumed, std::strlen(kUpgrade));
  CHECK_EQ(o.status, 0);
  CHECK_EQ(o.summary,
           std::string("GET|/chat|room=1&x=y|1|host=[server.example.com]|upgrade=[websocket]|"
                       "connection=[keep-alive, Upgrade]|sec-websocket-key=[dGhlIHNhbXBsZSBub25jZQ==]|"
                       "origin=[http://example.com]|sec-websocket-protocol=[chat, superchat]|"
                       "sec-websocket-version=[13]|accept=null|x-dup=null|cookie=null|x-empty=null"));
}

TEST(http_accessors_and_lookup) {
  HttpRequestParser p;
  size_t used = 0;
  CHECK_EQ(p.method(), "");
  CHECK(p.header("Host") == nullptr);
  REQUIRE(p.feed(reinterpret_cast<const uint8_t*>(kUpgrade), std::strlen(kUpgrade), &used) == Result::Done);
  CHECK_EQ(p.method(), "GET");
  CHECK_EQ(p.path(), "/chat");
  CHECK_EQ(p.query(), "room=1&x=y");
  CHECK_EQ(p.header("HOST"), "server.example.com");
  CHECK_EQ(p.header("sec-WEBSOCKET-key"), "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(p.header("Hos") == nullptr);
  CHECK(p.header("Hostx") == nullptr);
  CHECK(p.header("") == nullptr);
  CHECK(p.header(nullptr) == nullptr);
  CHECK_EQ(p.headerLines(), 7);
  // Done is final: nothing more is consumed.
  CHECK(p.feed(reinterpret_cast<const uint8_t*>("x"), 1, &used) == Result::Done);
  CHECK_EQ(used, 0u);
}

TEST(http_trims_ows_and_joins_duplicates) {
  const Outcome o = runAllSplits(request(
      "X-Dup: one\r\n"
      "Host:\t h \t\r\n"
      "Cookie: a=1\r\n"
      "x-dup:two  \r\n"
      "X-Empty:\r\n"
      "x-empty: \r\n"
      "Cookie: b=2\r\n"
      "X-DUP:   three\r\n"
      "x-dup:\r\n"
      "X-Empty: later\r\n"));
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.summary, std::string("GET|/||1|host=[h]|upgrade=null|connection=null|sec-websocket-key=null|"
                                  "origin=null|sec-websocket-protocol=null|sec-websocket-version=null|"
                                  "accept=null|x-dup=[one, two, three]|cookie=[a=1, b=2]|x-empty=[later]"));
}

TEST(http_version_minor_and_forms) {
  Outcome o = runAllSplits("GET /a/b HTTP/1.0\r\nHost: x\r\n\r\n");
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.summary.substr(0, 13), std::string("GET|/a/b||0|h"));
  o = runAllSplits("GET /? HTTP/1.1\r\n\r\n");  // no headers, empty query
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.summary.substr(0, 9), std::string("GET|/||1|"));
  o = runAllSplits("GET http://example.com/p/q?z=1 HTTP/1.1\r\n\r\n");
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.summary.substr(0, 14), std::string("GET|/p/q|z=1|1"));
  o = runAllSplits("OPTIONS HTTPS://example.com?k HTTP/1.1\r\n\r\n");
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.summary.substr(0, 15), std::string("OPTIONS|/|k|1|h"));
  o = runAllSplits("GET http://h HTTP/1.1\r\n\r\n");
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.summary.substr(0, 9), std::string("GET|/||1|"));
  o = runAllSplits("M-SEARCH /%20?a=%3F HTTP/1.1\r\n\r\n");
  REQUIRE(o.result == Result::Done);
  CHECK_EQ(o.summary.substr(0, 21), std::string("M-SEARCH|/%20|a=%3F|1"));
}

TEST(http_400_malformed_request_line) {
  CHECK_EQ(statusOf("\r\nGET / HTTP/1.1\r\n\r\n"), 400);    // empty line first
  CHECK_EQ(statusOf(" GET / HTTP/1.1\r\n\r\n"), 400);       // empty method
  CHECK_EQ(statusOf("G(T / HTTP/1.1\r\n\r\n"), 400);        // method not a token
  CHECK_EQ(statusOf("\x16\x03\x01\x02\x00\x01"), 400);      // a TLS ClientHello fails on byte 1
  CHECK_EQ(statusOf("GET  / HTTP/1.1\r\n\r\n"), 400);       // double SP
  CHECK_EQ(statusOf("GET / HTTP/1.1 \r\n\r\n"), 400);       // trailing SP
  CHECK_EQ(statusOf("GET /\r\n\r\n"), 400);                 // HTTP/0.9
  CHECK_EQ(statusOf("GET / HTTP/1.1\n\r\n"), 400);          // bare LF
  CHECK_EQ(statusOf("GET / HTTP/1.1\r\r\n"), 400);          // CR not followed by LF
  CHECK_EQ(statusOf("GET chat HTTP/1.1\r\n\r\n"), 400);     // not origin-form
  CHECK_EQ(statusOf("GET ftp://h/ HTTP/1.1\r\n\r\n"), 400);
  CHECK_EQ(statusOf("GET http:///p HTTP/1.1\r\n\r\n"), 400);  // no authority
  CHECK_EQ(statusOf("GET /a\x01 HTTP/1.1\r\n\r\n"), 400);   // CTL in target
  CHECK_EQ(statusOf("GET /\xC3\xA9 HTTP/1.1\r\n\r\n"), 400);  // raw non-ASCII in target
  CHECK_EQ(statusOf(std::string("GET /\0 HTTP/1.1\r\n\r\n", 19)), 400);
  CHECK_EQ(statusOf("GET / http/1.1\r\n\r\n"), 400);
  CHECK_EQ(statusOf("GET / HTTP/1.1x\r\n\r\n"), 400);
  CHECK_EQ(statusOf("GET / HTTP/1\r\n\r\n"), 400);
  CHECK_EQ(statusOf("GET / HTTP/11.1\r\n\r\n"), 400);
}

TEST(http_505_unsupported_version) {
  CHECK_EQ(statusOf("GET / HTTP/2.0\r\n\r\n"), 505);
  CHECK_EQ(statusOf("GET / HTTP/1.2\r\n\r\n"), 505);
  CHECK_EQ(statusOf("GET / HTTP/0.9\r\n\r\n"), 505);
}

TEST(http_400_malformed_headers) {
  CHECK_EQ(statusOf(request("Host: a\r\n folded\r\n")), 400);    // obs-fold
  CHECK_EQ(statusOf(request("\tHost: a\r\n")), 400);
  CHECK_EQ(statusOf(request("Host : a\r\n")), 400);              // space before colon
  CHECK_EQ(statusOf(request(": a\r\n")), 400);                   // empty name
  CHECK_EQ(statusOf(request("Host a\r\n")), 400);                // no colon
  CHECK_EQ(statusOf(request("Ho(st: a\r\n")), 400);              // name not a token
  CHECK_EQ(statusOf(request("Host: a\x01z\r\n")), 400);          // CTL in value
  CHECK_EQ(statusOf(request("Host: a\x7Fz\r\n")), 400);          // DEL in value
  CHECK_EQ(statusOf(request(std::string("Host: a\0z\r\n", 11))), 400);
  CHECK_EQ(statusOf(request("Host: a\nX: b\r\n")), 400);         // bare LF in a header
  CHECK_EQ(statusOf(request("Host: a\rX: b\r\n")), 400);         // bare CR in a header
  CHECK_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);   // bare LF as the blank line
  // obs-text and HTAB inside a value are allowed.
  const Outcome o = runAllSplits(request("Origin: caf\xC3\xA9\tx\r\n"));
  CHECK(o.result == Result::Done);
}

TEST(http_431_too_many_headers) {
  HttpLimits lim;
  lim.maxHeaders = 3;
  std::string three = request("A: 1\r\nB: 2\r\nA: 3\r\n");
  CHECK(runAllSplits(three, lim).result == Result::Done);
  CHECK_EQ(statusOf(request("A: 1\r\nB: 2\r\nA: 3\r\nC: 4\r\n"), lim), 431);
  std::string many;
  for (int i = 0; i < 25; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK_EQ(statusOf(request(many)), 431);  // default limit 24
}

TEST(http_431_head_too_big_and_exact_fit) {
  HttpLimits lim;
  lim.maxHeadBytes = 100;
  std::string base = request("X: ");
  // Pad the X header so that the head is exactly 100 bytes.
  std::string fit = "GET / HTTP/1.1\r\nX: " + std::string(100 - base.size() - 2, 'v') + "\r\n\r\n";
  REQUIRE(fit.size() == 100u);
  const Outcome o = runAllSplits(fit + "tail", lim);
  CHECK(o.result == Result::Done);
  CHECK_EQ(o.consumed, 100u);
  std::string over = "GET / HTTP/1.1\r\nX: " + std::string(100 - base.size() - 1, 'v') + "\r\n\r\n";
  CHECK_EQ(statusOf(over, lim), 431);
  // Default limit: a 3000-byte cookie.
  CHECK_EQ(statusOf(request("Cookie: " + std::string(3000, 'c') + "\r\n")), 431);
  lim.maxHeadBytes = 0;
  CHECK_EQ(statusOf("GET / HTTP/1.1\r\n\r\n", lim), 431);
}

TEST(http_414_uri_too_long) {
  CHECK_EQ(statusOf("GET /" + std::string(2100, 'a') + " HTTP/1.1\r\n\r\n"), 414);
  HttpLimits lim;
  lim.maxHeadBytes = 64;
  CHECK_EQ(statusOf("GET /" + std::string(60, 'a'), lim), 414);
  // A request line that fits but leaves no room for the headers is 431.
  CHECK_EQ(statusOf("GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: " + std::string(30, 'h') +
                        "\r\n\r\n",
                    lim),
           431);
}

TEST(http_buffer_is_lazy_grows_and_is_freed) {
  const size_t before = heap::held();
  {
    HttpRequestParser p;
    size_t used = 7;
    CHECK(p.feed(nullptr, 0, &used) == Result::NeedMore);
    CHECK_EQ(used, 0u);
    CHECK_EQ(p.bufferBytes(), 0u);
    CHECK_EQ(heap::held(), before);
    const std::string big = request("Cookie: " + std::string(1500, 'c') + "\r\n");
    CHECK(p.feed(reinterpret_cast<const uint8_t*>(big.data()), 1, &used) == Result::NeedMore);
    CHECK_EQ(p.bufferBytes(), 512u);
    CHECK_EQ(heap::held(), before + 512);
    REQUIRE(p.feed(reinterpret_cast<const uint8_t*>(big.data()) + 1, big.size() - 1, &used) == Result::Done);
    CHECK_EQ(p.bufferBytes(), 2048u);
    CHECK_EQ(heap::held(), before + 2048);
    CHECK_EQ(std::strlen(p.header("cookie")), 1500u);
    p.release();
    CHECK_EQ(heap::held(), before);
    CHECK_EQ(p.method(), "");
    // Reusable after release().
    REQUIRE(p.feed(reinterpret_cast<const uint8_t*>(kUpgrade), std::strlen(kUpgrade), &used) == Result::Done);
    CHECK_EQ(p.header("upgrade"), "websocket");
  }
  CHECK_EQ(heap::held(), before);  // the destructor freed it
  {
    HttpLimits lim;
    lim.maxHeadBytes = 200;
    HttpRequestParser p(lim);
    size_t used = 0;
    CHECK(p.feed(reinterpret_cast<const uint8_t*>("G"), 1, &used) == Result::NeedMore);
    CHECK_EQ(p.bufferBytes(), 200u);  // never more than maxHeadBytes
  }
  CHECK_EQ(heap::held(), before);
}

TEST(http_error_frees_buffer_and_is_final) {
  const size_t before = heap::held();
  HttpRequestParser p;
  size_t used = 0;
  const char* bad = "GET / HTTP/1.1\r\nHost : x\r\n\r\n";
  CHECK(p.feed(reinterpret_cast<const uint8_t*>(bad), std::strlen(bad), &used) == Result::Error);
  CHECK_EQ(p.errorStatus(), 400);
  CHECK_EQ(used, 26u);  // up to the LF of the offending line
  CHECK_EQ(heap::held(), before);
  CHECK(p.feed(reinterpret_cast<const uint8_t*>(bad), 3, &used) == Result::Error);
  CHECK_EQ(used, 0u);
  CHECK(p.header("host") == nullptr);
}

TEST(http_503_when_heap_fails) {
  const size_t before = heap::held();
  const uint32_t failuresBefore = heap::failures();
  {
    HttpRequestParser p;
    size_t used = 9;
    heap::failNextAllocs(1);
    CHECK(p.feed(reinterpret_cast<const uint8_t*>(kUpgrade), std::strlen(kUpgrade), &used) == Result::Error);
    CHECK_EQ(p.errorStatus(), 503);
    CHECK_EQ(used, 0u);
  }
  CHECK_EQ(heap::failures(), failuresBefore + 1);
  {
    // Failure while growing: the old buffer is still freed.
    HttpRequestParser p;
    const std::string big = request("Cookie: " + std::string(1000, 'c') + "\r\n");
    size_t used = 0;
    CHECK(p.feed(reinterpret_cast<const uint8_t*>(big.data()), 100, &used) == Result::NeedMore);
    heap::failNextAllocs(1);
    CHECK(p.feed(reinterpret_cast<const uint8_t*>(big.data()) + 100, big.size() - 100, &used) ==
          Result::Error);
    CHECK_EQ(p.errorStatus(), 503);
    CHECK_EQ(used, 412u);
    CHECK_EQ(heap::held(), before);
  }
  CHECK_EQ(heap::held(), before);
}
