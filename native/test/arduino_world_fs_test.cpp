// LittleFS and SPIFFS on started devices: mounting as on the board, the File API, confinement to
// the device's folder (".." and symlinks refused), full-flash behaviour, SPIFFS's flat names, the
// calls ESPAsyncWebServer's static file serving makes, and one file system per device.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "Arduino.h"
#include "FS.h"
#include "LittleFS.h"
#include "SPIFFS.h"
#include "tc_test.h"
#include "tc_world.h"

using tcworld::Rig;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

bool isFile(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string readAll(File& f) {
  std::string s;
  uint8_t buf[64];
  size_t n;
  while ((n = f.read(buf, sizeof buf)) > 0) s.append(reinterpret_cast<char*>(buf), n);
  return s;
}

}  // namespace

TEST(arduino_world_fs_begin_is_required_and_formats) {
  Rig rig;
  REQUIRE(rig.started);
  bool before = true, existsBefore = true, plain = true, formatted = false, again = false;
  size_t total = 0, used = 0, totalBefore = 1;
  rig.onLoop([&] {
    File f = LittleFS.open("/x.txt", "w");
    before = bool(f);
    existsBefore = LittleFS.exists("/");
    totalBefore = LittleFS.totalBytes();
    plain = LittleFS.begin();           // unformatted partition: fails as on a new board
    formatted = LittleFS.begin(true);   // formatOnFail
    again = LittleFS.begin();           // already mounted
    total = LittleFS.totalBytes();
    used = LittleFS.usedBytes();
  });
  CHECK(!before);
  CHECK(!existsBefore);
  CHECK_EQ(totalBefore, 0u);
  CHECK(rig.log->has("File system is not mounted"));
  CHECK(!plain);
  CHECK(rig.log->has("not formatted"));
  CHECK(formatted);
  CHECK(again);
  CHECK_EQ(total, 1441792u);
  CHECK_EQ(used, 8192u);  // the root's two blocks
  struct stat st;
  CHECK(::stat((rig.dev()->dataDir() + "/littlefs").c_str(), &st) == 0 && S_ISDIR(st.st_mode));

  // A folder the harness filled before begin() is the uploaded image.
  Rig other;
  REQUIRE(other.started);
  ::mkdir((other.dev()->dataDir() + "/littlefs").c_str(), 0755);
  spit(other.dev()->dataDir() + "/littlefs/hello.txt", "from the harness");
  std::string got;
  other.onLoop([&] {
    if (!LittleFS.begin()) return;
    File f = LittleFS.open("/hello.txt");
    got = readAll(f);
  });
  CHECK_EQ(got, std::string("from the harness"));
}

