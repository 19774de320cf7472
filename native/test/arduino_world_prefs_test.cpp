// Preferences (NVS) on started devices: types and defaults, the board's name, length and read-only
// rules, persistence across two Device instances on one flash folder, two tasks writing at once,
// one store per device.
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "Arduino.h"
#include "Preferences.h"
#include "tc_test.h"
#include "tc_world.h"

using tcworld::Rig;

namespace {

// A flash folder the test names (kept across devices) and removes at the end.
struct Folder {
  std::string path;
  Folder() {
    char tmpl[] = "/tmp/twincore-prefs-XXXXXX";
    path = mkdtemp(tmpl) ? tmpl : "";
  }
  ~Folder() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

twin::Profile withDir(const std::string& dir) {
  twin::Profile p;
  p.dataDir = dir;
  return p;
}

}  // namespace

TEST(arduino_world_prefs_types_and_defaults) {
  Rig rig;
  REQUIRE(rig.started);
  bool ok = false;
  size_t sizes[16] = {0};
  int8_t c = 0;
  uint8_t uc = 0;
  int16_t sh = 0;
  uint16_t ush = 0;
  int32_t i = 0, wrongType = 0, missing = 0, lg = 0;
  uint32_t ui = 0;
  int64_t l64 = 0;
  uint64_t u64 = 0;
  float f = 0, fMissing = 0;
  double d = 0;
  bool b = false, bMissing = true;
  std::string str, strMissing;
  char buf[16], small[4];
  size_t got = 0, gotSmall = 9, strLen = 0, blobLen = 0, blobGot = 0, blobSmall = 9;
  uint8_t blob[8] = {0}, tiny[2];
  PreferenceType tInt = PT_INVALID, tStr = PT_INVALID, tBlob = PT_INVALID, tBool = PT_INVALID, tNone = PT_U8;
  bool isKey = false, removed = false, removedAgain = true, cleared = false, keyAfterClear = true;
  size_t freeBefore = 0, freeAfter = 0;
  rig.onLoop([&] {
    Preferences p;
    ok = p.begin("app");
    freeBefore = p.freeEntries();
    sizes[0] = p.putChar("c", -5);
    sizes[1] = p.putUChar("uc", 250);
    sizes[2] = p.putShort("sh", -30000);
    sizes[3] = p.putUShort("ush", 60000);
    sizes[4] = p.putInt("i", -2000000000);
    sizes[5] = p.putUInt("ui", 4000000000u);
    sizes[6] = p.putLong64("l64", -9000000000000LL);
    sizes[7] = p.putULong64("u64", 18000000000000000000ull);
    sizes[8] = p.putFloat("f", 1.5f);
    sizes[9] = p.putDouble("d", 2.25);
    sizes[10] = p.putBool("b", true);
    sizes[11] = p.putString("s", "hello");
    const uint8_t data[5] = {1, 2, 3, 4, 5};
    sizes[12] = p.putBytes("blob", data, sizeof data);
    sizes[13] = p.putLong("lg", 7);
    freeAfter = p.freeEntries();
    c = p.getChar("c");
    uc = p.getUChar("uc");
    sh = p.getShort("sh");
    ush = p.getUShort("ush");
    i = p.getInt("i");
    ui = p.getUInt("ui");
    l64 = p.getLong64("l64");
    u64 = p.getULong64("u64");
    f = p.getFloat("f");
    d = p.getDouble("d");
    b = p.getBool("b");
    lg = p.getLong("lg");
    str = p.getString("s").c_str();
    strMissing = p.getString("none", "dflt").c_str();
    wrongType = p.getInt("uc", -1);  // a u8 read as i32: the default
    missing = p.getInt("none", 77);
    fMissing = p.getFloat("none", 3.5f);
    bMissing = p.getBool("none");
    got = p.getString("s", buf, sizeof buf);
    gotSmall = p.getString("s", small, sizeof small);
    strLen = p.getStringLength("s");
    blobLen = p.getBytesLength("blob");
    blobGot = p.getBytes("blob", blob, sizeof blob);
    blobSmall = p.getBytes("blob", tiny, sizeof tiny);
    tInt = p.getType("i");
    tStr = p.getType("s");
    tBlob = p.getType("f");
    tBool = p.getType("b");
    tNone = p.getType("none");
    isKey = p.isKey("ush");
    removed = p.remove("ush");
    removedAgain = p.remove("ush");
    cleared = p.clear();
    keyAfterClear = p.isKey("i");
    p.end();
  });
  CHECK(ok);
  size_t want[14] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 1, 5, 5, 4};
  for (int k = 0; k < 14; ++k) CHECK_MSG(sizes[k] == want[k], "put #" << k << " returned " << sizes[k]);
  CHECK_EQ(c, -5);
  CHECK_EQ(uc, 250);
  CHECK_EQ(sh, -30000);
  CHECK_EQ(ush, 60000);
  CHECK_EQ(i, -2000000000);
  CHECK_EQ(ui, 4000000000u);
  CHECK_EQ(l64, -9000000000000LL);
  CHECK_EQ(u64, 18000000000000000000ull);
  CHECK_EQ(f, 1.5f);
  CHECK_EQ(d, 2.25);
  CHECK(b);
  CHECK_EQ(lg, 7);
  CHECK_EQ(str, std::string("hello"));
  CHECK_EQ(strMissing, std::string("dflt"));
  CHECK_EQ(wrongType, -1);
  CHECK_EQ(missing, 77);
  CHECK_EQ(fMissing, 3.5f);
  CHECK(!bMissing);
  CHECK_EQ(got, 6u);  // with the terminator
  CHECK_EQ(std::string(buf), std::string("hello"));
  CHECK_EQ(gotSmall, 0u);
  CHECK_EQ(strLen, 6u);
  CHECK_EQ(blobLen, 5u);
  CHECK_EQ(blobGot, 5u);
  CHECK_EQ(blob[4], 5);
  CHECK_EQ(blobSmall, 0u);
  CHECK_EQ(tInt, PT_I32);
  CHECK_EQ(tStr, PT_STR);
  CHECK_EQ(tBlob, PT_BLOB);
  CHECK_EQ(tBool, PT_U8);
  CHECK_EQ(tNone, PT_INVALID);
  CHECK(isKey);
  CHECK(removed);
  CHECK(!removedAgain);
  CHECK(cleared);
  CHECK(!keyAfterClear);
  // 1 namespace + 10 numbers, "hello" (1 + 1), 5-byte blob (1 + 1), float and double blobs (2 each).
  CHECK_EQ(freeBefore, 630u - 1u);
  CHECK_EQ(freeAfter, 630u - (1u + 10u + 2u + 2u + 2u + 2u));
}

