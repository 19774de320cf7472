#include "registry.h"

#include <cerrno>
#include <cstdlib>

#include "EchoFirmware.h"
#include "ReferenceFirmware.h"

namespace {

// Adapts a sketch-shaped class (setup()/loop()) to the twin.
template <class F>
class Sketch : public twin::Firmware {
 public:
  template <class... A>
  explicit Sketch(A&&... a) : _f(std::forward<A>(a)...) {}
  void setup() override { _f.setup(); }
  void loop() override { _f.loop(); }

 private:
  F _f;
};

bool parseU32(const FirmwareConfig& cfg, const char* key, uint32_t max, uint32_t* out, std::string* error) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return true;
  errno = 0;
  char* end = nullptr;
  unsigned long v = std::strtoul(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end || errno || v > max) {
    *error = std::string("config '") + key + "' must be an integer 0.." + std::to_string(max) + ", got '" + it->second + "'";
    return false;
  }
  *out = uint32_t(v);
  return true;
}

bool checkKeys(const FirmwareConfig& cfg, std::initializer_list<const char*> known, const std::string& fw,
               std::string* error) {
  for (auto& kv : cfg) {
    bool ok = false;
    for (const char* k : known) ok = ok || kv.first == k;
    if (!ok) {
      *error = "unknown config key '" + kv.first + "' for firmware '" + fw + "'";
      return false;
    }
  }
  return true;
}

bool echoConfig(const FirmwareConfig& cfg, EchoConfig* out, std::string* error) {
  if (!checkKeys(cfg, {"tickMs", "port"}, "echo", error)) return false;
  uint32_t port = out->port;
  if (!parseU32(cfg, "tickMs", 3600000, &out->tickMs, error)) return false;
  if (!parseU32(cfg, "port", 65535, &port, error)) return false;
  out->port = uint16_t(port);
  return true;
}

bool parseBool(const FirmwareConfig& cfg, const char* key, bool* out, std::string* error) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return true;
  if (it->second == "true" || it->second == "1") {
    *out = true;
  } else if (it->second == "false" || it->second == "0") {
    *out = false;
  } else {
    *error = std::string("config '") + key + "' must be true, false, 1 or 0, got '" + it->second + "'";
    return false;
  }
  return true;
}

bool parseRange(const FirmwareConfig& cfg, const char* key, uint32_t min, uint32_t max, uint32_t* out,
                std::string* error) {
  uint32_t v = *out;
  if (!parseU32(cfg, key, max, &v, error)) return false;
  if (v < min) {
    *error = std::string("config '") + key + "' must be an integer " + std::to_string(min) + ".." +
             std::to_string(max) + ", got '" + cfg.find(key)->second + "'";
    return false;
  }
  *out = v;
  return true;
}

// Keys: port, wsPath, maxMessage, maxClients, keepAliveSec, closeOnQueueFull, logEvents, and the telemetry
// autostart rate (0 = off), size, count. Defaults and their reasons: ReferenceConfig.
bool referenceConfig(const FirmwareConfig& cfg, ReferenceConfig* out, std::string* error) {
  if (!checkKeys(cfg, {"port", "wsPath", "maxMessage", "maxClients", "keepAliveSec", "closeOnQueueFull", "logEvents",
                       "rate", "size", "count"},
                 "reference", error)) {
    return false;
  }
  uint32_t port = out->port;
  if (!parseU32(cfg, "port", 65535, &port, error)) return false;
  out->port = uint16_t(port);
  auto path = cfg.find("wsPath");
  if (path != cfg.end()) {
    const std::string& p = path->second;
    bool ok = p.size() >= 1 && p.size() <= 64 && p[0] == '/';
    for (char c : p) ok = ok && c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '"' && c != '\\';
    if (p == "/" || p == "/stats") {
      *error = "config 'wsPath' must not be '/' or '/stats' (the dashboard and the counters live there)";
      return false;
    }
    if (!ok) {
      *error = "config 'wsPath' must be a path starting with '/' (1..64 printable characters, no ?#\"\\), got '" +
               p + "'";
      return false;
    }
    out->wsPath = p;
  }
  // 16 MiB: far above a board's heap, low enough that a typo is caught.
  if (!parseRange(cfg, "maxMessage", 1, 16 * 1024 * 1024, &out->maxMessage, error)) return false;
  if (!parseRange(cfg, "maxClients", 1, 4096, &out->maxClients, error)) return false;
  if (!parseU32(cfg, "keepAliveSec", 65535, &out->keepAliveSec, error)) return false;
  if (!parseBool(cfg, "closeOnQueueFull", &out->closeOnQueueFull, error)) return false;
  if (!parseBool(cfg, "logEvents", &out->logEvents, error)) return false;
  if (!parseU32(cfg, "rate", ReferenceFirmware::kMaxRate, &out->rate, error)) return false;
  if (!parseRange(cfg, "size", ReferenceFirmware::kMinTelemetry, ReferenceFirmware::kMaxTelemetry, &out->size, error)) {
    return false;
  }
  if (!parseU32(cfg, "count", ReferenceFirmware::kMaxCount, &out->count, error)) return false;
  return true;
}

}  // namespace

std::vector<std::string> firmwareNames() { return {"echo", "reference"}; }

bool firmwareFactory(const std::string& name, const FirmwareConfig& config, twin::FirmwareFactory* out,
                     std::string* error) {
  if (name == "echo") {
    EchoConfig cfg;
    if (!echoConfig(config, &cfg, error)) return false;
    *out = [cfg]() -> std::unique_ptr<twin::Firmware> { return std::make_unique<Sketch<EchoFirmware>>(cfg); };
    return true;
  }
  if (name == "reference") {
    ReferenceConfig cfg;
    if (!referenceConfig(config, &cfg, error)) return false;
    *out = [cfg]() -> std::unique_ptr<twin::Firmware> { return std::make_unique<Sketch<ReferenceFirmware>>(cfg); };
    return true;
  }
  std::string known;
  for (auto& n : firmwareNames()) known += (known.empty() ? "" : ", ") + n;
  *error = "unknown firmware '" + name + "' (known: " + known + ")";
  return false;
}

std::unique_ptr<twin::Firmware> makeFirmware(const std::string& name, const FirmwareConfig& config,
                                             std::string* error) {
  twin::FirmwareFactory f;
  if (!firmwareFactory(name, config, &f, error)) return nullptr;
  return f();
}