TEST(arduino_world_fs_file_api_round_trip) {
  Rig rig;
  REQUIRE(rig.started);
  std::string content, name, path, listing, listing2, afterRename;
  size_t size = 0, pos = 0;
  int peeked = -1, avail = -1, readOne = -1;
  bool seekOk = false, seekHuge = true, isDir = true, rootDir = false, missing = true, noDir = true, made = false;
  bool mk = false, mkAgain = false, rmNonEmpty = true, rm = false, ren = false, del = false, delDir = true;
  time_t lastWrite = 0;
  rig.onLoop([&] {
    if (!LittleFS.begin(true)) return;
    File w = LittleFS.open("/notes.txt", FILE_WRITE);
    w.print("hello ");
    w.println(42);
    w.close();
    File a = LittleFS.open("/notes.txt", FILE_APPEND);
    a.write(reinterpret_cast<const uint8_t*>("tail"), 4);
    a.close();
    File r = LittleFS.open("/notes.txt");
    size = r.size();
    name = r.name();
    path = r.path();
    isDir = r.isDirectory();
    lastWrite = r.getLastWrite();
    peeked = r.peek();
    readOne = r.read();
    avail = r.available();
    seekOk = r.seek(0);
    content = readAll(r);
    pos = r.position();
    seekHuge = r.seek(uint32_t(0) - 8);  // size() - 8 on a short file, as _getEtag does
    r.close();
    missing = bool(LittleFS.open("/nope.txt", "r"));
    noDir = bool(LittleFS.open("/deep/er/file.txt", "w"));      // no such folder
    made = bool(LittleFS.open("/deep/er/file.txt", "w", true));  // create makes the folders
    mk = LittleFS.mkdir("/www");
    mkAgain = LittleFS.mkdir("/www");
    File x = LittleFS.open("/www/b.txt", "w");
    x.print("b");
    x.close();
    File y = LittleFS.open("/www/a.txt", "w");
    y.print("a");
    y.close();
    File dir = LittleFS.open("/www");
    rootDir = LittleFS.open("/").isDirectory();
    for (File e = dir.openNextFile(); e; e = dir.openNextFile()) listing += std::string(e.name()) + ";";
    dir.rewindDirectory();
    for (File e = dir.openNextFile(); e; e = dir.openNextFile()) listing2 += std::string(e.path()) + ";";
    rmNonEmpty = LittleFS.rmdir("/www");
    ren = LittleFS.rename("/www/a.txt", "/moved.txt");
    File m = LittleFS.open("/moved.txt");
    afterRename = readAll(m);
    del = LittleFS.remove("/www/b.txt");
    rm = LittleFS.rmdir("/www");
    delDir = LittleFS.remove("/deep");
  });
  CHECK_EQ(content, std::string("hello 42\r\ntail"));
  CHECK_EQ(size, 14u);
  CHECK_EQ(name, std::string("notes.txt"));
  CHECK_EQ(path, std::string("/notes.txt"));
  CHECK(!isDir);
  CHECK(lastWrite > 1600000000);
  CHECK_EQ(peeked, 'h');
  CHECK_EQ(readOne, 'h');
  CHECK_EQ(avail, 13);
  CHECK(seekOk);
  CHECK_EQ(pos, 14u);
  CHECK(!seekHuge);
  CHECK(!missing);
  CHECK(rig.log->has("/nope.txt does not exist"));
  CHECK(!noDir);
  CHECK(made);
  CHECK(mk);
  CHECK(mkAgain);
  CHECK(rootDir);
  CHECK_EQ(listing, std::string("a.txt;b.txt;"));
  CHECK_EQ(listing2, std::string("/www/a.txt;/www/b.txt;"));
  CHECK(!rmNonEmpty);
  CHECK(ren);
  CHECK_EQ(afterRename, std::string("a"));
  CHECK(del);
  CHECK(rm);
  CHECK(!delDir);
  CHECK_EQ(slurp(rig.dev()->dataDir() + "/littlefs/notes.txt"), std::string("hello 42\r\ntail"));
}

TEST(arduino_world_fs_paths_stay_inside_the_folder) {
  Rig rig;
  REQUIRE(rig.started);
  std::string dd = rig.dev()->dataDir();
  spit(dd + "/secret.txt", "secret");
  ::mkdir((dd + "/littlefs").c_str(), 0755);
  REQUIRE(::symlink("../secret.txt", (dd + "/littlefs/link.txt").c_str()) == 0);
  REQUIRE(::symlink("..", (dd + "/littlefs/up").c_str()) == 0);
  bool dotdot = true, dotdotW = true, rel = true, viaLink = true, viaLinkW = true, viaDir = true, existsLink = true;
  bool renameOut = true, removeOut = true, removeLink = true, mkOut = true, existsDotDot = true;
  std::string listing;
  rig.onLoop([&] {
    if (!LittleFS.begin()) return;
    dotdot = bool(LittleFS.open("/../secret.txt"));
    dotdotW = bool(LittleFS.open("/a/../../secret.txt", "w", true));
    rel = bool(LittleFS.open("secret.txt"));
    viaLink = bool(LittleFS.open("/link.txt"));
    viaLinkW = bool(LittleFS.open("/link.txt", "w"));
    viaDir = bool(LittleFS.open("/up/secret.txt"));
    existsLink = LittleFS.exists("/up/secret.txt");
    existsDotDot = LittleFS.exists("/../secret.txt");
    File ok = LittleFS.open("/mine.txt", "w");
    ok.print("x");
    ok.close();
    renameOut = LittleFS.rename("/mine.txt", "/up/stolen.txt");
    removeOut = LittleFS.remove("/up/secret.txt");
    removeLink = LittleFS.remove("/link.txt");
    mkOut = LittleFS.mkdir("/up/newdir");
    File root = LittleFS.open("/");
    for (File e = root.openNextFile(); e; e = root.openNextFile()) listing += std::string(e.name()) + ";";
  });
  CHECK(!dotdot);
  CHECK(!dotdotW);
  CHECK(!rel);
  CHECK(!viaLink);
  CHECK(!viaLinkW);
  CHECK(!viaDir);
  CHECK(!existsLink);
  CHECK(!existsDotDot);
  CHECK(!renameOut);
  CHECK(!removeOut);
  CHECK(!removeLink);
  CHECK(!mkOut);
  CHECK_EQ(listing, std::string("mine.txt;"));  // symlinks are not listed
  CHECK(rig.log->has("\"..\" refused"));
  CHECK(rig.log->has("symlink refused"));
  CHECK(rig.log->has("does not start with /"));
  CHECK_EQ(slurp(dd + "/secret.txt"), std::string("secret"));
  CHECK(!isFile(dd + "/stolen.txt"));
  CHECK(!isFile(dd + "/newdir"));
}

