// arduino_core.cpp: the Arduino-ESP32 core functions on the host (time, delay, Serial and the
// console, the HAL and IDF logs, random, map, ESP), acting on the device of the calling thread
// through the twin's services (twin.h). Rules: Arduino.h, esp32-hal.h, esp32-hal-log.h,
// esp_log.h, HardwareSerial.h, Esp.h.
#include <chrono>
#include <cstdarg>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "Arduino.h"
#include "esp_log.h"
#include "rom/ets_sys.h"
#include "twin.h"

// ---------------------------------------------------------------- time

uint32_t millis() { return twin::uptimeMs(); }
uint32_t micros() { return uint32_t(twin::uptimeUs()); }

// On the loop task it returns early when the device stops, so stop() never waits out a long
// delay(); on a firmware task it unwinds the task instead (twin::sleepMs).
void delay(uint32_t ms) { twin::sleepMs(ms); }
void yield() { twin::yieldTask(); }

void delayMicroseconds(uint32_t us) {
  if (us >= 2000) {
    twin::sleepMs(us / 1000);
    us %= 1000;
  }
  uint64_t end = twin::uptimeUs() + us;
  while (twin::uptimeUs() < end) {
  }
}
void ets_delay_us(uint32_t us) { delayMicroseconds(us); }

namespace {
enum class Chip { Esp32, Esp32S3, Esp32C3 };
Chip chipOf(twin::Device* d) {
  if (!d) return Chip::Esp32;
  const std::string& n = d->profile().name;
  if (n == "esp32s3") return Chip::Esp32S3;
  if (n == "esp32c3") return Chip::Esp32C3;
  return Chip::Esp32;
}
}  // namespace

uint32_t getCpuFrequencyMhz() { return chipOf(twin::contextDevice()) == Chip::Esp32C3 ? 160 : 240; }
uint32_t getXtalFrequencyMhz() { return 40; }
uint32_t getApbFrequency() { return 80u * 1000 * 1000; }
float temperatureRead() { return 45.0f; }

// ---------------------------------------------------------------- console (Serial, ets_printf)

HardwareSerial Serial(0);
HardwareSerial Serial1(1);
HardwareSerial Serial2(2);

namespace {
constexpr size_t kMaxLine = 4096;
// The calling thread's unfinished console line of each UART.
thread_local std::string tlsLine[3];
}  // namespace

void twinConsoleWrite(uint8_t uart, const char* data, size_t len) {
  std::string& line = tlsLine[uart < 3 ? uart : 0];
  for (size_t i = 0; i < len; ++i) {
    char c = data[i];
    if (c == '\n') {
      if (uart == 1 || uart == 2) line.insert(0, uart == 1 ? "Serial1: " : "Serial2: ");
      twin::log(twin::LogLevel::Info, line);
      line.clear();
    } else if (c != '\r' && line.size() < kMaxLine) {
      line.push_back(c);
    }
  }
}

size_t HardwareSerial::write(uint8_t c) {
  char ch = char(c);
  twinConsoleWrite(_uart, &ch, 1);
  return 1;
}

size_t HardwareSerial::write(const uint8_t* data, size_t len) {
  if (!data) return 0;
  twinConsoleWrite(_uart, reinterpret_cast<const char*>(data), len);
  return len;
}

namespace {
// vsnprintf into a string (any length).
std::string vformat(const char* fmt, va_list ap) {
  char small[256];
  va_list copy;
  va_copy(copy, ap);
  int n = std::vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) return std::string();
  if (size_t(n) < sizeof small) return std::string(small, size_t(n));
  std::string out(size_t(n) + 1, '\0');
  std::vsnprintf(&out[0], out.size(), fmt, ap);
  out.resize(size_t(n));
  return out;
}
}  // namespace

int ets_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = vformat(fmt, ap);
  va_end(ap);
  twinConsoleWrite(0, s.data(), s.size());
  return int(s.size());
}

// ---------------------------------------------------------------- HAL log

const char* pathToFileName(const char* path) {
  if (!path) return "";
  const char* name = path;
  for (const char* p = path; *p; ++p) {
    if (*p == '/' || *p == '\\') name = p + 1;
  }
  return name;
}

int log_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = vformat(fmt, ap);
  va_end(ap);
  twinConsoleWrite(0, s.data(), s.size());
  return int(s.size());
}

void log_print_buf(const uint8_t* b, size_t len) {
  if (!b) return;
  for (size_t off = 0; off < len; off += 16) {
    char line[16 * 3 + 16];
    int n = std::snprintf(line, sizeof line, "%04x:", unsigned(off));
    for (size_t i = off; i < len && i < off + 16; ++i) n += std::snprintf(line + n, sizeof line - size_t(n), " %02x", b[i]);
    twin::log(twin::LogLevel::Info, line);
  }
}

