#include "registry.h"

#include <cerrno>
#include <cstdlib>

#include "EchoFirmware.h"

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

}  // namespace

std::vector<std::string> firmwareNames() { return {"echo"}; }

bool firmwareFactory(const std::string& name, const FirmwareConfig& config, twin::FirmwareFactory* out,
                     std::string* error) {
  if (name == "echo") {
    EchoConfig cfg;
    if (!echoConfig(config, &cfg, error)) return false;
    *out = [cfg]() -> std::unique_ptr<twin::Firmware> { return std::make_unique<Sketch<EchoFirmware>>(cfg); };
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
