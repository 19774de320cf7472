// LittleFS.h (twin): the LittleFS file system object of arduino-esp32 over a host folder of the
// device: <Device::dataDir()>/littlefs (the default partition "spiffs"; another partition label L
// uses <dataDir>/littlefs-L, labels being 1..16 of [A-Za-z0-9_-]).
//
// The flash it stands for is the default partition table's data partition (0x160000 bytes =
// 1 441 792, what totalBytes() reports). usedBytes() counts 4096-byte blocks as LittleFS does,
// simplified: 2 blocks for the root, 2 per directory, ceil(size / 4096) per file; writes beyond
// totalBytes() fail as on a full flash (FS.h).
// Mounting as on the board: begin() fails on an unformatted partition, i.e. while the folder does
// not exist ("mount failed"), unless formatOnFail is true (then the folder is made, empty). A
// folder the harness filled before begin() is the uploaded file system image. format() empties
// it (mounted or not). begin() when mounted returns true. basePath is kept for mountpoint(); the
// twin has no POSIX (fopen) view of it.
// Threading and lifetimes: FS.h.
#pragma once
#include "FS.h"

namespace fs {

class LittleFSFS : public FS {
 public:
  LittleFSFS();
  ~LittleFSFS();
  bool begin(bool formatOnFail = false, const char* basePath = "/littlefs", uint8_t maxOpenFiles = 10,
             const char* partitionLabel = "spiffs");
  bool format();
  size_t totalBytes();
  size_t usedBytes();
  void end();
};

}  // namespace fs

extern fs::LittleFSFS LittleFS;
