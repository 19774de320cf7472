// sketch_main.cpp: main() of a user firmware's device process. The firmware is the sketch itself:
// its global objects (constructed before main(), as on the board before setup()), and its setup()
// and loop(), which the twin calls on the device's loop task. Everything else: runner.h.
#include <new>

#include "runner.h"

// Every C++ allocation of the firmware and its libraries is charged to the device (the process's
// one device; before it exists, to nothing): ESP.getFreeHeap(), the heap budget (an allocation over
// it fails: new throws std::bad_alloc, new(nothrow) returns null, as on the board) and the leak
// check see user code, not only the core. C malloc/free are not charged (ASan/LSan still check them);
// over-aligned new is not charged either.
void* operator new(std::size_t n) {
  if (void* p = twin::heapAllocIn(twin::contextDevice(), n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return twin::heapAllocIn(twin::contextDevice(), n ? n : 1); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return twin::heapAllocIn(twin::contextDevice(), n ? n : 1); }
void operator delete(void* p) noexcept { twin::heapFree(p, 0); }
void operator delete[](void* p) noexcept { twin::heapFree(p, 0); }
void operator delete(void* p, std::size_t) noexcept { twin::heapFree(p, 0); }
void operator delete[](void* p, std::size_t) noexcept { twin::heapFree(p, 0); }
void operator delete(void* p, const std::nothrow_t&) noexcept { twin::heapFree(p, 0); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { twin::heapFree(p, 0); }

void setup();
void loop();

namespace {
class SketchFirmware : public twin::Firmware {
 public:
  void setup() override { ::setup(); }
  void loop() override { ::loop(); }
};
}  // namespace

int main(int argc, char** argv) {
  return twin::runner::run(
      argc, argv,
      "<firmware> [--profile esp32|esp32s3|esp32c3] [--port N] [--max-connections N] [--send-window N]\n"
      "       [--recv-window N] [--mss N] [--poll-ms N] [--ack-timeout-ms N] [--heap-bytes N] [--dual-core 0|1]\n"
      "       [--data-dir DIR] [--max-seconds N]",
      [](const std::vector<std::string>& args, twin::FirmwareFactory* factory, std::string* error) {
        if (!args.empty()) {
          *error = "unknown argument " + args[0];
          return false;
        }
        *factory = [] { return std::unique_ptr<twin::Firmware>(new SketchFirmware()); };
        return true;
      },
      /*globalsOutliveDevice=*/true);
}