TEST(arduino_world_prefs_board_rules) {
  Rig rig;
  REQUIRE(rig.started);
  bool longNs = true, ns15 = false, roMissing = true, twice = true, roBegin = false, roPut = true, roRemove = true;
  bool roClear = true;
  size_t longKey = 9, key15 = 0, str3999 = 0, str4000 = 9, zeroBytes = 9, notStarted = 9;
  int32_t roRead = 0;
  size_t filled = 0, lastPut = 1;
  rig.onLoop([&] {
    Preferences p;
    notStarted = p.putInt("k", 1);
    longNs = p.begin("sixteen-chars-ns");
    ns15 = p.begin("fifteen-chars-n");
    twice = p.begin("other");
    longKey = p.putInt("sixteen-chars-ky", 1);
    key15 = p.putInt("fifteen-chars-k", 1);
    std::string s(3999, 'x');
    str3999 = p.putString("s", s.c_str());
    s.push_back('x');
    str4000 = p.putString("s2", s.c_str());
    uint8_t one = 1;
    zeroBytes = p.putBytes("z", &one, 0);
    p.end();

    Preferences ro;
    roMissing = ro.begin("never-made", true);
    roBegin = ro.begin("fifteen-chars-n", true);
    roPut = ro.putInt("x", 1) != 0;
    roRemove = ro.remove("fifteen-chars-k");
    roClear = ro.clear();
    roRead = ro.getInt("fifteen-chars-k");
    ro.end();

    // Space: 1 KB blobs (33 entries each) until the partition is full.
    Preferences big;
    big.begin("big");
    std::string kb(1024, 'b');
    for (int k = 0; k < 40; ++k) {
      lastPut = big.putBytes(("k" + std::to_string(k)).c_str(), kb.data(), kb.size());
      if (!lastPut) break;
      ++filled;
    }
  });
  CHECK_EQ(notStarted, 0u);
  CHECK(!longNs);
  CHECK(ns15);
  CHECK(!twice);
  CHECK_EQ(longKey, 0u);
  CHECK_EQ(key15, 4u);
  CHECK_EQ(str3999, 3999u);
  CHECK_EQ(str4000, 0u);
  CHECK_EQ(zeroBytes, 0u);
  CHECK(!roMissing);
  CHECK(roBegin);
  CHECK(!roPut);
  CHECK(!roRemove);
  CHECK(!roClear);
  CHECK_EQ(roRead, 1);
  // 504 usable entries; used: 2 namespaces, the i32, the 3999-char string (1 + 125): 129 entries;
  // the 375 left hold 11 blobs of 33 entries.
  CHECK_EQ(filled, 11u);
  CHECK_EQ(lastPut, 0u);
  CHECK(rig.log->has("NOT_ENOUGH_SPACE"));
}