TEST(arduino_world_fs_full_flash_fails_writes) {
  Rig rig;
  REQUIRE(rig.started);
  size_t total = 0, usedFull = 0, usedAfter = 0, written = 0, more = 1, again = 0, mkFull = 1;
  bool mk = true;
  rig.onLoop([&] {
    if (!LittleFS.begin(true)) return;
    total = LittleFS.totalBytes();
    std::vector<uint8_t> chunk(10000, 'z');
    File f = LittleFS.open("/big.bin", "w");
    for (;;) {
      size_t n = f.write(chunk.data(), chunk.size());
      written += n;
      if (n < chunk.size()) break;
    }
    more = f.write(chunk.data(), 1);
    f.close();
    usedFull = LittleFS.usedBytes();
    mk = LittleFS.mkdir("/d");
    mkFull = bool(LittleFS.open("/new.txt", "w")) ? 1 : 0;
    LittleFS.remove("/big.bin");
    usedAfter = LittleFS.usedBytes();
    File g = LittleFS.open("/small.txt", "w");
    again = g.write(chunk.data(), 100);
  });
  CHECK_EQ(total, 1441792u);
  // Everything but the root's two blocks holds the file.
  CHECK_EQ(written, size_t(1441792 - 8192));
  CHECK_EQ(more, 0u);
  CHECK_EQ(usedFull, total);
  CHECK(!mk);
  CHECK_EQ(mkFull, 1u);  // an empty file takes no block in LittleFS
  CHECK_EQ(usedAfter, 8192u);
  CHECK_EQ(again, 100u);
  CHECK(rig.log->has("no space left"));
}

TEST(arduino_world_fs_spiffs_flat_names) {
  Rig rig;
  REQUIRE(rig.started);
  bool nested = false, mk = true, rmd = true, longName = true, ok31 = false, del = false, existsDir = false;
  std::string listing;
  size_t used = 0, total = 0;
  rig.onLoop([&] {
    if (!SPIFFS.begin(true)) return;
    total = SPIFFS.totalBytes();
    File f = SPIFFS.open("/a/b.txt", "w");  // no mkdir: SPIFFS names are flat
    nested = bool(f);
    f.print("hi");
    f.close();
    mk = SPIFFS.mkdir("/dir");
    rmd = SPIFFS.rmdir("/a");
    longName = bool(SPIFFS.open("/0123456789012345678901234567890.txt", "w"));  // 35 characters
    ok31 = bool(SPIFFS.open("/012345678901234567890123456789", "w"));         // 31 characters
    File root = SPIFFS.open("/");
    for (File e = root.openNextFile(); e; e = root.openNextFile()) listing += std::string(e.path()) + ";";
    used = SPIFFS.usedBytes();
    existsDir = SPIFFS.exists("/a/b.txt");
    del = SPIFFS.remove("/a/b.txt");
  });
  CHECK(nested);
  CHECK(!mk);
  CHECK(!rmd);
  CHECK(!longName);
  CHECK(ok31);
  CHECK_EQ(listing, std::string("/012345678901234567890123456789;/a/b.txt;"));
  CHECK_EQ(total, 1441792u);
  CHECK_EQ(used, 3u * 256u);  // "/a/b.txt": index + 1 data page; the empty file: index only
  CHECK(existsDir);
  CHECK(del);
  struct stat st;
  CHECK(::stat((rig.dev()->dataDir() + "/spiffs/a").c_str(), &st) != 0);  // emptied folder pruned
}

