// Print and Stream against arduino-esp32: what print/println/printf write and return (bytes
// written), number bases and floats as the board formats them, Printable, write errors; Stream's
// timed reads (find, parseInt/parseFloat, readBytes*, readString*) and their timeouts.
#include <Arduino.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <string>

#include "tc_test.h"

namespace {

struct Collect : public Print {
  std::string out;
  using Print::write;
  size_t write(uint8_t c) override {
    out.push_back(char(c));
    return 1;
  }
};

// Accepts at most `room` bytes in all, then reports 0 and sets the write error.
struct Limited : public Print {
  std::string out;
  size_t room;
  explicit Limited(size_t r) : room(r) {}
  size_t write(uint8_t c) override {
    if (room == 0) {
      setWriteError();
      return 0;
    }
    --room;
    out.push_back(char(c));
    return 1;
  }
};

// A Stream over fixed text (all of it available at once), also a Print that collects.
struct TextStream : public Stream {
  std::string in, out;
  size_t pos = 0;
  explicit TextStream(std::string t) : in(std::move(t)) {}
  int available() override { return int(in.size() - pos); }
  int read() override { return pos < in.size() ? static_cast<unsigned char>(in[pos++]) : -1; }
  int peek() override { return pos < in.size() ? static_cast<unsigned char>(in[pos]) : -1; }
  size_t write(uint8_t c) override {
    out.push_back(char(c));
    return 1;
  }
};

struct Pt : public Printable {
  size_t printTo(Print& p) const override { return p.print("(") + p.print(1) + p.print(",") + p.print(-2) + p.print(")"); }
};

using Clock = std::chrono::steady_clock;
long msSince(Clock::time_point t) {
  return long(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

}  // namespace

TEST(arduino_core_print_integers_and_bases_return_bytes_written) {
  Collect c;
  CHECK_EQ(c.print(255, HEX), 2u);
  CHECK_EQ(c.out, "FF");  // upper case, unlike String(255, HEX)
  c.out.clear();
  CHECK_EQ(c.print(-1, HEX), 8u);  // an int prints its 32 bits, as on the board
  CHECK_EQ(c.out, "FFFFFFFF");
  c.out.clear();
  CHECK_EQ(c.print(-1L, HEX), 8u);  // so does a long that fits 32 bits
  c.out.clear();
  CHECK_EQ(c.print(-1LL, HEX), 16u);
  c.out.clear();
  CHECK_EQ(c.print(10, BIN), 4u);
  CHECK_EQ(c.out, "1010");
  c.out.clear();
  CHECK_EQ(c.print(-42), 3u);
  CHECK_EQ(c.print(4000000000UL), 10u);
  CHECK_EQ(c.print((unsigned char)65), 2u);
  CHECK_EQ(c.print('A'), 1u);
  CHECK_EQ(c.print(66, 0), 1u);  // base 0 writes the raw byte
  CHECK_EQ(c.print(-9223372036854775807LL - 1), 20u);
  CHECK_EQ(c.out, "-42400000000065AB-9223372036854775808");
  c.out.clear();
  CHECK_EQ(c.println(), 2u);
  CHECK_EQ(c.println("x"), 3u);
  CHECK_EQ(c.println(7, OCT), 3u);
  CHECK_EQ(c.out, "\r\nx\r\n7\r\n");
}

TEST(arduino_core_print_floats_as_the_board) {
  Collect c;
  CHECK_EQ(c.print(3.14159), 4u);
  CHECK_EQ(c.out, "3.14");
  c.out.clear();
  c.print(1.999, 2);
  c.print(' ');
  c.print(2.5, 0);
  c.print(' ');
  c.print(-0.125, 3);
  c.print(' ');
  c.print(1e10);
  c.print(' ');
  c.print(NAN);
  c.print(' ');
  c.print(-INFINITY);
  c.print(' ');
  c.print(4294967040.0, 0);
  CHECK_EQ(c.out, "2.00 3 -0.125 ovf nan inf 4294967040");
  c.out.clear();
  CHECK_EQ(c.println(0.5f), 6u);
  CHECK_EQ(c.out, "0.50\r\n");
}

TEST(arduino_core_print_strings_printables_and_time) {
  Collect c;
  CHECK_EQ(c.print(F("flash ")), 6u);
  CHECK_EQ(c.print(String("str ")), 4u);
  CHECK_EQ(c.print((const char*)nullptr), 0u);
  CHECK_EQ(c.print(Pt()), 6u);
  CHECK_EQ(c.println(Pt()), 8u);
  CHECK_EQ(c.write("w", 1), 1u);
  CHECK_EQ(c.out, "flash str (1,-2)(1,-2)\r\nw");
  c.out.clear();
  struct tm t = {};
  t.tm_year = 124;
  t.tm_mon = 1;
  t.tm_mday = 29;
  t.tm_hour = 13;
  t.tm_min = 5;
  CHECK_EQ(c.print(&t, "%Y-%m-%d %H:%M"), 16u);
  CHECK_EQ(c.out, "2024-02-29 13:05");
  CHECK_EQ(c.availableForWrite(), 0);
}

TEST(arduino_core_print_printf_returns_the_formatted_length) {
  Collect c;
  CHECK_EQ(c.printf("%d-%s", 42, "x"), 4u);
  CHECK_EQ(c.out, "42-x");
  c.out.clear();
  std::string longArg(300, 'q');
  CHECK_EQ(c.printf("<%s>", longArg.c_str()), 302u);  // beyond the 64-byte fast path
  CHECK_EQ(c.out, "<" + longArg + ">");
  // As on the board printf reports what it formatted, while print reports what was written.
  Limited lim(3);
  CHECK_EQ(lim.printf("%s", "abcdef"), 6u);
  CHECK_EQ(lim.out, "abc");
  CHECK_EQ(lim.getWriteError(), 1);
  CHECK_EQ(lim.print("more"), 0u);
  lim.clearWriteError();
  CHECK_EQ(lim.getWriteError(), 0);
  Limited two(2);
  CHECK_EQ(two.print(12345), 2u);
}

TEST(arduino_core_stream_parse_numbers) {
  TextStream a("abc-123,456x");
  CHECK_EQ(a.parseInt(SKIP_ALL, ','), -123456L);
  CHECK_EQ(a.read(), 'x');
  TextStream b("x12");
  b.setTimeout(10);
  CHECK_EQ(b.parseInt(SKIP_NONE), 0L);  // the number must start at once: 'x' is not consumed
  CHECK_EQ(b.peek(), 'x');
  TextStream w("  \t42 7");
  w.setTimeout(10);
  CHECK_EQ(w.parseInt(SKIP_WHITESPACE), 42L);
  CHECK_EQ(w.parseInt(), 7L);
  TextStream f("  -12.5e");
  f.setTimeout(10);
  CHECK_EQ(f.parseFloat(), -12.5f);
  CHECK_EQ(f.read(), 'e');
  TextStream g(".25;3.");
  g.setTimeout(10);
  CHECK_EQ(g.parseFloat(), 0.25f);
  CHECK_EQ(g.parseFloat(), 3.0f);
}

TEST(arduino_core_stream_find_and_read_until) {
  TextStream s("xxaaab needle; rest,END tail");
  s.setTimeout(10);
  CHECK(s.find("aab"));  // a partial match (aa) that restarts inside itself
  CHECK(s.find("needle"));
  CHECK_EQ(s.read(), ';');
  char buf[16] = {0};
  CHECK_EQ(s.readBytesUntil(',', buf, sizeof buf), 5u);
  CHECK_EQ(std::string(buf, 5), " rest");
  CHECK(!s.findUntil("zzz", "END"));  // the terminator comes first
  CHECK_EQ(s.readStringUntil('l'), String(" tai"));
  TextStream t("line1\nline2");
  t.setTimeout(10);
  CHECK_EQ(t.readStringUntil('\n'), String("line1"));
  CHECK_EQ(t.readString(), String("line2"));
  TextStream e("");
  e.setTimeout(10);
  CHECK(e.find(""));  // an empty target is found at once
  CHECK(!e.find("a"));
}

TEST(arduino_core_stream_timed_reads_wait_for_the_timeout) {
  TextStream s("abc");
  s.setTimeout(60);
  CHECK_EQ(s.getTimeout(), 60UL);
  char buf[8];
  auto t0 = Clock::now();
  CHECK_EQ(s.readBytes(buf, sizeof buf), 3u);  // 3 bytes, then waits 60 ms for more
  long waited = msSince(t0);
  CHECK_MSG(waited >= 55 && waited < 2000, "waited " << waited << " ms");
  t0 = Clock::now();
  CHECK_EQ(s.readString(), String(""));
  waited = msSince(t0);
  CHECK_MSG(waited >= 55 && waited < 2000, "waited " << waited << " ms");
  s.setTimeout(0);
  t0 = Clock::now();
  CHECK_EQ(s.parseInt(), 0L);
  CHECK(msSince(t0) < 500);
  // Serial receives nothing: a timed read there times out too.
  Serial.setTimeout(30);
  t0 = Clock::now();
  CHECK_EQ(Serial.readStringUntil('\n'), String(""));
  CHECK(msSince(t0) >= 25);
  CHECK_EQ(Serial.available(), 0);
  CHECK_EQ(Serial.read(), -1);
  CHECK_EQ(Serial.availableForWrite(), 128);
}
