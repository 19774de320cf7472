// The Arduino String against arduino-esp32's behaviour: construction from every type (bases,
// floats as the board prints them), + chains, comparisons, search, modification, conversion,
// move, the board's SSO and block sizes, and "invalid after a failed allocation" on a device.
#include <Arduino.h>

#include <climits>
#include <cmath>
#include <string>
#include <utility>

#include "arduino_core_rig.h"
#include "tc_test.h"

namespace {
std::string s(const String& x) { return std::string(x.c_str(), x.length()); }
}  // namespace

TEST(arduino_core_string_constructs_from_text_and_chars) {
  CHECK_EQ(s(String()), "");
  CHECK(bool(String()));
  CHECK_EQ(s(String("hello")), "hello");
  CHECK_EQ(s(String("hello", 3)), "hel");
  CHECK_EQ(s(String('x')), "x");
  CHECK_EQ(s(String(F("flash"))), "flash");
  CHECK_EQ(s(String({'a', 'b', 'c'})), "abc");
  const uint8_t raw[] = {'o', 'k', '!'};
  CHECK_EQ(s(String(raw, 2)), "ok");
  String nul((const char*)nullptr);
  CHECK(!nul);  // a null source makes an invalid string, as on the board
  CHECK_EQ(nul.length(), 0u);
  CHECK_EQ(nul.c_str(), "");
  String copy("copied");
  String other(copy);
  CHECK_EQ(s(other), "copied");
  CHECK_EQ(s(emptyString), "");
}

TEST(arduino_core_string_numbers_in_bases_as_the_board_prints_them) {
  CHECK_EQ(s(String(255, HEX)), "ff");  // lower case, unlike Print
  CHECK_EQ(s(String(255, BIN)), "11111111");
  CHECK_EQ(s(String(8, OCT)), "10");
  CHECK_EQ(s(String(-42)), "-42");
  CHECK_EQ(s(String(-255, HEX)), "ffffff01");  // int: newlib itoa, two's complement
  CHECK_EQ(s(String(-255L, HEX)), "-ff");      // long: '-' and the magnitude
  CHECK_EQ(s(String(35, 36)), "z");            // int/unsigned accept bases up to 36
  CHECK_EQ(s(String((unsigned char)200, 36)), "5k");
  CHECK_EQ(s(String(5, 37)), "");              // unsupported base
  CHECK_EQ(s(String(100L, 36)), "");           // long accepts bases up to 16 only
  CHECK_EQ(s(String(4000000000u)), "4000000000");
  CHECK_EQ(s(String(12345678901LL)), "12345678901");
  CHECK_EQ(s(String(LLONG_MIN)), "-9223372036854775808");
  CHECK_EQ(s(String(ULLONG_MAX, HEX)), "ffffffffffffffff");
  CHECK_EQ(s(String((unsigned char)7)), "7");
}

TEST(arduino_core_string_floats_as_dtostrf_prints_them) {
  CHECK_EQ(s(String(3.14159f)), "3.14");
  CHECK_EQ(s(String(3.14159, 4)), "3.1416");
  CHECK_EQ(s(String(1.999, 2)), "2.00");
  CHECK_EQ(s(String(2.5, 0)), " 3");  // width decimalPlaces + 2 pads 0 places with a space
  CHECK_EQ(s(String(-0.5f, 1)), "-0.5");
  CHECK_EQ(s(String(123.456, 1)), "123.5");
  CHECK_EQ(s(String(0.0)), "0.00");
  CHECK_EQ(s(String(1e20, 0)), "100000000000000000000");
  CHECK_EQ(s(String(NAN)), "nan");
  CHECK_EQ(s(String(INFINITY)), "inf");
  CHECK_EQ(s(String(-INFINITY)), "inf");  // the board's dtostrf drops the sign of infinity
  char buf[32];
  CHECK_EQ(dtostrf(3.5, 8, 2, buf), buf);
  CHECK_EQ(std::string(buf), "    3.50");  // right-aligned in the width
  CHECK_EQ(std::string(dtostrf(-3.5, 7, 1, buf)), "   -3.5");
}

TEST(arduino_core_string_plus_chains_and_concat) {
  String a = String("a") + 1 + "b";
  CHECK_EQ(s(a), "a1b");
  String b = "x" + String(2) + 'c' + 3UL + F("f") + 4.25 + -7L + 8LL + (unsigned char)9;
  CHECK_EQ(s(b), "x2c3f4.25-789");
  String c = String("v=") + 1.5f;
  CHECK_EQ(s(c), "v=1.50");
  String d = "ab";
  d += 5;
  d += 'c';
  d += F("!");
  d += String("S");
  d += 2.0;
  CHECK_EQ(s(d), "ab5c!S2.00");
  CHECK(d.concat("x", 1));
  CHECK(!d.concat((const char*)nullptr));
  CHECK_EQ(s(d), "ab5c!S2.00x");
  String self = "self";
  self += self;  // appending itself
  CHECK_EQ(s(self), "selfself");
  String longer = "0123456789abcdefghij";
  longer += longer.c_str() + 10;  // a pointer into its own buffer
  CHECK_EQ(s(longer), "0123456789abcdefghijabcdefghij");
}