TEST(arduino_world_fs_static_serving_calls) {
  // The calls AsyncStaticWebHandler / AsyncFileResponse make: exists() on the file and its .gz,
  // open(path, "r"), operator== true, isDirectory(), name(), getLastWrite(), size(), the gzip
  // trailer read by seek(size() - 8) + read(), seek(0), read(buf, len) to the end, File copies.
  Rig rig;
  REQUIRE(rig.started);
  std::string dd = rig.dev()->dataDir();
  ::mkdir((dd + "/littlefs").c_str(), 0755);
  ::mkdir((dd + "/littlefs/www").c_str(), 0755);
  std::string gz = std::string("\x1f\x8b\x08\x00", 4) + std::string(20, 'p') + "\x78\x56\x34\x12" + std::string("\x05\0\0\0", 4);
  spit(dd + "/littlefs/www/app.js.gz", gz);
  spit(dd + "/littlefs/www/index.html", "<h1>twin</h1>");
  bool existsPlain = true, existsGz = false, real = false, dirReal = true, copyAlive = false, closedBoth = true;
  bool invalidAvailable = true;
  std::string gzName, body;
  uint32_t crc = 0;
  size_t gzSize = 0;
  time_t lw = 0;
  rig.onLoop([&] {
    if (!LittleFS.begin()) return;
    fs::FS& fs = LittleFS;
    existsPlain = fs.exists("/www/app.js");
    existsGz = fs.exists(String("/www/app.js") + ".gz");
    File f = fs.open("/www/app.js.gz", "r");
    real = (f == true && !f.isDirectory());
    gzName = f.name();
    gzSize = f.size();
    lw = f.getLastWrite();
    File copy = f;  // AsyncFileResponse keeps a copy; _getEtag takes one by value
    if (copy.seek(copy.size() - 8)) copy.read(reinterpret_cast<uint8_t*>(&crc), 4);
    copyAlive = bool(f);
    f.seek(0);
    File dir = fs.open("/www", "r");
    dirReal = (dir == true && !dir.isDirectory());
    File idx = fs.open("/www/index.html", "r");
    uint8_t buf[5];
    size_t n;
    while ((n = idx.read(buf, sizeof buf)) > 0) body.append(reinterpret_cast<char*>(buf), n);
    File none = fs.open("/www/none.js", "r");
    invalidAvailable = none.available() != 0 || none.size() != 0 || none.seek(0);
    copy.close();
    closedBoth = bool(f);
  });
  CHECK(!existsPlain);
  CHECK(existsGz);
  CHECK(real);
  CHECK_EQ(gzName, std::string("app.js.gz"));
  CHECK_EQ(gzSize, gz.size());
  CHECK(lw > 0);
  CHECK_EQ(crc, 0x12345678u);
  CHECK(copyAlive);
  CHECK(!dirReal);
  CHECK_EQ(body, std::string("<h1>twin</h1>"));
  CHECK(!invalidAvailable);
  CHECK(!closedBoth);
}

TEST(arduino_world_fs_open_limit_end_and_format) {
  Rig rig;
  REQUIRE(rig.started);
  bool third = true, afterClose = false, deadAfterEnd = true, deadAfterFormat = true, existsAfterFormat = true;
  size_t writeAfterEnd = 1;
  rig.onLoop([&] {
    if (!LittleFS.begin(true, "/littlefs", 2)) return;
    File a = LittleFS.open("/a", "w");
    File b = LittleFS.open("/b", "w");
    third = bool(LittleFS.open("/c", "w"));
    a.close();
    afterClose = bool(LittleFS.open("/c", "w"));
    LittleFS.end();
    deadAfterEnd = bool(b);
    writeAfterEnd = b.write(reinterpret_cast<const uint8_t*>("x"), 1);
    LittleFS.begin();
    File d = LittleFS.open("/d", "w");
    LittleFS.format();
    deadAfterFormat = bool(d);
    existsAfterFormat = LittleFS.exists("/a");
  });
  CHECK(!third);
  CHECK(rig.log->has("too many open files"));
  CHECK(afterClose);
  CHECK(!deadAfterEnd);
  CHECK_EQ(writeAfterEnd, 0u);
  CHECK(!deadAfterFormat);
  CHECK(!existsAfterFormat);
}

TEST(arduino_world_fs_is_per_device) {
  Rig a, b;
  REQUIRE(a.started && b.started);
  bool bSees = true, bMounted = true;
  a.onLoop([&] {
    LittleFS.begin(true);
    File f = LittleFS.open("/only-a.txt", "w");
    f.print("a");
  });
  b.onLoop([&] {
    bMounted = bool(LittleFS.open("/only-a.txt"));  // b never called begin()
    LittleFS.begin(true);
    bSees = LittleFS.exists("/only-a.txt");
  });
  CHECK(!bMounted);
  CHECK(!bSees);
  CHECK(isFile(a.dev()->dataDir() + "/littlefs/only-a.txt"));
  CHECK(!isFile(b.dev()->dataDir() + "/littlefs/only-a.txt"));
}
