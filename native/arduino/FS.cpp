// FS.cpp: fs::FS and fs::File over host folders, and the LittleFS and SPIFFS objects. Rules:
// FS.h, LittleFS.h, SPIFFS.h.
//
// Confinement: every path is resolved component by component from the volume's root with
// openat(O_NOFOLLOW | O_DIRECTORY) and the last component is looked at with
// fstatat(AT_SYMLINK_NOFOLLOW) before it is opened with O_NOFOLLOW, so neither a ".." (refused when
// parsed) nor a symlink (refused when met) can reach outside the folder.
#include "FS.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "LittleFS.h"
#include "SPIFFS.h"
#include "twin.h"

namespace fs {

namespace {

using twin::LogLevel;

// What a file system is: its name in logs, its folder, its flash geometry and naming rules.
struct Kind {
  const char* label;       // "LittleFS" / "SPIFFS"
  const char* folder;      // below Device::dataDir()
  bool flat;               // SPIFFS: no directories
  uint64_t total;          // bytes of flash
  uint64_t unit;           // block (LittleFS) or page (SPIFFS) size
  uint64_t fileOverhead;   // units every file costs besides its data
  uint64_t dirUnits;       // units a directory costs
  uint64_t rootUnits;      // units the empty file system costs
  size_t pathMax;          // longest path (0: no limit but per component)
  size_t nameMax;          // longest component
};

// The default partition table's data partition: 0x160000 bytes.
constexpr uint64_t kPartitionBytes = 0x160000;
const Kind kLittleFS{"LittleFS", "littlefs", false, kPartitionBytes, 4096, 0, 2, 2, 0, 255};
const Kind kSPIFFS{"SPIFFS", "spiffs", true, kPartitionBytes, 256, 1, 0, 0, 31, 31};

uint64_t fileUnits(const Kind& k, uint64_t size) { return k.fileOverhead + (size + k.unit - 1) / k.unit; }
uint64_t capacity(const Kind& k, uint64_t units) { return units > k.fileOverhead ? (units - k.fileOverhead) * k.unit : 0; }

void say(const Kind& k, LogLevel lvl, const std::string& s) { twin::log(lvl, std::string(k.label) + ": " + s); }

}  // namespace

// One mount of a file system on one device. Files keep it alive (shared_ptr), so a File that
// outlives the mount or the device stays safe (and dead).
struct Volume {
  const Kind* kind;
  std::string root;      // host folder
  std::string basePath;  // begin()'s basePath
  // mu guards the fields below and every size-changing operation on the folder (so the used-bytes
  // accounting matches the folder), held for short syscall-only sections.
  std::mutex mu;
  bool mounted = true;
  uint64_t gen = 0;       // format() bumps it: Files of an older generation are dead
  int64_t used = 0;       // bytes of flash in use (Kind's units)
  unsigned openFiles = 0;
  unsigned maxOpen = 10;
  bool warnedFull = false;
};

class FSImpl {
 public:
  explicit FSImpl(const Kind& k) : kind(k) {}
  const Kind& kind;
  // The calling thread's device's mount of this file system, or null.
  std::shared_ptr<Volume> volume();
  bool begin(bool formatOnFail, const char* basePath, uint8_t maxOpenFiles, const char* label);
  void end();
  bool format();
  size_t totalBytes();
  size_t usedBytes();
};

class FileImpl {
 public:
  ~FileImpl() { close(); }
  std::shared_ptr<Volume> vol;
  uint64_t gen = 0;
  int fd = -1;
  bool dir = false;
  bool readable = false, writable = false, append = false;
  bool counted = false;  // counts in vol->openFiles
  std::vector<std::string> comps;
  std::string path, name;
  // directory listing (taken at the first openNextFile after open/rewind)
  bool listed = false;
  std::vector<std::string> entries;  // relative paths, sorted
  size_t next = 0;

