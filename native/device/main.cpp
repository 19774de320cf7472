// twincore-device: the device process (runner.h) running one of the built-in firmwares
// (firmware/host/registry.cpp): --firmware NAME [--config key=value]...
#include <cstring>

#include "registry.h"
#include "runner.h"

int main(int argc, char** argv) {
  return twin::runner::run(
      argc, argv,
      "twincore-device --firmware NAME [--config key=value]... [--profile esp32|esp32s3|esp32c3]\n"
      "       [--port N] [--max-connections N] [--send-window N] [--recv-window N] [--mss N] [--poll-ms N]\n"
      "       [--ack-timeout-ms N] [--heap-bytes N] [--dual-core 0|1] [--single-core] [--data-dir DIR]\n"
      "       [--max-seconds N]",
      [](const std::vector<std::string>& args, twin::FirmwareFactory* factory, std::string* error) {
        std::string firmware;
        FirmwareConfig config;
        for (size_t i = 0; i < args.size(); ++i) {
          if (args[i] == "--firmware" && i + 1 < args.size()) {
            firmware = args[++i];
          } else if (args[i] == "--config" && i + 1 < args.size()) {
            const std::string& v = args[++i];
            size_t eq = v.find('=');
            if (eq == std::string::npos) {
              *error = "--config needs key=value";
              return false;
            }
            config[v.substr(0, eq)] = v.substr(eq + 1);
          } else {
            *error = "unknown argument " + args[i];
            return false;
          }
        }
        if (firmware.empty()) {
          *error = "--firmware is required";
          return false;
        }
        return firmwareFactory(firmware, config, factory, error);
      });
}
