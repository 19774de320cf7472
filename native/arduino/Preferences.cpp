// Preferences.cpp: NVS namespaces and keys of a device, kept in memory per partition and written
// through to <dataDir>/nvs/<partition>.nvs on every change. Rules: Preferences.h.
#include "Preferences.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "twin.h"

namespace twin_nvs {

using twin::LogLevel;

constexpr size_t kNameMax = 15;
constexpr size_t kStringMax = 4000;     // bytes with the terminator
constexpr size_t kEntryBytes = 32;
constexpr size_t kTotalEntries = 630;   // 5 pages x 126
constexpr size_t kUsableEntries = 504;  // one page stays free for garbage collection
constexpr size_t kMaxNamespaces = 254;

struct Entry {
  PreferenceType type;
  std::string data;  // numbers: little-endian bytes of their size; strings without terminator
};

size_t entriesOf(const Entry& e) {
  if (e.type == PT_STR) return 1 + (e.data.size() + 1 + kEntryBytes - 1) / kEntryBytes;
  if (e.type == PT_BLOB) return 1 + (e.data.size() + kEntryBytes - 1) / kEntryBytes;
  return 1;
}

const char* typeName(PreferenceType t) {
  static const char* names[] = {"i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "str", "blob"};
  return t < PT_INVALID ? names[t] : "?";
}
size_t sizeOf(PreferenceType t) {
  switch (t) {
    case PT_I8: case PT_U8: return 1;
    case PT_I16: case PT_U16: return 2;
    case PT_I32: case PT_U32: return 4;
    case PT_I64: case PT_U64: return 8;
    default: return 0;
  }
}
bool isSigned(PreferenceType t) { return t == PT_I8 || t == PT_I16 || t == PT_I32 || t == PT_I64; }

std::string escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == '%') {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      out += b;
    } else {
      out.push_back(char(c));
    }
  }
  return out;
}

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unescape(const std::string& s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int h = hexVal(s[i + 1]), l = hexVal(s[i + 2]);
    if (h < 0 || l < 0) return false;
    out.push_back(char(h * 16 + l));
    i += 2;
  }
  return true;
}

std::string toHex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

bool fromHex(const std::string& s, std::string& out) {
  if (s.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    int h = hexVal(s[i]), l = hexVal(s[i + 1]);
    if (h < 0 || l < 0) return false;
    out.push_back(char(h * 16 + l));
  }
  return true;
}

std::string numberText(const Entry& e) {
  uint64_t u = 0;
  for (size_t i = 0; i < e.data.size(); ++i) u |= uint64_t(uint8_t(e.data[i])) << (8 * i);
  if (isSigned(e.type)) {
    int bits = int(e.data.size() * 8);
    int64_t v = bits == 64 ? int64_t(u) : (int64_t(u << (64 - bits)) >> (64 - bits));
    return std::to_string(v);
  }
  return std::to_string(u);
}

bool parseNumber(PreferenceType t, const std::string& text, std::string& data) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  size_t n = sizeOf(t);
  uint64_t bitsOut;
  if (isSigned(t)) {
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno || *end) return false;
    int64_t lo = n == 8 ? INT64_MIN : -(int64_t(1) << (n * 8 - 1)), hi = n == 8 ? INT64_MAX : (int64_t(1) << (n * 8 - 1)) - 1;
    if (v < lo || v > hi) return false;
    bitsOut = uint64_t(v);
  } else {
    if (text[0] == '-') return false;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (errno || *end) return false;
    if (n < 8 && v >> (n * 8)) return false;
    bitsOut = v;
  }
  data.assign(n, '\0');
  for (size_t i = 0; i < n; ++i) data[i] = char(uint8_t(bitsOut >> (8 * i)));
  return true;
}

struct Partition {
  Partition(std::string f, std::string l) : file(std::move(f)), label(std::move(l)) {}
  const std::string file;
  const std::string label;
  // mu guards spaces and every write of `file`.
  std::mutex mu;
  std::map<std::string, std::map<std::string, Entry>> spaces;