TEST(arduino_core_string_comparisons) {
  String abc = "abc";
  CHECK(abc == "abc");
  CHECK(abc != "abd");
  CHECK(abc == String("abc"));
  CHECK(abc < String("abd"));
  CHECK(String("b") > abc);
  CHECK(abc <= String("abc") && abc >= String("abc"));
  CHECK(abc.compareTo(String("abd")) < 0);
  CHECK(abc.compareTo(String("ab")) > 0);
  CHECK_EQ(abc.compareTo(String("abc")), 0);
  CHECK(abc.equals("abc"));
  CHECK(abc.equalsIgnoreCase(String("ABC")));
  CHECK(!abc.equalsIgnoreCase(String("ABCD")));
  CHECK(abc.equalsConstantTime(String("abc")));
  CHECK(!abc.equalsConstantTime(String("abd")));
  CHECK(abc.startsWith("ab"));
  CHECK(!abc.startsWith("abcd"));
  CHECK(abc.startsWith(String("bc"), 1));
  CHECK(!abc.startsWith(String("bc"), 2));
  CHECK(abc.endsWith("bc"));
  CHECK(abc.endsWith(F("c")));
  CHECK(!abc.endsWith("xabc"));
  CHECK(String("") == (const char*)nullptr);
}

TEST(arduino_core_string_character_access) {
  String t = "hello";
  CHECK_EQ(t.charAt(1), 'e');
  CHECK_EQ(t[4], 'o');
  CHECK_EQ(t.charAt(5), 0);  // out of range reads 0
  t.setCharAt(0, 'j');
  t.setCharAt(99, 'x');  // ignored
  t[1] = 'E';
  t[50] = 'z';  // lands in a scratch char
  CHECK_EQ(s(t), "jEllo");
  char out[4];
  t.toCharArray(out, sizeof out);
  CHECK_EQ(std::string(out), "jEl");  // truncated, NUL-terminated
  unsigned char bytes[8];
  t.getBytes(bytes, sizeof bytes, 2);
  CHECK_EQ(std::string(reinterpret_cast<char*>(bytes)), "llo");
  t.getBytes(bytes, sizeof bytes, 9);
  CHECK_EQ(bytes[0], 0);
  std::string it;
  for (char ch : t) it.push_back(ch);
  CHECK_EQ(it, "jEllo");
  CHECK_EQ(t.end() - t.begin(), 5);
}

TEST(arduino_core_string_search) {
  String t = "hello world, hello";
  CHECK_EQ(t.indexOf('l'), 2);
  CHECK_EQ(t.indexOf('l', 4), 9);
  CHECK_EQ(t.indexOf('z'), -1);
  CHECK_EQ(t.indexOf("hello"), 0);
  CHECK_EQ(t.indexOf("hello", 1), 13);
  CHECK_EQ(t.indexOf(String("world")), 6);
  CHECK_EQ(t.indexOf("x", 100), -1);
  CHECK_EQ(t.lastIndexOf('l'), 16);
  CHECK_EQ(t.lastIndexOf('l', 10), 9);
  CHECK_EQ(t.lastIndexOf('l', 9), 9);
  CHECK_EQ(t.lastIndexOf('l', 8), 3);
  CHECK_EQ(t.lastIndexOf("hello"), 13);
  CHECK_EQ(t.lastIndexOf("hello", 12), 0);
  CHECK_EQ(t.lastIndexOf("zzz"), -1);
  CHECK_EQ(String("").lastIndexOf('a'), -1);
  CHECK_EQ(s(t.substring(6, 11)), "world");
  CHECK_EQ(s(t.substring(11, 6)), "world");  // bounds swapped, as on the board
  CHECK_EQ(s(t.substring(13)), "hello");
  CHECK_EQ(s(t.substring(100)), "");
  CHECK_EQ(s(t.substring(13, 999)), "hello");
}

TEST(arduino_core_string_modification) {
  String r = "hello world hello";
  r.replace("hello", "goodbye");  // grows
  CHECK_EQ(s(r), "goodbye world goodbye");
  r.replace("goodbye", "hi");  // shrinks
  CHECK_EQ(s(r), "hi world hi");
  r.replace("hi", "yo");  // same length
  CHECK_EQ(s(r), "yo world yo");
  r.replace('o', '0');
  CHECK_EQ(s(r), "y0 w0rld y0");
  r.replace("", "x");  // empty pattern: nothing
  CHECK_EQ(s(r), "y0 w0rld y0");
  String grow = "aaaa";
  grow.replace("aa", "bbb");  // non-overlapping, left to right
  CHECK_EQ(s(grow), "bbbbbb");
  String rm = "0123456789";
  rm.remove(7);
  CHECK_EQ(s(rm), "0123456");
  rm.remove(1, 2);
  CHECK_EQ(s(rm), "03456");
  rm.remove(100);
  rm.remove(2, 100);
  CHECK_EQ(s(rm), "03");
  String cs = "MiXeD 123";
  cs.toLowerCase();
  CHECK_EQ(s(cs), "mixed 123");
  cs.toUpperCase();
  CHECK_EQ(s(cs), "MIXED 123");
  String tr = " \t trim me \r\n";
  tr.trim();
  CHECK_EQ(s(tr), "trim me");
  String blank = "   ";
  blank.trim();
  CHECK_EQ(s(blank), "");
  String cl = "clear me please, a long one";
  cl.clear();
  CHECK(cl.isEmpty());
  CHECK(bool(cl));
}

