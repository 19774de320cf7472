// esp_idf.cpp: the ESP-IDF system calls of esp_err.h, esp_system.h, esp_random.h and
// esp_idf_version.h on the host, over the twin's services. Rules: those headers.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "esp_err.h"
#include "esp_idf_version.h"
#include "esp_random.h"
#include "esp_system.h"
#include "twin.h"

// ---------------- esp_err.h ----------------

namespace {

struct ErrName {
  esp_err_t code;
  const char* name;
};
constexpr ErrName kErrNames[] = {
    {ESP_OK, "ESP_OK"},
    {ESP_FAIL, "ESP_FAIL"},
    {ESP_ERR_NO_MEM, "ESP_ERR_NO_MEM"},
    {ESP_ERR_INVALID_ARG, "ESP_ERR_INVALID_ARG"},
    {ESP_ERR_INVALID_STATE, "ESP_ERR_INVALID_STATE"},
    {ESP_ERR_INVALID_SIZE, "ESP_ERR_INVALID_SIZE"},
    {ESP_ERR_NOT_FOUND, "ESP_ERR_NOT_FOUND"},
    {ESP_ERR_NOT_SUPPORTED, "ESP_ERR_NOT_SUPPORTED"},
    {ESP_ERR_TIMEOUT, "ESP_ERR_TIMEOUT"},
    {ESP_ERR_INVALID_RESPONSE, "ESP_ERR_INVALID_RESPONSE"},
    {ESP_ERR_INVALID_CRC, "ESP_ERR_INVALID_CRC"},
    {ESP_ERR_INVALID_VERSION, "ESP_ERR_INVALID_VERSION"},
    {ESP_ERR_INVALID_MAC, "ESP_ERR_INVALID_MAC"},
    {ESP_ERR_NOT_FINISHED, "ESP_ERR_NOT_FINISHED"},
    {ESP_ERR_NOT_ALLOWED, "ESP_ERR_NOT_ALLOWED"},
    {ESP_ERR_WIFI_BASE, "ESP_ERR_WIFI_BASE"},
    {ESP_ERR_MESH_BASE, "ESP_ERR_MESH_BASE"},
    {ESP_ERR_FLASH_BASE, "ESP_ERR_FLASH_BASE"},
    {ESP_ERR_HW_CRYPTO_BASE, "ESP_ERR_HW_CRYPTO_BASE"},
    {ESP_ERR_MEMPROT_BASE, "ESP_ERR_MEMPROT_BASE"},
};

std::string checkFailure(const char* what, esp_err_t rc, const char* file, int line, const char* function,
                         const char* expression) {
  char buf[768];
  std::snprintf(buf, sizeof buf, "%s failed: esp_err_t 0x%x (%s) file: \"%s\" line %d func: %s expression: %s", what,
                unsigned(rc), esp_err_to_name(rc), file ? file : "?", line, function ? function : "?",
                expression ? expression : "?");
  return buf;
}

}  // namespace

extern "C" {

const char* esp_err_to_name(esp_err_t code) {
  for (const auto& e : kErrNames)
    if (e.code == code) return e.name;
  return "UNKNOWN ERROR";
}

const char* esp_err_to_name_r(esp_err_t code, char* buf, size_t buflen) {
  if (!buf || buflen == 0) return buf;
  const char* name = esp_err_to_name(code);
  if (std::strcmp(name, "UNKNOWN ERROR") == 0) {
    std::snprintf(buf, buflen, "Unknown error %d", code);
  } else {
    std::snprintf(buf, buflen, "%s", name);
  }
  return buf;
}

void twin_esp_error_check_failed(esp_err_t rc, const char* file, int line, const char* function,
                                 const char* expression) {
  twin::log(twin::LogLevel::Error, checkFailure("ESP_ERROR_CHECK", rc, file, line, function, expression));
  twin::log(twin::LogLevel::Error, "abort() was called: the device restarts");
  twin::requestRestart();
}

void twin_esp_error_check_failed_without_abort(esp_err_t rc, const char* file, int line, const char* function,
                                               const char* expression) {
  twin::log(twin::LogLevel::Error,
            checkFailure("ESP_ERROR_CHECK_WITHOUT_ABORT", rc, file, line, function, expression));
}

// esp_idf_version.h and esp_random.h: arduino_core.cpp (one version string, one per-device
// seeded generator shared with random()).

}  // extern "C"