  // Under vol->mu.
  bool aliveLocked() const { return fd >= 0 && vol->mounted && gen == vol->gen; }
  bool alive() const {
    if (!vol) return false;
    std::lock_guard<std::mutex> lk(vol->mu);
    return aliveLocked();
  }
  void close() {
    if (!vol) return;
    std::lock_guard<std::mutex> lk(vol->mu);
    if (fd < 0) return;
    ::close(fd);
    if (counted && gen == vol->gen && vol->openFiles) vol->openFiles--;
    fd = -1;
  }
};

namespace {

struct FsState : twin::DeviceState {
  explicit FsState(twin::Device*) {}
  // mu guards vols (taken before any Volume::mu).
  std::mutex mu;
  std::map<const FSImpl*, std::shared_ptr<Volume>> vols;
};

FsState* fsState() { return twin::deviceState<FsState>(twin::contextDevice()); }

// Splits an absolute path; false (with the reason) for a relative path, a ".." or a name too long.
bool parsePath(const Kind& k, const char* path, std::vector<std::string>& comps, std::string& why) {
  comps.clear();
  if (!path || path[0] != '/') {
    why = std::string(path ? path : "(null)") + " does not start with /";
    return false;
  }
  std::string cur;
  for (const char* p = path;; ++p) {
    if (*p == '/' || *p == 0) {
      if (cur == "..") {
        why = std::string(path) + ": \"..\" refused (paths stay inside the file system)";
        return false;
      }
      if (!cur.empty() && cur != ".") {
        if (cur.size() > k.nameMax) {
          why = std::string(path) + ": name too long";
          return false;
        }
        comps.push_back(cur);
      }
      cur.clear();
      if (*p == 0) break;
    } else {
      cur.push_back(*p);
    }
  }
  return true;
}

std::string joinPath(const std::vector<std::string>& comps, size_t n) {
  if (n == 0) return "/";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "/" + comps[i];
  return s;
}
std::string joinPath(const std::vector<std::string>& comps) { return joinPath(comps, comps.size()); }

// Why opening `leaf` below dirfd as a directory failed.
std::string whyNotDir(int dirfd, const std::string& leaf, int err) {
  struct stat st;
  if (fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) return "symlink refused";
    if (!S_ISDIR(st.st_mode)) return "not a directory";
  }
  return err == ENOENT ? "does not exist" : std::strerror(err);
}

// Opens the directory made of comps[0..n) below the volume's root without following symlinks;
// with mk, makes the missing ones (counting them). Under v.mu. -1 and `why` on failure.
int openDir(Volume& v, const std::vector<std::string>& comps, size_t n, bool mk, std::string& why) {
  int fd = ::open(v.root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    why = std::string("the file system's folder is gone: ") + std::strerror(errno);
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    const std::string& c = comps[i];
    int nfd = openat(fd, c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (nfd < 0 && errno == ENOENT && mk) {
      uint64_t cost = v.kind->dirUnits * v.kind->unit;
      if (v.used + int64_t(cost) > int64_t(v.kind->total)) {
        why = joinPath(comps, i + 1) + ": no space left";
        ::close(fd);
        return -1;
      }
      if (mkdirat(fd, c.c_str(), 0755) == 0) v.used += int64_t(cost);
      nfd = openat(fd, c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (nfd < 0) {
      why = joinPath(comps, i + 1) + ": " + whyNotDir(fd, c, errno);
      ::close(fd);
      return -1;
    }
    ::close(fd);
    fd = nfd;
  }
  return fd;
}

// Bytes of flash the folder's contents take (Kind's model); symlinks and other oddities count 0.
int64_t measure(const Kind& k, const std::string& root) {
  uint64_t units = k.rootUnits;
  std::error_code ec;
  namespace sfs = std::filesystem;
  for (sfs::recursive_directory_iterator it(root, sfs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    auto st = it->symlink_status(ec);
    if (ec) break;
    if (sfs::is_directory(st)) {
      units += k.dirUnits;
    } else if (sfs::is_regular_file(st)) {
      auto size = it->file_size(ec);
      if (ec) break;
      units += fileUnits(k, size);
    }
  }
  return int64_t(units * k.unit);
}

// Removes the now empty folders of a flat (SPIFFS) path, deepest first. Under v.mu.
void pruneFlat(Volume& v, const std::vector<std::string>& comps) {
  for (size_t n = comps.size() - 1; n > 0; --n) {
    std::string why;
    int fd = openDir(v, comps, n - 1, false, why);
    if (fd < 0) return;
    int rc = unlinkat(fd, comps[n - 1].c_str(), AT_REMOVEDIR);
    ::close(fd);
    if (rc != 0) return;
  }
}

// Lists a directory (by descriptor): names of its files and folders, or (flat) the relative paths
// of every file below it.
void listDir(int dirfd, const std::string& prefix, bool flat, std::vector<std::string>& out) {
  int dup = ::dup(dirfd);
  if (dup < 0) return;
  DIR* d = fdopendir(dup);
  if (!d) {
    ::close(dup);
    return;
  }
  rewinddir(d);  // the duplicate shares the offset an earlier listing left at the end
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st;
    if (fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode)) {
      out.push_back(prefix + n);
    } else if (S_ISDIR(st.st_mode)) {
      if (!flat) {
        out.push_back(prefix + n);
        continue;
      }
      int sub = openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) continue;
      listDir(sub, prefix + n + "/", true, out);
      ::close(sub);
    }
  }
  closedir(d);
}

struct Mode {
  int flags;
  bool read, write, append;
};
bool parseMode(const char* mode, Mode& m) {
  if (!mode) return false;
  std::string s;
  for (const char* p = mode; *p; ++p)
    if (*p != 'b') s.push_back(*p);
  if (s == "r") m = {O_RDONLY, true, false, false};
  else if (s == "r+") m = {O_RDWR, true, true, false};
  else if (s == "w") m = {O_WRONLY | O_CREAT | O_TRUNC, false, true, false};
  else if (s == "w+") m = {O_RDWR | O_CREAT | O_TRUNC, true, true, false};
  else if (s == "a") m = {O_WRONLY | O_CREAT | O_APPEND, false, true, true};
  else if (s == "a+") m = {O_RDWR | O_CREAT | O_APPEND, true, true, true};
  else return false;
  return true;
}

// Opens comps on v. Null (with an error line) on failure.
FileImplPtr openPath(const std::shared_ptr<Volume>& v, const std::vector<std::string>& comps, const char* mode,
                     bool create) {
  const Kind& k = *v->kind;
  const std::string path = joinPath(comps);
  Mode m;
  if (!parseMode(mode, m)) {
    say(k, LogLevel::Error, path + ": bad open mode '" + (mode ? mode : "(null)") + "'");
    return nullptr;
  }
  auto f = std::make_shared<FileImpl>();
  f->vol = v;
  f->comps = comps;
  f->path = path;
  f->name = comps.empty() ? "/" : comps.back();
  f->readable = m.read;
  f->writable = m.write;
  f->append = m.append;
  std::string why;
  {
    std::lock_guard<std::mutex> lk(v->mu);
    if (!v->mounted) {
      why = "File system is not mounted";
    } else if (comps.empty()) {
      if (m.write) {
        why = "/ is a directory";
      } else {
        f->fd = openDir(*v, comps, 0, false, why);
        f->dir = true;
      }
    } else {
      int dfd = openDir(*v, comps, comps.size() - 1, m.write && (create || k.flat), why);
      if (dfd >= 0) {
        const std::string& leaf = comps.back();
        struct stat st;
        bool exists = fstatat(dfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && S_ISLNK(st.st_mode)) {
          why = path + ": symlink refused";
        } else if (exists && S_ISDIR(st.st_mode)) {
          if (m.write) {
            why = path + " is a directory";
          } else {
            f->fd = openat(dfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            f->dir = true;
            if (f->fd < 0) why = path + ": " + std::strerror(errno);
          }
        } else if (exists && !S_ISREG(st.st_mode)) {
          why = path + ": not a regular file";
        } else if (!exists && !(m.flags & O_CREAT)) {
          why = path + " does not exist, no permits for creation";
        } else if (!exists && k.pathMax && path.size() > k.pathMax) {
          why = path + ": name too long (at most " + std::to_string(k.pathMax) + " characters)";
        } else if (v->openFiles >= v->maxOpen) {
          why = path + ": too many open files (maxOpenFiles " + std::to_string(v->maxOpen) + ")";
        } else if (!exists && v->used + int64_t(fileUnits(k, 0) * k.unit) > int64_t(k.total)) {
          why = path + ": no space left";
        } else {
          f->fd = openat(dfd, leaf.c_str(), m.flags | O_NOFOLLOW | O_CLOEXEC, 0644);
          if (f->fd < 0) {
            why = path + ": " + std::strerror(errno);
          } else {
            int64_t before = exists ? int64_t(fileUnits(k, uint64_t(st.st_size))) : 0;
            struct stat now;
            int64_t after = fstat(f->fd, &now) == 0 ? int64_t(fileUnits(k, uint64_t(now.st_size))) : before;
            v->used += (after - before) * int64_t(k.unit);
            v->openFiles++;
            f->counted = true;
          }
        }
        ::close(dfd);
      }
    }
    f->gen = v->gen;
  }
  if (f->fd < 0) {
    say(k, LogLevel::Error, why.empty() ? path + ": cannot open" : why);
    f->vol.reset();
    return nullptr;
  }
  return f;
}

// The parent directory descriptor and leaf of a non-root path, for exists/remove/rename/mkdir.
struct Target {
  int dfd = -1;
  std::string leaf;
  bool exists = false;
  struct stat st;
  ~Target() {
    if (dfd >= 0) ::close(dfd);
  }
};
bool locate(Volume& v, const std::vector<std::string>& comps, bool mkParents, Target& t, std::string& why) {
  t.dfd = openDir(v, comps, comps.size() - 1, mkParents, why);
  if (t.dfd < 0) return false;
  t.leaf = comps.back();
  t.exists = fstatat(t.dfd, t.leaf.c_str(), &t.st, AT_SYMLINK_NOFOLLOW) == 0;
  return true;
}

}  // namespace

// ======================= FSImpl (mounts) =======================

std::shared_ptr<Volume> FSImpl::volume() {
  FsState* s = fsState();
  if (!s) return nullptr;
  std::lock_guard<std::mutex> lk(s->mu);
  auto it = s->vols.find(this);
  return it == s->vols.end() ? nullptr : it->second;
}

bool FSImpl::begin(bool formatOnFail, const char* basePath, uint8_t maxOpenFiles, const char* label) {
  twin::Device* dev = twin::contextDevice();
  FsState* s = fsState();
  if (!dev || !s) {
    say(kind, LogLevel::Error, "mount failed: no device on this thread");
    return false;
  }
  std::string lab = label ? label : "spiffs";
  bool labelOk = !lab.empty() && lab.size() <= 16;
  for (char c : lab) labelOk = labelOk && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!labelOk) {
    say(kind, LogLevel::Error, "mount failed: partition label '" + lab + "' not found");
    return false;
  }
  std::lock_guard<std::mutex> lk(s->mu);
  if (s->vols.count(this)) {
    say(kind, LogLevel::Warn, "already mounted");
    return true;
  }
  std::string root = dev->dataDir() + "/" + kind.folder + (lab == "spiffs" ? "" : "-" + lab);
  struct stat st;
  if (lstat(root.c_str(), &st) != 0) {
    if (!formatOnFail) {
      say(kind, LogLevel::Error, "mount failed: partition '" + lab + "' is not formatted (begin(true) formats it)");
      return false;
    }
    say(kind, LogLevel::Info, "formatting partition '" + lab + "'");
    if (::mkdir(root.c_str(), 0755) != 0 || lstat(root.c_str(), &st) != 0) {
      say(kind, LogLevel::Error, "format failed: " + std::string(std::strerror(errno)));
      return false;
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    say(kind, LogLevel::Error, "mount failed: " + root + " is not a folder");
    return false;
  }
  auto v = std::make_shared<Volume>();
  v->kind = &kind;
  v->root = root;
  v->basePath = basePath ? basePath : "";
  v->maxOpen = maxOpenFiles;
  v->used = measure(kind, root);
  if (v->used > int64_t(kind.total))
    say(kind, LogLevel::Warn, "the folder holds more than the partition (" + std::to_string(v->used) + " > " +
                                  std::to_string(kind.total) + " bytes): writes will fail");
  s->vols[this] = v;
  return true;
}

void FSImpl::end() {
  FsState* s = fsState();
  if (!s) return;
  std::lock_guard<std::mutex> lk(s->mu);
  auto it = s->vols.find(this);
  if (it == s->vols.end()) return;
  {
    std::lock_guard<std::mutex> vl(it->second->mu);
    it->second->mounted = false;
  }
  s->vols.erase(it);
}

bool FSImpl::format() {
  twin::Device* dev = twin::contextDevice();
  FsState* s = fsState();
  if (!dev || !s) return false;
  std::lock_guard<std::mutex> lk(s->mu);
  auto it = s->vols.find(this);
  std::string root = it != s->vols.end() ? it->second->root : dev->dataDir() + "/" + kind.folder;
  std::unique_lock<std::mutex> vl;
  if (it != s->vols.end()) vl = std::unique_lock<std::mutex>(it->second->mu);
  std::error_code ec;
  namespace sfs = std::filesystem;
  if (sfs::is_symlink(root, ec) || (sfs::exists(root, ec) && !sfs::is_directory(root, ec))) {
    say(kind, LogLevel::Error, "format failed: " + root + " is not a folder");
    return false;
  }
  sfs::create_directories(root, ec);
  for (sfs::directory_iterator d(root, ec), end; !ec && d != end; d.increment(ec)) {
    std::error_code rec;
    sfs::remove_all(d->path(), rec);  // does not follow symlinks
  }
  if (it != s->vols.end()) {
    Volume& v = *it->second;
    v.gen++;
    v.openFiles = 0;
    v.used = measure(kind, root);
  }
  say(kind, LogLevel::Info, "formatted");
  return true;
}

size_t FSImpl::totalBytes() { return volume() ? size_t(kind.total) : 0; }

size_t FSImpl::usedBytes() {
  auto v = volume();
  if (!v) return 0;
  std::lock_guard<std::mutex> lk(v->mu);
  v->used = measure(kind, v->root);  // the harness may have changed the folder
  return size_t(v->used);
}

// ======================= File =======================

size_t File::write(uint8_t c) { return write(&c, 1); }

size_t File::write(const uint8_t* buf, size_t size) {
  if (!_p || !_p->vol || !buf || size == 0) return 0;
  Volume& v = *_p->vol;
  const Kind& k = *v.kind;
  size_t done = 0;
  bool full = false;
  {
    std::lock_guard<std::mutex> lk(v.mu);
    if (!_p->aliveLocked() || !_p->writable) return 0;
    struct stat st;
    if (fstat(_p->fd, &st) != 0) return 0;
    uint64_t old = uint64_t(st.st_size);
    off_t cur = lseek(_p->fd, 0, SEEK_CUR);
    uint64_t pos = _p->append ? old : uint64_t(cur < 0 ? 0 : cur);
    uint64_t want = std::max<uint64_t>(old, pos + size);
    uint64_t oldUnits = fileUnits(k, old);
    int64_t freeBytes = int64_t(k.total) - v.used;
    uint64_t freeUnits = freeBytes > 0 ? uint64_t(freeBytes) / k.unit : 0;
    size_t n = size;
    if (fileUnits(k, want) > oldUnits + freeUnits) {
      uint64_t maxSize = capacity(k, oldUnits + freeUnits);
      n = maxSize > pos ? size_t(std::min<uint64_t>(size, maxSize - pos)) : 0;
      full = true;
    }
    while (done < n) {
      ssize_t w = ::write(_p->fd, buf + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += size_t(w);
    }
    if (fstat(_p->fd, &st) == 0) v.used += (int64_t(fileUnits(k, uint64_t(st.st_size))) - int64_t(oldUnits)) * int64_t(k.unit);
    if (full && v.warnedFull) full = false;  // one line per mount, not per write
    if (full) v.warnedFull = true;
  }
  if (full) say(k, LogLevel::Error, _p->path + ": no space left on the partition");
  return done;
}

int File::available() {
  if (!_p || !_p->alive() || _p->dir) return 0;
  struct stat st;
  off_t cur = lseek(_p->fd, 0, SEEK_CUR);
  if (fstat(_p->fd, &st) != 0 || cur < 0 || st.st_size <= cur) return 0;
  off_t left = st.st_size - cur;
  return left > INT_MAX ? INT_MAX : int(left);
}

size_t File::read(uint8_t* buf, size_t size) {
  if (!_p || !buf || !_p->alive() || _p->dir || !_p->readable) return 0;
  size_t done = 0;
  while (done < size) {
    ssize_t r = ::read(_p->fd, buf + done, size - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += size_t(r);
  }
  return done;
}

int File::read() {
  uint8_t c;
  return read(&c, 1) == 1 ? c : -1;
}

int File::peek() {
  uint8_t c;
  if (read(&c, 1) != 1) return -1;
  lseek(_p->fd, -1, SEEK_CUR);
  return c;
}

void File::flush() {}

bool File::seek(uint32_t pos, SeekMode mode) {
  if (!_p || !_p->alive() || _p->dir) return false;
  int64_t base = 0;
  if (mode == SeekCur) {
    base = lseek(_p->fd, 0, SEEK_CUR);
  } else if (mode == SeekEnd) {
    struct stat st;
    if (fstat(_p->fd, &st) != 0) return false;
    base = st.st_size;
  } else if (mode != SeekSet) {
    return false;
  }
  int64_t target = base + int64_t(pos);
  if (base < 0 || target > INT32_MAX) return false;
  return lseek(_p->fd, off_t(target), SEEK_SET) == off_t(target);
}

size_t File::position() const {
  if (!_p || !_p->alive() || _p->dir) return 0;
  off_t cur = lseek(_p->fd, 0, SEEK_CUR);
  return cur < 0 ? 0 : size_t(cur);
}

size_t File::size() const {
  if (!_p || !_p->alive() || _p->dir) return 0;
  struct stat st;
  return fstat(_p->fd, &st) == 0 ? size_t(st.st_size) : 0;
}

void File::close() {
  if (_p) _p->close();
}

File::operator bool() const { return _p && _p->alive(); }

time_t File::getLastWrite() {
  if (!_p || !_p->alive()) return 0;
  struct stat st;
  return fstat(_p->fd, &st) == 0 ? st.st_mtime : 0;
}

const char* File::path() const { return _p ? _p->path.c_str() : nullptr; }
const char* File::name() const { return _p ? _p->name.c_str() : nullptr; }

boolean File::isDirectory(void) { return _p && _p->alive() && _p->dir; }

namespace {
// Under no lock: fills f's listing if needed; false when f is no live directory.
bool ensureListed(FileImpl& f) {
  if (!f.vol) return false;
  std::lock_guard<std::mutex> lk(f.vol->mu);
  if (!f.aliveLocked() || !f.dir) return false;
  if (!f.listed) {
    f.entries.clear();
    listDir(f.fd, "", f.vol->kind->flat, f.entries);
    std::sort(f.entries.begin(), f.entries.end());
    f.listed = true;
    f.next = 0;
  }
  return true;
}

std::vector<std::string> entryComps(const FileImpl& f, const std::string& rel) {
  std::vector<std::string> c = f.comps;
  std::string cur;
  for (char ch : rel) {
    if (ch == '/') {
      c.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  c.push_back(cur);
  return c;
}
}  // namespace

bool File::seekDir(long position) {
  if (!_p || !ensureListed(*_p) || position < 0) return false;
  _p->next = size_t(position);
  return true;
}

File File::openNextFile(const char* mode) {
  if (!_p || !ensureListed(*_p)) return File();
  while (_p->next < _p->entries.size()) {
    std::vector<std::string> c = entryComps(*_p, _p->entries[_p->next++]);
    if (FileImplPtr f = openPath(_p->vol, c, mode, false)) return File(f);
  }
  return File();
}

String File::getNextFileName(void) { return getNextFileName(nullptr); }

String File::getNextFileName(bool* isDir) {
  if (isDir) *isDir = false;
  if (!_p || !ensureListed(*_p) || _p->next >= _p->entries.size()) return String();
  std::vector<std::string> c = entryComps(*_p, _p->entries[_p->next++]);
  if (isDir) {
    std::lock_guard<std::mutex> lk(_p->vol->mu);
    std::string why;
    Target t;
    if (locate(*_p->vol, c, false, t, why) && t.exists) *isDir = S_ISDIR(t.st.st_mode);
  }
  return String(joinPath(c).c_str());
}

void File::rewindDirectory(void) {
  if (!_p) return;
  if (_p->vol) {
    std::lock_guard<std::mutex> lk(_p->vol->mu);
    _p->listed = false;
    _p->next = 0;
  }
}

// ======================= FS =======================

namespace {
// The mount and parsed path of an FS call, or null with the error logged.
std::shared_ptr<Volume> prepare(FSImpl* impl, const char* path, std::vector<std::string>& comps) {
  if (!impl) return nullptr;
  auto v = impl->volume();
  if (!v) {
    say(impl->kind, LogLevel::Error, "File system is not mounted");
    return nullptr;
  }
  std::string why;
  if (!parsePath(impl->kind, path, comps, why)) {
    say(impl->kind, LogLevel::Error, why);
    return nullptr;
  }
  return v;
}
}  // namespace

File FS::open(const char* path, const char* mode, const bool create) {
  std::vector<std::string> comps;
  auto v = prepare(_impl.get(), path, comps);
  if (!v) return File();
  return File(openPath(v, comps, mode, create));
}

bool FS::exists(const char* path) {
  std::vector<std::string> comps;
  auto v = prepare(_impl.get(), path, comps);
  if (!v) return false;
  if (comps.empty()) return true;
  std::lock_guard<std::mutex> lk(v->mu);
  std::string why;
  Target t;
  if (!v->mounted || !locate(*v, comps, false, t, why)) return false;
  return t.exists && (S_ISREG(t.st.st_mode) || S_ISDIR(t.st.st_mode));
}

bool FS::isDirectory(const char* path) {
  std::vector<std::string> comps;
  auto v = prepare(_impl.get(), path, comps);
  if (!v) return false;
  if (comps.empty()) return true;
  std::lock_guard<std::mutex> lk(v->mu);
  std::string why;
  Target t;
  if (!v->mounted || !locate(*v, comps, false, t, why)) return false;
  return t.exists && S_ISDIR(t.st.st_mode);
}

bool FS::remove(const char* path) {
  std::vector<std::string> comps;
  auto v = prepare(_impl.get(), path, comps);
  if (!v) return false;
  const Kind& k = *v->kind;
  std::string why;
  {
    std::lock_guard<std::mutex> lk(v->mu);
    Target t;
    if (comps.empty()) {
      why = "/ is a directory";
    } else if (locate(*v, comps, false, t, why)) {
      std::string p = joinPath(comps);
      if (!t.exists) {
        why = p + " does not exist";
      } else if (S_ISLNK(t.st.st_mode)) {
        why = p + ": symlink refused";
      } else if (S_ISDIR(t.st.st_mode)) {
        why = p + " is a directory";
      } else if (unlinkat(t.dfd, t.leaf.c_str(), 0) != 0) {
        why = p + ": " + std::strerror(errno);
      } else {
        v->used -= int64_t(fileUnits(k, uint64_t(t.st.st_size)) * k.unit);
        if (k.flat) pruneFlat(*v, comps);
        return true;
      }
    }
  }
  say(k, LogLevel::Error, why);
  return false;
}

bool FS::rename(const char* pathFrom, const char* pathTo) {
  std::vector<std::string> from, to;
  auto v = prepare(_impl.get(), pathFrom, from);
  if (!v) return false;
  auto v2 = prepare(_impl.get(), pathTo, to);
  if (!v2) return false;
  const Kind& k = *v->kind;
  std::string why;
  {
    std::lock_guard<std::mutex> lk(v->mu);
    Target a, b;
    std::string pf = joinPath(from), pt = joinPath(to);
    if (from.empty() || to.empty()) {
      why = "cannot rename the root";
    } else if (!locate(*v, from, false, a, why)) {
    } else if (!a.exists) {
      why = pf + " does not exist";
    } else if (S_ISLNK(a.st.st_mode) || !(S_ISREG(a.st.st_mode) || S_ISDIR(a.st.st_mode))) {
      why = pf + ": symlink refused";
    } else if (k.pathMax && pt.size() > k.pathMax) {
      why = pt + ": name too long (at most " + std::to_string(k.pathMax) + " characters)";
    } else if (!locate(*v, to, k.flat, b, why)) {
    } else if (b.exists && S_ISLNK(b.st.st_mode)) {
      why = pt + ": symlink refused";
    } else if (renameat(a.dfd, a.leaf.c_str(), b.dfd, b.leaf.c_str()) != 0) {
      why = pf + " -> " + pt + ": " + std::strerror(errno);
    } else {
      if (b.exists && S_ISREG(b.st.st_mode) && !(a.st.st_dev == b.st.st_dev && a.st.st_ino == b.st.st_ino))
        v->used -= int64_t(fileUnits(k, uint64_t(b.st.st_size)) * k.unit);
      if (k.flat) pruneFlat(*v, from);
      return true;
    }
  }
  say(k, LogLevel::Error, why);
  return false;
}

bool FS::mkdir(const char* path) {
  std::vector<std::string> comps;
  auto v = prepare(_impl.get(), path, comps);
  if (!v) return false;
  const Kind& k = *v->kind;
  if (k.flat) return false;  // SPIFFS has no directories
  if (comps.empty()) return true;
  std::string why;
  {
    std::lock_guard<std::mutex> lk(v->mu);
    Target t;
    std::string p = joinPath(comps);
    uint64_t cost = k.dirUnits * k.unit;
    if (!locate(*v, comps, false, t, why)) {
    } else if (t.exists && S_ISDIR(t.st.st_mode)) {
      return true;
    } else if (t.exists) {
      why = p + " is a file";
    } else if (v->used + int64_t(cost) > int64_t(k.total)) {
      why = p + ": no space left";
    } else if (mkdirat(t.dfd, t.leaf.c_str(), 0755) != 0) {
      why = p + ": " + std::strerror(errno);
    } else {
      v->used += int64_t(cost);
      return true;
    }
  }
  say(k, LogLevel::Error, why);
  return false;
}

bool FS::rmdir(const char* path) {
  std::vector<std::string> comps;
  auto v = prepare(_impl.get(), path, comps);
  if (!v) return false;
  const Kind& k = *v->kind;
  if (k.flat) {
    say(k, LogLevel::Error, "rmdir is unnecessary in SPIFFS");
    return false;
  }
  std::string why;
  {
    std::lock_guard<std::mutex> lk(v->mu);
    Target t;
    std::string p = joinPath(comps);
    if (comps.empty()) {
      why = "cannot remove the root";
    } else if (!locate(*v, comps, false, t, why)) {
    } else if (!t.exists) {
      why = p + " does not exist";
    } else if (!S_ISDIR(t.st.st_mode)) {
      why = p + " is not a directory";
    } else if (unlinkat(t.dfd, t.leaf.c_str(), AT_REMOVEDIR) != 0) {
      why = p + ": " + std::strerror(errno);
    } else {
      v->used -= int64_t(k.dirUnits * k.unit);
      return true;
    }
  }
  say(k, LogLevel::Error, why);
  return false;
}

const char* FS::mountpoint() {
  auto v = _impl ? _impl->volume() : nullptr;
  if (!v) return nullptr;
  // basePath never changes while mounted; the string lives as long as the mount's Volume, which
  // the device's state keeps until end().
  return v->basePath.c_str();
}

// ======================= LittleFS, SPIFFS =======================

LittleFSFS::LittleFSFS() : FS(FSImplPtr(new FSImpl(kLittleFS))) {}
LittleFSFS::~LittleFSFS() {}
bool LittleFSFS::begin(bool formatOnFail, const char* basePath, uint8_t maxOpenFiles, const char* partitionLabel) {
  return _impl->begin(formatOnFail, basePath, maxOpenFiles, partitionLabel);
}
bool LittleFSFS::format() { return _impl->format(); }
size_t LittleFSFS::totalBytes() { return _impl->totalBytes(); }
size_t LittleFSFS::usedBytes() { return _impl->usedBytes(); }
void LittleFSFS::end() { _impl->end(); }

SPIFFSFS::SPIFFSFS() : FS(FSImplPtr(new FSImpl(kSPIFFS))) {}
SPIFFSFS::~SPIFFSFS() {}
bool SPIFFSFS::begin(bool formatOnFail, const char* basePath, uint8_t maxOpenFiles, const char* partitionLabel) {
  return _impl->begin(formatOnFail, basePath, maxOpenFiles, partitionLabel);
}
bool SPIFFSFS::format() { return _impl->format(); }
size_t SPIFFSFS::totalBytes() { return _impl->totalBytes(); }
size_t SPIFFSFS::usedBytes() { return _impl->usedBytes(); }
void SPIFFSFS::end() { _impl->end(); }

}  // namespace fs

fs::LittleFSFS LittleFS;
fs::SPIFFSFS SPIFFS;
