// tc_loop.h: run work on a twin device's loop task from a test thread and wait for it.
//
// Lifetime: the wait state is shared with the posted work (shared_ptr) and fn is copied into it,
// so a wait that times out leaves the late-running work nothing of this frame to touch beyond
// what fn itself captured.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "tc_test.h"
#include "twin.h"

namespace tcloop {

// Runs fn on dev's loop task and waits up to ms for it. False, with a failed check, when the
// device is not running or the loop task did not get to it in time.
inline bool runOnLoop(twin::Device& dev, std::function<void()> fn, int ms = 20000) {
  struct Wait {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
  };
  auto w = std::make_shared<Wait>();
  bool posted = dev.postToLoop([fn, w] {
    fn();
    std::lock_guard<std::mutex> lk(w->m);
    w->done = true;
    w->cv.notify_all();
  });
  CHECK_MSG(posted, "the device is not running: nothing posted to its loop task");
  if (!posted) return false;
  std::unique_lock<std::mutex> lk(w->m);
  bool ok = w->cv.wait_for(lk, std::chrono::milliseconds(ms), [&] { return w->done; });
  CHECK_MSG(ok, "loop task did not run the posted work within " << ms << " ms");
  return ok;
}

}  // namespace tcloop