// ---------------- esp_system.h ----------------

namespace {

constexpr int kMaxShutdownHandlers = 5;  // ESP-IDF's SHUTDOWN_HANDLERS_NO
constexpr uint32_t kDefaultHeap = 320 * 1024;

// The shutdown handlers of one device.
struct Shutdown : twin::DeviceState {
  explicit Shutdown(twin::Device*) {}
  std::mutex mu;  // guards handlers
  std::vector<shutdown_handler_t> handlers;
};

uint32_t budget(twin::Device* dev) {
  if (!dev) return kDefaultHeap;
  uint32_t b = dev->profile().heapBytes;
  return b ? b : kDefaultHeap;
}

uint32_t lessUsed(uint32_t total, int64_t used) {
  if (used <= 0) return total;
  return uint64_t(used) >= total ? 0 : uint32_t(total - uint64_t(used));
}

}  // namespace

extern "C" {

esp_err_t esp_register_shutdown_handler(shutdown_handler_t handle) {
  twin::Device* dev = twin::contextDevice();
  if (!handle || !dev) return ESP_ERR_INVALID_ARG;
  auto* s = twin::deviceState<Shutdown>(dev);
  std::lock_guard<std::mutex> lk(s->mu);
  if (std::find(s->handlers.begin(), s->handlers.end(), handle) != s->handlers.end()) return ESP_ERR_INVALID_STATE;
  if (int(s->handlers.size()) >= kMaxShutdownHandlers) return ESP_ERR_NO_MEM;
  s->handlers.push_back(handle);
  return ESP_OK;
}

esp_err_t esp_unregister_shutdown_handler(shutdown_handler_t handle) {
  twin::Device* dev = twin::contextDevice();
  if (!handle || !dev) return ESP_ERR_INVALID_ARG;
  auto* s = twin::deviceState<Shutdown>(dev);
  std::lock_guard<std::mutex> lk(s->mu);
  auto it = std::find(s->handlers.begin(), s->handlers.end(), handle);
  if (it == s->handlers.end()) return ESP_ERR_INVALID_STATE;
  s->handlers.erase(it);
  return ESP_OK;
}

void esp_restart(void) {
  twin::Device* dev = twin::contextDevice();
  if (dev) {
    std::vector<shutdown_handler_t> handlers;
    auto* s = twin::deviceState<Shutdown>(dev);
    {
      std::lock_guard<std::mutex> lk(s->mu);
      handlers = s->handlers;
    }
    for (auto it = handlers.rbegin(); it != handlers.rend(); ++it) (*it)();
  } else {
    twin::log(twin::LogLevel::Warn, "esp_restart() on a thread of no device: nothing to restart");
  }
  twin::requestRestart();
}

esp_reset_reason_t esp_reset_reason(void) { return ESP_RST_POWERON; }

uint32_t esp_get_free_heap_size(void) {
  twin::Device* dev = twin::contextDevice();
  return lessUsed(budget(dev), dev ? dev->counters().heapUsed.load() : 0);
}

uint32_t esp_get_free_internal_heap_size(void) { return esp_get_free_heap_size(); }

uint32_t esp_get_minimum_free_heap_size(void) {
  twin::Device* dev = twin::contextDevice();
  return lessUsed(budget(dev), dev ? dev->counters().heapPeak.load() : 0);
}

void esp_system_abort(const char* details) {
  twin::log(twin::LogLevel::Error, std::string("abort() was called: ") + (details ? details : "") +
                                       ": the device restarts");
  twin::requestRestart();
}

}  // extern "C"