  size_t used() const {
    size_t n = 0;
    for (auto& sp : spaces) {
      n += 1;
      for (auto& kv : sp.second) n += entriesOf(kv.second);
    }
    return n;
  }

  // Under mu: reads the file (a missing file is an empty partition; bad lines are skipped and logged).
  void load() {
    std::ifstream in(file);
    if (!in) return;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
      ++lineNo;
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> f;
      std::stringstream ss(line);
      std::string part;
      while (std::getline(ss, part, '\t')) f.push_back(part);
      std::string ns, key, data;
      bool ok = false;
      if (f.size() == 2 && f[0] == "namespace") {
        ok = unescape(f[1], ns) && !ns.empty() && ns.size() <= kNameMax;
        if (ok) spaces[ns];
      } else if (f.size() == 4 && unescape(f[0], ns) && unescape(f[1], key) && !ns.empty() &&
                 ns.size() <= kNameMax && !key.empty() && key.size() <= kNameMax) {
        PreferenceType t = PT_INVALID;
        for (int i = 0; i < PT_INVALID; ++i)
          if (f[2] == typeName(PreferenceType(i))) t = PreferenceType(i);
        if (t == PT_STR) ok = unescape(f[3], data) && data.size() < kStringMax && data.find('\0') == std::string::npos;
        else if (t == PT_BLOB) ok = fromHex(f[3], data);
        else if (t != PT_INVALID) ok = parseNumber(t, f[3], data);
        if (ok) spaces[ns][key] = Entry{t, data};
      }
      if (!ok) twin::log(LogLevel::Warn, "Preferences: " + file + ":" + std::to_string(lineNo) + ": line ignored");
    }
  }

  // Under mu: writes the whole partition to a new file and renames it over the old one.
  bool save() {
    std::string dir = file.substr(0, file.rfind('/'));
    ::mkdir(dir.c_str(), 0755);
    std::string tmp = file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      if (!out) {
        twin::log(LogLevel::Error, "Preferences: cannot write " + tmp + ": " + std::strerror(errno));
        return false;
      }
      out << "# twincore NVS partition \"" << label
          << "\": namespace<TAB>name, or namespace<TAB>key<TAB>type<TAB>value (percent-escaped text, hex blobs)\n";
      for (auto& sp : spaces) {
        out << "namespace\t" << escape(sp.first) << "\n";
        for (auto& kv : sp.second) {
          const Entry& e = kv.second;
          out << escape(sp.first) << "\t" << escape(kv.first) << "\t" << typeName(e.type) << "\t";
          if (e.type == PT_STR) out << escape(e.data);
          else if (e.type == PT_BLOB) out << toHex(e.data);
          else out << numberText(e);
          out << "\n";
        }
      }
      out.flush();
      if (!out) {
        twin::log(LogLevel::Error, "Preferences: cannot write " + tmp);
        return false;
      }
    }
    if (std::rename(tmp.c_str(), file.c_str()) != 0) {
      twin::log(LogLevel::Error, "Preferences: cannot replace " + file + ": " + std::strerror(errno));
      return false;
    }
    return true;
  }
};

struct NvsState : twin::DeviceState {
  explicit NvsState(twin::Device* d) : dev(d) {}
  twin::Device* dev;
  // mu guards parts.
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Partition>> parts;

  std::shared_ptr<Partition> get(const std::string& label) {
    std::lock_guard<std::mutex> lk(mu);
    auto& p = parts[label];
    if (!p) {
      p = std::make_shared<Partition>(dev->dataDir() + "/nvs/" + label + ".nvs", label);
      std::lock_guard<std::mutex> pl(p->mu);
      p->load();
    }
    return p;
  }
};

bool validName(const char* s) { return s && *s && std::strlen(s) <= kNameMax; }

void fail(const char* what, const char* key, const char* err) {
  twin::log(LogLevel::Debug, std::string("Preferences: ") + what + " fail: " + (key ? key : "(null)") + " " + err);
}

}  // namespace twin_nvs

