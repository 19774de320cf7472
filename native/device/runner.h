// runner.h: the device process. One simulated board per process, running one firmware, the way a
// board runs one image: the built-in firmwares (twincore-device) and every user firmware build
// (the sketch's own setup()/loop(), linked with sketch_main.cpp) share this one runner.
//
// Command line (every front end passes the same flags; ranges from twin::limits):
//   --profile esp32|esp32s3|esp32c3   the named board; the knobs below override it
//   --max-connections N --send-window N --recv-window N --mss N --poll-ms N --ack-timeout-ms N
//   --heap-bytes N --dual-core 0|1 (--single-core = --dual-core 0) --port N (host port of the
//   firmware's first listening port) --data-dir DIR (the board's flash; default a temporary folder
//   removed at exit, kept across ESP.restart()) --max-seconds N (a safety net: the device stops by
//   itself; the exit line then says "maxSeconds")
//   --link loopback|good-wifi|weak-wifi  a named link; then --link-kbps N --link-rtt-ms N
//   --link-jitter-ms N --link-seed N override its knobs (twin::Profile: the link model)
//   --sched-jitter-seed N   scheduling jitter with this seed (0: off)
// plus the firmware's own flags (built-in: --firmware NAME --config key=value).
//
// Protocol (stdout, one line each; everything else the process writes goes to stderr):
//   TWINCORE_DEVICE_READY {"ports":[...],"pid":N,"boot":N,"profile":"esp32",
//                          "link":{"kbps":N,"rttMs":N,"jitterMs":N,"seed":N},"schedJitterSeed":N}
//                                               setup() returned
//   LOG <line>                                  a device log line (Serial, the twin, the firmware)
//   TWINCORE_REPLY {"id":N,...}                 the answer to a control command
//   TWINCORE_DEVICE_RESTART {"reason":"ESP.restart"}  the firmware restarts: the process re-executes
//                                               itself on the same ports and data folder (a new READY)
//   TWINCORE_DEVICE_EXIT {"reason":...,"counters":{...}}  after the device stopped
// Control channel (stdin, one command a line, answered by one TWINCORE_REPLY with the same id):
//   <id> counters | <id> fault failAccepts|failAllocs|failListen N | <id> stop
//   <id> fault stallAsyncTcp|stallLoop MS  that task's next turn blocks MS (1..60000) ms
//   <id> wifi drop|restore|status       the WiFi fault (twin_wifi.h)
//   <id> pin N | pin N 0|1 | pin N analog V   read a GPIO, or drive an input (twin_pins.h)
//   (plus whatever registerControl() added). End of stdin stops the device: the harness
//   that started it is gone.
// Exit codes: 0 clean; 2 usage; 3 the device left sockets, AsyncClients or threads behind; 4 start
// failed. A sanitizer report exits with the sanitizer's own code (set by the harness).
//
// Threads: main() owns the Device and waits for SIGTERM/SIGINT, the control thread's stop or a
// restart request; every signal is blocked in every thread (the device threads inherit the mask).
// The control thread only reads stdin and answers; it never touches the Device after main() has
// begun to stop it (stopping flag under outMu). Writes to stdout happen under outMu.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "twin.h"

namespace twin {
namespace runner {

// Firmware-specific arguments left over after the runner took its own, and where to put the factory.
// Returns false with a message for a usage error.
using FirmwareSetup = std::function<bool(const std::vector<std::string>& args, FirmwareFactory* factory,
                                         std::string* error)>;

// A control command the firmware side adds: gets the device and the words after the command name,
// returns the JSON fields of the reply (without braces), or sets error.
using ControlHandler =
    std::function<bool(Device& d, const std::vector<std::string>& words, std::string* fields, std::string* error)>;
void registerControl(const std::string& name, ControlHandler h);

// globalsOutliveDevice: the firmware is a sketch whose global objects are never destroyed (as on a
// board): AsyncClients they still hold at stop are theirs, so only the twin's own leftovers
// (sockets, threads) make exit code 3. Built-in firmwares are destroyed by stop(): any AsyncClient
// left alive then is a leak and counts too.
int run(int argc, char** argv, const char* usageLine, const FirmwareSetup& setup, bool globalsOutliveDevice = false);

}  // namespace runner
}  // namespace twin
