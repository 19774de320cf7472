// freertos_rig.h: a started twin::Device with an idle firmware, for the FreeRTOS layer's tests
// (native/test/freertos_*_test.cpp). Code runs on the device through onLoop() (the loop task) or
// spawn() (a FreeRTOS task made with xTaskCreatePinnedToCore).
//
// Threading: the rig is used from the test's main thread; the log is appended on device threads
// under logMu. Lifetimes: the destructor stops the device (joining every task); stop() may be
// called earlier to inspect what a stop leaves behind.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "tc_loop.h"
#include "tc_test.h"
#include "twin.h"

namespace frtest {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline twin::Profile profile(bool dualCore, uint32_t heapBytes = 0) {
  twin::Profile p;
  p.dualCore = dualCore;
  p.heapBytes = heapBytes;
  return p;
}

class IdleFirmware : public twin::Firmware {
 public:
  void setup() override {}
  void loop() override {}
};

struct Rig {
  std::mutex logMu;
  std::vector<std::string> logLines;  // logMu
  std::unique_ptr<twin::Device> device;
  bool started = false;

  explicit Rig(twin::Profile p = twin::Profile()) {
    device = std::make_unique<twin::Device>(
        p, [] { return std::unique_ptr<twin::Firmware>(new IdleFirmware()); },
        [this](twin::LogLevel, const std::string& line) {
          std::lock_guard<std::mutex> lk(logMu);
          logLines.push_back(line);
        });
    started = device->start();
    CHECK_MSG(started, "device did not start: " << device->lastError());
    // async_tcp counts itself in threadsAlive once its thread runs, which may be after start().
    auto until = Clock::now() + milliseconds(3000);
    while (started && device->counters().threadsAlive.load() < 2 && Clock::now() < until)
      std::this_thread::sleep_for(milliseconds(1));
  }
  ~Rig() { device->stop(); }

  // Runs fn on the loop task and waits for it (bounded).
  bool onLoop(std::function<void()> fn, int ms = 10000) { return tcloop::runOnLoop(*device, std::move(fn), ms); }

  // Starts a FreeRTOS task of the device running fn (from its loop task); returns its handle.
  TaskHandle_t spawn(const char* name, std::function<void()> fn, BaseType_t core = tskNO_AFFINITY,
                     uint32_t stack = 4096) {
    TaskHandle_t h = nullptr;
    auto* heapFn = new std::function<void()>(std::move(fn));
    BaseType_t rc = pdFAIL;
    onLoop([&] { rc = xTaskCreatePinnedToCore(&trampoline, name, stack, heapFn, 1, &h, core); });
    if (rc != pdPASS) delete heapFn;
    CHECK_MSG(rc == pdPASS, "xTaskCreate(" << name << ") failed");
    return h;
  }

  bool logHas(const std::string& needle) {
    std::lock_guard<std::mutex> lk(logMu);
    for (auto& l : logLines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }

  // The task body: runs fn, then deletes itself (fn freed also when the task unwinds).
  static void trampoline(void* p) {
    std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(p));
    (*fn)();
    fn.reset();
    vTaskDelete(nullptr);
  }
};

// Polls cond (bounded); true once it holds.
inline bool eventually(const std::function<bool()>& cond, int ms = 3000) {
  auto end = Clock::now() + milliseconds(ms);
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return cond();
}

inline long msSince(Clock::time_point t0) {
  return long(std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count());
}

}  // namespace frtest