using twin_nvs::Entry;
using twin_nvs::Partition;

Preferences::Preferences() : _handle(0), _started(false), _readOnly(false) {}

Preferences::~Preferences() { end(); }

bool Preferences::begin(const char* name, bool readOnly, const char* partition_label) {
  if (_started) return false;
  if (!twin_nvs::validName(name)) {
    twin::log(twin::LogLevel::Error, std::string("Preferences: nvs_open failed: ") +
                                         (name && *name ? "KEY_TOO_LONG" : "INVALID_NAME"));
    return false;
  }
  std::string label = partition_label ? partition_label : "nvs";
  bool labelOk = !label.empty() && label.size() <= twin_nvs::kNameMax;
  for (char c : label) labelOk = labelOk && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!labelOk) {
    twin::log(twin::LogLevel::Error, "Preferences: nvs_flash_init_partition failed: NOT_FOUND ('" + label + "')");
    return false;
  }
  auto* st = twin::deviceState<twin_nvs::NvsState>(twin::contextDevice());
  if (!st) {
    twin::log(twin::LogLevel::Error, "Preferences: nvs_open failed: no device on this thread");
    return false;
  }
  std::shared_ptr<Partition> part = st->get(label);
  {
    std::lock_guard<std::mutex> lk(part->mu);
    if (!part->spaces.count(name)) {
      if (readOnly) {
        twin::log(twin::LogLevel::Error, std::string("Preferences: nvs_open failed: NOT_FOUND (") + name + ")");
        return false;
      }
      if (part->spaces.size() >= twin_nvs::kMaxNamespaces || part->used() + 1 > twin_nvs::kUsableEntries) {
        twin::log(twin::LogLevel::Error, "Preferences: nvs_open failed: NOT_ENOUGH_SPACE");
        return false;
      }
      part->spaces[name];
      if (!part->save()) {
        part->spaces.erase(name);
        return false;
      }
    }
  }
  _part = part;
  _ns = name;
  _readOnly = readOnly;
  _started = true;
  _handle = 1;
  return true;
}

void Preferences::end() {
  if (!_started) return;
  _started = false;
  _part.reset();
  _ns.clear();
  _handle = 0;
}

bool Preferences::clear() {
  if (!_started || _readOnly) return false;
  std::lock_guard<std::mutex> lk(_part->mu);
  auto& sp = _part->spaces[_ns];
  auto saved = sp;
  sp.clear();
  if (!_part->save()) {
    sp = saved;
    return false;
  }
  return true;
}

bool Preferences::remove(const char* key) {
  if (!_started || !key || _readOnly) return false;
  std::lock_guard<std::mutex> lk(_part->mu);
  auto& sp = _part->spaces[_ns];
  auto it = sp.find(key);
  if (it == sp.end()) {
    twin_nvs::fail("nvs_erase_key", key, "NOT_FOUND");
    return false;
  }
  Entry saved = it->second;
  sp.erase(it);
  if (!_part->save()) {
    sp[key] = saved;
    return false;
  }
  return true;
}

namespace {
// Stores e under key (replacing any type) and writes the partition through. Under no lock.
// Returns whether it was stored.
bool store(Partition& p, const std::string& ns, const char* key, Entry e) {
  if (!twin_nvs::validName(key)) {
    twin_nvs::fail("nvs_set", key, key && *key ? "KEY_TOO_LONG" : "INVALID_NAME");
    return false;
  }
  std::lock_guard<std::mutex> lk(p.mu);
  auto& sp = p.spaces[ns];
  auto it = sp.find(key);
  bool had = it != sp.end();
  Entry old = had ? it->second : Entry{PT_INVALID, std::string()};
  size_t used = p.used() - (had ? twin_nvs::entriesOf(old) : 0);
  if (used + twin_nvs::entriesOf(e) > twin_nvs::kUsableEntries) {
    twin::log(twin::LogLevel::Error, std::string("Preferences: nvs_set fail: ") + key + " NOT_ENOUGH_SPACE");
    return false;
  }
  sp[key] = std::move(e);
  if (!p.save()) {
    if (had) {
      sp[key] = old;
    } else {
      sp.erase(key);
    }
    return false;
  }
  return true;
}

// The entry under key if it has type t. Under no lock.
bool lookup(Partition& p, const std::string& ns, const char* key, PreferenceType t, Entry& out) {
  if (!key) return false;
  std::lock_guard<std::mutex> lk(p.mu);
  auto sp = p.spaces.find(ns);
  if (sp == p.spaces.end()) return false;
  auto it = sp->second.find(key);
  if (it == sp->second.end() || (t != PT_INVALID && it->second.type != t)) return false;
  out = it->second;
  return true;
}
}  // namespace

