// tc_world.h: a started twin::Device with an empty sketch and a captured log, for the tests of the
// stateful Arduino API (pins, WiFi, file systems, Preferences).
//
// Threading: the log sink runs on device threads and on the harness's calls; the captured lines
// are guarded by Log::mu. onLoop() runs work on the device's loop task and waits for it.
// Lifetime: the rig owns its Device; the destructor stops it (its temporary flash folder, when the
// profile names none, is removed by the stop).
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tc_loop.h"
#include "tc_test.h"
#include "twin.h"

namespace tcworld {

struct Log {
  std::mutex mu;  // guards lines
  std::condition_variable cv;
  std::vector<std::string> lines;

  void add(const std::string& l) {
    {
      std::lock_guard<std::mutex> lk(mu);
      lines.push_back(l);
    }
    cv.notify_all();
  }
  size_t count(const std::string& part) {
    std::lock_guard<std::mutex> lk(mu);
    size_t n = 0;
    for (auto& l : lines) n += l.find(part) != std::string::npos ? 1 : 0;
    return n;
  }
  bool has(const std::string& part) { return count(part) > 0; }
  bool waitFor(const std::string& part, int ms) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, std::chrono::milliseconds(ms), [&] {
      for (auto& l : lines)
        if (l.find(part) != std::string::npos) return true;
      return false;
    });
  }
  std::string dump() {
    std::lock_guard<std::mutex> lk(mu);
    std::string s;
    for (auto& l : lines) s += "  | " + l + "\n";
    return s;
  }
};

class EmptySketch : public twin::Firmware {
 public:
  void setup() override {}
  void loop() override {}
};

struct Rig {
  std::shared_ptr<Log> log = std::make_shared<Log>();
  std::unique_ptr<twin::Device> device;
  bool started = false;

  explicit Rig(twin::Profile profile = twin::Profile()) {
    auto l = log;
    device = std::make_unique<twin::Device>(
        profile, [] { return std::unique_ptr<twin::Firmware>(new EmptySketch()); },
        [l](twin::LogLevel, const std::string& line) { l->add(line); });
    started = device->start();
    CHECK_MSG(started, "device did not start: " << device->lastError());
  }
  ~Rig() { device->stop(); }
  twin::Device* dev() { return device.get(); }
  // Runs fn on the loop task and waits for it (false, with a failed check, if it did not run).
  bool onLoop(std::function<void()> fn, int ms = 10000) { return tcloop::runOnLoop(*device, std::move(fn), ms); }
};

// Waits (bounded) until pred() holds, polling every 5 ms.
inline bool eventually(const std::function<bool()>& pred, int ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

}  // namespace tcworld