namespace {
twin::LogLevel twinLevel(char letter) {
  switch (letter) {
    case 'E':
      return twin::LogLevel::Error;
    case 'W':
      return twin::LogLevel::Warn;
    case 'I':
      return twin::LogLevel::Info;
    default:
      return twin::LogLevel::Debug;
  }
}
}  // namespace

void twinHalLog(char level, const char* file, int line, const char* func, const char* fmt, ...) {
  char head[160];
  std::snprintf(head, sizeof head, "[%6u][%c][%s:%d] %s(): ", unsigned(millis()), level, pathToFileName(file), line,
                func ? func : "");
  va_list ap;
  va_start(ap, fmt);
  std::string body = vformat(fmt, ap);
  va_end(ap);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  twin::log(twinLevel(level), head + body);
}

// ---------------------------------------------------------------- IDF log (esp_log.h)

namespace {
struct EspLogLevels {
  std::mutex mu;  // guards both fields
  esp_log_level_t all = ESP_LOG_ERROR;
  std::map<std::string, esp_log_level_t> perTag;

  esp_log_level_t get(const char* tag) {
    std::lock_guard<std::mutex> lk(mu);
    if (tag) {
      auto it = perTag.find(tag);
      if (it != perTag.end()) return it->second;
    }
    return all;
  }
  void set(const char* tag, esp_log_level_t level) {
    std::lock_guard<std::mutex> lk(mu);
    if (!tag || std::strcmp(tag, "*") == 0) {
      all = level;
      perTag.clear();
    } else {
      perTag[tag] = level;
    }
  }
};
struct DeviceLogLevels : twin::DeviceState, EspLogLevels {
  explicit DeviceLogLevels(twin::Device*) {}
};
EspLogLevels& logLevels() {
  if (auto* s = twin::deviceState<DeviceLogLevels>(twin::contextDevice())) return *s;
  static EspLogLevels process;
  return process;
}
twin::LogLevel twinLevel(esp_log_level_t l) {
  switch (l) {
    case ESP_LOG_ERROR:
      return twin::LogLevel::Error;
    case ESP_LOG_WARN:
      return twin::LogLevel::Warn;
    case ESP_LOG_INFO:
      return twin::LogLevel::Info;
    default:
      return twin::LogLevel::Debug;
  }
}
}  // namespace

void esp_log_level_set(const char* tag, esp_log_level_t level) { logLevels().set(tag, level); }
esp_log_level_t esp_log_level_get(const char* tag) { return logLevels().get(tag); }
uint32_t esp_log_timestamp() { return millis(); }

void esp_log_writev(esp_log_level_t level, const char* tag, const char* fmt, va_list args) {
  if (level == ESP_LOG_NONE || level > logLevels().get(tag)) return;
  std::string s = vformat(fmt, args);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  twin::log(twinLevel(level), s);
}

void esp_log_write(esp_log_level_t level, const char* tag, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  esp_log_writev(level, tag, fmt, ap);
  va_end(ap);
}

void esp_log_buffer_hex_internal(const char* tag, const void* buffer, uint16_t len, esp_log_level_t level) {
  if (!buffer || level == ESP_LOG_NONE || level > logLevels().get(tag)) return;
  const uint8_t* b = static_cast<const uint8_t*>(buffer);
  for (uint16_t off = 0; off < len; off += 16) {
    std::string line = std::string(tag ? tag : "") + ":";
    for (uint16_t i = off; i < len && i < off + 16; ++i) {
      char h[4];
      std::snprintf(h, sizeof h, " %02x", b[i]);
      line += h;
    }
    twin::log(twinLevel(level), line);
  }
}

const char* esp_get_idf_version() { return "v5.5.0-twincore"; }

// ---------------------------------------------------------------- random, map, word

namespace {
// splitmix64: small, fast, and the same sequence for a seed on every host.
struct RandomGen {
  std::mutex mu;  // guards state
  uint64_t state;
  RandomGen() {
    std::random_device rd;
    state = (uint64_t(rd()) << 32) ^ rd();
  }
  uint32_t next() {
    std::lock_guard<std::mutex> lk(mu);
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return uint32_t((z ^ (z >> 31)) >> 32);
  }
  void seed(uint64_t s) {
    std::lock_guard<std::mutex> lk(mu);
    state = s;
  }
};
struct DeviceRandom : twin::DeviceState, RandomGen {
  explicit DeviceRandom(twin::Device*) {}
};
RandomGen& randomGen() {
  if (auto* r = twin::deviceState<DeviceRandom>(twin::contextDevice())) return *r;
  static RandomGen process;
  return process;
}
}  // namespace

uint32_t esp_random() { return randomGen().next(); }

void esp_fill_random(void* buf, size_t len) {
  if (!buf) return;
  uint8_t* p = static_cast<uint8_t*>(buf);
  RandomGen& g = randomGen();
  while (len) {
    uint32_t r = g.next();
    size_t n = len < 4 ? len : 4;
    std::memcpy(p, &r, n);
    p += n;
    len -= n;
  }
}