template <class T>
size_t Preferences::putNumber(const char* key, T value, PreferenceType type) {
  if (!_started || !key || _readOnly) return 0;
  Entry e{type, std::string(sizeof(T), '\0')};
  for (size_t i = 0; i < sizeof(T); ++i) e.data[i] = char(uint8_t(uint64_t(value) >> (8 * i)));
  return store(*_part, _ns, key, std::move(e)) ? sizeof(T) : 0;
}

template <class T>
T Preferences::getNumber(const char* key, T defaultValue, PreferenceType type) {
  if (!_started || !key) return defaultValue;
  Entry e;
  if (!lookup(*_part, _ns, key, type, e) || e.data.size() != sizeof(T)) return defaultValue;
  uint64_t u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) u |= uint64_t(uint8_t(e.data[i])) << (8 * i);
  return T(u);
}

size_t Preferences::putChar(const char* key, int8_t value) { return putNumber(key, value, PT_I8); }
size_t Preferences::putUChar(const char* key, uint8_t value) { return putNumber(key, value, PT_U8); }
size_t Preferences::putShort(const char* key, int16_t value) { return putNumber(key, value, PT_I16); }
size_t Preferences::putUShort(const char* key, uint16_t value) { return putNumber(key, value, PT_U16); }
size_t Preferences::putInt(const char* key, int32_t value) { return putNumber(key, value, PT_I32); }
size_t Preferences::putUInt(const char* key, uint32_t value) { return putNumber(key, value, PT_U32); }
size_t Preferences::putLong(const char* key, int32_t value) { return putInt(key, value); }
size_t Preferences::putULong(const char* key, uint32_t value) { return putUInt(key, value); }
size_t Preferences::putLong64(const char* key, int64_t value) { return putNumber(key, value, PT_I64); }
size_t Preferences::putULong64(const char* key, uint64_t value) { return putNumber(key, value, PT_U64); }
size_t Preferences::putFloat(const char* key, float_t value) { return putBytes(key, &value, sizeof value); }
size_t Preferences::putDouble(const char* key, double_t value) { return putBytes(key, &value, sizeof value); }
size_t Preferences::putBool(const char* key, bool value) { return putUChar(key, value ? 1 : 0); }

size_t Preferences::putString(const char* key, const char* value) {
  if (!_started || !key || !value || _readOnly) return 0;
  size_t len = std::strlen(value);
  if (len + 1 > twin_nvs::kStringMax) {
    twin_nvs::fail("nvs_set_str", key, "VALUE_TOO_LONG");
    return 0;
  }
  return store(*_part, _ns, key, Entry{PT_STR, std::string(value, len)}) ? len : 0;
}

size_t Preferences::putString(const char* key, String value) { return putString(key, value.c_str()); }

size_t Preferences::putBytes(const char* key, const void* value, size_t len) {
  if (!_started || !key || !value || !len || _readOnly) return 0;
  return store(*_part, _ns, key, Entry{PT_BLOB, std::string(static_cast<const char*>(value), len)}) ? len : 0;
}

PreferenceType Preferences::getType(const char* key) {
  if (!_started || !twin_nvs::validName(key)) return PT_INVALID;
  Entry e;
  return lookup(*_part, _ns, key, PT_INVALID, e) ? e.type : PT_INVALID;
}

