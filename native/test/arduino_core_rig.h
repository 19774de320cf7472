// arduino_core_rig.h: a twin device with an empty sketch for the arduino_core tests: the tests
// run Arduino calls on its loop task (runOnLoop) and read what it logged.
// Threading: the log sink runs on device threads; `lines` is guarded by `mu`.
// Lifetime: the device is stopped by the destructor (every device thread joined, its state freed).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tc_loop.h"
#include "tc_test.h"
#include "twin.h"

namespace arduinorig {

class EmptySketch : public twin::Firmware {
 public:
  void setup() override {}
  void loop() override { twin::sleepMs(1); }
};

struct Rig {
  std::mutex mu;  // guards lines
  std::vector<std::pair<twin::LogLevel, std::string>> lines;
  std::unique_ptr<twin::Device> device;

  explicit Rig(twin::Profile profile = twin::Profile()) {
    device = std::make_unique<twin::Device>(
        std::move(profile), [] { return std::unique_ptr<twin::Firmware>(new EmptySketch()); },
        [this](twin::LogLevel lvl, const std::string& line) {
          std::lock_guard<std::mutex> lk(mu);
          lines.emplace_back(lvl, line);
        });
    bool ok = device->start();
    CHECK_MSG(ok, "device did not start: " << device->lastError());
  }
  ~Rig() { device->stop(); }

  bool onLoop(std::function<void()> fn) { return tcloop::runOnLoop(*device, std::move(fn), 10000); }

  // The first logged line containing `part` (level through *lvl), waiting up to ms for it.
  bool findLine(const std::string& part, std::string* line = nullptr, twin::LogLevel* lvl = nullptr, int ms = 2000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      {
        std::lock_guard<std::mutex> lk(mu);
        for (auto& l : lines) {
          if (l.second.find(part) != std::string::npos) {
            if (line) *line = l.second;
            if (lvl) *lvl = l.first;
            return true;
          }
        }
      }
      if (std::chrono::steady_clock::now() >= end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
};

}  // namespace arduinorig