// Uniform in 0..howbig-1 without modulo bias (multiply-shift with rejection).
long random(long howbig) {
  if (howbig <= 0) return 0;
  uint64_t range = uint64_t(howbig);
  RandomGen& g = randomGen();
  if (range <= 0xffffffffULL) {
    uint32_t r32 = uint32_t(range);
    uint64_t m = uint64_t(g.next()) * r32;
    uint32_t low = uint32_t(m);
    if (low < r32) {
      uint32_t threshold = uint32_t(-r32) % r32;
      while (low < threshold) {
        m = uint64_t(g.next()) * r32;
        low = uint32_t(m);
      }
    }
    return long(m >> 32);
  }
  // Host longs beyond 32 bits: 64-bit draws with rejection.
  uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t v;
  do {
    v = (uint64_t(g.next()) << 32) | g.next();
  } while (v >= limit);
  return long(v % range);
}

long random(long howsmall, long howbig) {
  if (howsmall >= howbig) return howsmall;
  return random(howbig - howsmall) + howsmall;
}

void randomSeed(unsigned long seed) {
  if (seed != 0) randomGen().seed(seed);
}

void useRealRandomGenerator(bool) {}

long map(long x, long in_min, long in_max, long out_min, long out_max) {
  const long run = in_max - in_min;
  if (run == 0) {
    twin::log(twin::LogLevel::Error, "map(): Invalid input range, min == max");
    return -1;
  }
  return (x - in_min) * (out_max - out_min) / run + out_min;
}

uint16_t makeWord(uint16_t w) { return w; }
uint16_t makeWord(uint8_t h, uint8_t l) { return uint16_t(h << 8 | l); }

// ---------------------------------------------------------------- ESP

EspClass ESP;

namespace {
constexpr uint32_t kBoardHeap = 320u * 1024;
uint32_t heapTotal(twin::Device* d) { return d && d->profile().heapBytes ? d->profile().heapBytes : kBoardHeap; }
uint32_t freeAfter(uint32_t total, int64_t used) {
  if (used <= 0) return total;
  return used >= int64_t(total) ? 0 : uint32_t(total - uint64_t(used));
}
}  // namespace

void EspClass::restart() { twin::requestRestart(); }

uint32_t EspClass::getHeapSize() { return heapTotal(twin::contextDevice()); }

uint32_t EspClass::getFreeHeap() {
  twin::Device* d = twin::contextDevice();
  return freeAfter(heapTotal(d), d ? d->counters().heapUsed.load() : 0);
}

uint32_t EspClass::getMinFreeHeap() {
  twin::Device* d = twin::contextDevice();
  return freeAfter(heapTotal(d), d ? d->counters().heapPeak.load() : 0);
}

uint32_t EspClass::getMaxAllocHeap() { return getFreeHeap(); }

uint16_t EspClass::getChipRevision() {
  switch (chipOf(twin::contextDevice())) {
    case Chip::Esp32S3:
      return 2;
    case Chip::Esp32C3:
      return 4;
    default:
      return 300;
  }
}

const char* EspClass::getChipModel() {
  switch (chipOf(twin::contextDevice())) {
    case Chip::Esp32S3:
      return "ESP32-S3";
    case Chip::Esp32C3:
      return "ESP32-C3";
    default:
      return "ESP32-D0WD-V3";
  }
}

uint8_t EspClass::getChipCores() {
  twin::Device* d = twin::contextDevice();
  return (d ? d->profile().dualCore : true) ? 2 : 1;
}

uint32_t EspClass::getCpuFreqMHz() { return getCpuFrequencyMhz(); }
uint32_t EspClass::getCycleCount() { return uint32_t(twin::uptimeUs() * getCpuFrequencyMhz()); }
const char* EspClass::getSdkVersion() { return esp_get_idf_version(); }
const char* EspClass::getCoreVersion() { return ESP_ARDUINO_VERSION_STR; }

uint64_t EspClass::getEfuseMac() {
  twin::Device* d = twin::contextDevice();
  std::string identity;
  if (d && !d->profile().dataDir.empty()) {
    identity = "dir:" + d->profile().dataDir;
  } else if (d && d->profile().hostPort) {
    identity = "port:" + std::to_string(d->profile().hostPort);
  } else {
    identity = "obj:" + std::to_string(reinterpret_cast<uintptr_t>(d));
  }
  // FNV-1a over the identity: stable on every run and host.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : identity) h = (h ^ c) * 1099511628211ULL;
  const uint8_t mac[6] = {0x24, 0x0A, 0xC4, uint8_t(h), uint8_t(h >> 8), uint8_t(h >> 16)};
  uint64_t v = 0;
  for (int i = 5; i >= 0; --i) v = (v << 8) | mac[i];
  return v;
}