TEST(arduino_world_prefs_persist_across_devices) {
  Folder dir;
  REQUIRE(!dir.path.empty());
  {
    Rig a(withDir(dir.path));
    REQUIRE(a.started);
    a.onLoop([&] {
      Preferences p;
      p.begin("boot");
      p.putUInt("count", p.getUInt("count", 0) + 1);
      p.putString("name", "twin\tdevice\n%");
      uint8_t raw[3] = {0, 255, 10};
      p.putBytes("raw", raw, 3);
      p.putChar("neg", -1);
      p.putULong64("big", 18446744073709551615ull);
    });
  }
  std::ifstream in(dir.path + "/nvs/nvs.nvs");
  CHECK(bool(in));
  std::stringstream text;
  text << in.rdbuf();
  CHECK_MSG(text.str().find("boot\tcount\tu32\t1\n") != std::string::npos, text.str());
  for (int round = 2; round <= 3; ++round) {
    Rig b(withDir(dir.path));
    REQUIRE(b.started);
    uint32_t count = 0;
    std::string name;
    uint8_t raw[3] = {9, 9, 9};
    int8_t neg = 0;
    uint64_t big = 0;
    b.onLoop([&] {
      Preferences p;
      p.begin("boot");
      count = p.getUInt("count", 0) + 1;
      p.putUInt("count", count);
      name = p.getString("name").c_str();
      p.getBytes("raw", raw, 3);
      neg = p.getChar("neg");
      big = p.getULong64("big");
    });
    CHECK_EQ(count, uint32_t(round));
    CHECK_EQ(name, std::string("twin\tdevice\n%"));
    CHECK_EQ(raw[1], 255);
    CHECK_EQ(raw[2], 10);
    CHECK_EQ(neg, -1);
    CHECK_EQ(big, 18446744073709551615ull);
  }
}

TEST(arduino_world_prefs_two_tasks_at_once) {
  Folder dir;
  REQUIRE(!dir.path.empty());
  constexpr int kPuts = 150;
  {
    Rig rig(withDir(dir.path));
    REQUIRE(rig.started);
    std::atomic<int> done{0};
    for (int t = 0; t < 2; ++t) {
      uint64_t id = twin::startTask(rig.dev(), [t, &done] {
        Preferences p;
        p.begin("shared");
        for (int k = 0; k < kPuts; ++k) p.putInt(("t" + std::to_string(t) + "-" + std::to_string(k)).c_str(), k);
        p.end();
        done++;
      }, "writer" + std::to_string(t));
      CHECK(id > 0);
    }
    CHECK(tcworld::eventually([&] { return done.load() == 2; }, 20000));
  }
  Rig check(withDir(dir.path));
  REQUIRE(check.started);
  int present = 0;
  check.onLoop([&] {
    Preferences p;
    p.begin("shared", true);
    for (int t = 0; t < 2; ++t)
      for (int k = 0; k < kPuts; ++k)
        present += p.getInt(("t" + std::to_string(t) + "-" + std::to_string(k)).c_str(), -1) == k;
  });
  CHECK_EQ(present, 2 * kPuts);
}

TEST(arduino_world_prefs_are_per_device) {
  Rig a, b;
  REQUIRE(a.started && b.started);
  bool bHas = true, bBegin = true;
  a.onLoop([&] {
    Preferences p;
    p.begin("cfg");
    p.putInt("x", 1);
  });
  b.onLoop([&] {
    Preferences p;
    bBegin = p.begin("cfg", true);  // the namespace exists only on a
    bHas = p.isKey("x");
  });
  CHECK(!bBegin);
  CHECK(!bHas);
  // Off device threads (no default device): begin fails, nothing crashes.
  Preferences off;
  CHECK(!off.begin("cfg"));
  CHECK_EQ(off.putInt("x", 1), 0u);
  CHECK_EQ(off.getInt("x", 5), 5);
}