bool Preferences::isKey(const char* key) { return getType(key) != PT_INVALID; }

int8_t Preferences::getChar(const char* key, int8_t d) { return getNumber(key, d, PT_I8); }
uint8_t Preferences::getUChar(const char* key, uint8_t d) { return getNumber(key, d, PT_U8); }
int16_t Preferences::getShort(const char* key, int16_t d) { return getNumber(key, d, PT_I16); }
uint16_t Preferences::getUShort(const char* key, uint16_t d) { return getNumber(key, d, PT_U16); }
int32_t Preferences::getInt(const char* key, int32_t d) { return getNumber(key, d, PT_I32); }
uint32_t Preferences::getUInt(const char* key, uint32_t d) { return getNumber(key, d, PT_U32); }
int32_t Preferences::getLong(const char* key, int32_t d) { return getInt(key, d); }
uint32_t Preferences::getULong(const char* key, uint32_t d) { return getUInt(key, d); }
int64_t Preferences::getLong64(const char* key, int64_t d) { return getNumber(key, d, PT_I64); }
uint64_t Preferences::getULong64(const char* key, uint64_t d) { return getNumber(key, d, PT_U64); }

float_t Preferences::getFloat(const char* key, float_t d) {
  float_t v = d;
  getBytes(key, &v, sizeof v);
  return v;
}

double_t Preferences::getDouble(const char* key, double_t d) {
  double_t v = d;
  getBytes(key, &v, sizeof v);
  return v;
}

bool Preferences::getBool(const char* key, bool d) { return getUChar(key, d ? 1 : 0) == 1; }

size_t Preferences::getString(const char* key, char* value, size_t maxLen) {
  if (!_started || !key || !value || !maxLen) return 0;
  Entry e;
  if (!lookup(*_part, _ns, key, PT_STR, e)) {
    twin_nvs::fail("nvs_get_str len", key, "NOT_FOUND");
    return 0;
  }
  size_t len = e.data.size() + 1;
  if (len > maxLen) {
    twin::log(twin::LogLevel::Error, "Preferences: not enough space in value: " + std::to_string(maxLen) + " < " +
                                         std::to_string(len));
    return 0;
  }
  std::memcpy(value, e.data.c_str(), len);
  return len;
}

String Preferences::getString(const char* key, String defaultValue) {
  if (!_started || !key) return defaultValue;
  Entry e;
  if (!lookup(*_part, _ns, key, PT_STR, e)) return defaultValue;
  return String(e.data.c_str());
}

size_t Preferences::getStringLength(const char* key) {
  if (!_started || !key) return 0;
  Entry e;
  return lookup(*_part, _ns, key, PT_STR, e) ? e.data.size() + 1 : 0;
}

size_t Preferences::getBytesLength(const char* key) {
  if (!_started || !key) return 0;
  Entry e;
  return lookup(*_part, _ns, key, PT_BLOB, e) ? e.data.size() : 0;
}

size_t Preferences::getBytes(const char* key, void* buf, size_t maxLen) {
  if (!_started || !key) return 0;
  Entry e;
  if (!lookup(*_part, _ns, key, PT_BLOB, e)) return 0;
  size_t len = e.data.size();
  if (!len || !buf || !maxLen) return len;
  if (len > maxLen) {
    twin::log(twin::LogLevel::Error, "Preferences: not enough space in buffer: " + std::to_string(maxLen) + " < " +
                                         std::to_string(len));
    return 0;
  }
  std::memcpy(buf, e.data.data(), len);
  return len;
}

size_t Preferences::freeEntries() {
  if (!_part) {
    auto* st = twin::deviceState<twin_nvs::NvsState>(twin::contextDevice());
    if (!st) return 0;
    auto p = st->get("nvs");
    std::lock_guard<std::mutex> lk(p->mu);
    return twin_nvs::kTotalEntries - p->used();
  }
  std::lock_guard<std::mutex> lk(_part->mu);
  return twin_nvs::kTotalEntries - _part->used();
}
