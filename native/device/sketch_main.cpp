// sketch_main.cpp: main() of a user firmware's device process. The firmware is the sketch itself:
// its global objects (constructed before main(), as on the board before setup()), and its setup()
// and loop(), which the twin calls on the device's loop task. Everything else: runner.h.
#include "runner.h"

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