TEST(arduino_core_string_conversions) {
  CHECK_EQ(String("123abc").toInt(), 123L);
  CHECK_EQ(String("  -42").toInt(), -42L);
  CHECK_EQ(String("abc").toInt(), 0L);
  CHECK_EQ(String("3.5").toFloat(), 3.5f);
  CHECK_EQ(String("-2.25xyz").toDouble(), -2.25);
  CHECK_EQ(String().toInt(), 0L);
  char buf[40];
  CHECK_EQ(std::string(itoa(-12, buf, 10)), "-12");
  CHECK_EQ(std::string(utoa(255, buf, 2)), "11111111");
  CHECK_EQ(std::string(ltoa(-255, buf, 16)), "-ff");
  CHECK_EQ(std::string(ultoa(255, buf, 16)), "ff");
  CHECK(itoa(1, buf, 1) == nullptr);
}

TEST(arduino_core_string_reserve_move_and_the_64k_cap) {
  String r;
  CHECK(r.reserve(100));
  CHECK_EQ(r.length(), 0u);
  CHECK(r.reserve(65519));   // a 65520-byte block: the largest the board allows
  CHECK(!r.reserve(65520));  // a 65536-byte block: refused, the string is unchanged
  CHECK(bool(r));
  String big;
  std::string text(70000, 'x');
  big = text.c_str();  // too long for any block: the assignment invalidates the string
  CHECK(!big);
  CHECK_EQ(big.length(), 0u);
  CHECK_EQ(big.c_str(), "");
  CHECK(big.reserve(0));  // reserve makes it valid again
  CHECK(bool(big));

  String a = "a string long enough for the heap";
  String b = std::move(a);
  CHECK_EQ(s(b), "a string long enough for the heap");
  CHECK(!a);  // the moved-from string is left invalid (empty), as on the board
  CHECK_EQ(a.length(), 0u);
  String c = "short";
  c = std::move(b);
  CHECK_EQ(s(c), "a string long enough for the heap");
  String sso = "tiny";
  String d = std::move(sso);
  CHECK_EQ(s(d), "tiny");
  a = "reused";
  CHECK_EQ(s(a), "reused");
}

// On a device: heap blocks as the board sizes them, counted in the device's heap; failures
// leave the string invalid.
TEST(arduino_core_string_heap_blocks_and_invalid_after_failed_allocation) {
  twin::Profile prof;
  prof.heapBytes = 60000;
  arduinorig::Rig rig(prof);
  const twin::Counters& cnt = rig.device->counters();
  rig.onLoop([&] {
    int64_t base = cnt.heapUsed.load();
    {
      String thirteen = "1234567890123";  // fits the in-object buffer
      CHECK_EQ(cnt.heapUsed.load() - base, 0);
      String fourteen = "12345678901234";  // (14 + 16) & ~15 = 16-byte block
      CHECK_EQ(cnt.heapUsed.load() - base, 16);
      String hundred(std::string(100, 'h').c_str());  // (100 + 16) & ~15 = 112
      CHECK_EQ(cnt.heapUsed.load() - base, 16 + 112);
    }
    CHECK_EQ(cnt.heapUsed.load(), base);

    // The failAllocs fault: the next allocation fails.
    std::string longText(200, 'L');
    rig.device->faults().failAllocs = 1;
    String failed(longText.c_str());
    CHECK(!failed);
    CHECK_EQ(failed.length(), 0u);
    CHECK_EQ(failed.c_str(), "");
    failed = "ok";  // a later assignment makes it valid again
    CHECK(bool(failed));
    CHECK_EQ(s(failed), "ok");

    String kept = "kept";
    rig.device->faults().failAllocs = 1;
    CHECK(!kept.concat(longText.c_str()));  // a failed append leaves the string unchanged
    CHECK_EQ(s(kept), "kept");
    rig.device->faults().failAllocs = 1;
    kept += longText.c_str();
    CHECK_EQ(s(kept), "kept");

    rig.device->faults().failAllocs = 1;
    String sum = String("x") + longText.c_str();  // a failed sum is invalid
    CHECK(!sum);

    // The profile's heap budget: a block beyond it fails.
    int64_t before = cnt.allocFailures.load();
    String huge;
    CHECK(!huge.reserve(61000));
    CHECK(bool(huge));
    CHECK_EQ(cnt.allocFailures.load(), before + 1);
    std::string tooBig(61000, 'B');
    huge = tooBig.c_str();
    CHECK(!huge);
    CHECK_EQ(cnt.heapUsed.load(), base);  // what is left ("ok", "kept") lives in the objects
  });
}
