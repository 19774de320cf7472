// SPIFFS.h (twin): the SPIFFS file system object of arduino-esp32 over a host folder of the
// device: <Device::dataDir()>/spiffs (partition "spiffs"; another label L uses
// <dataDir>/spiffs-L). Mounting, format() and totalBytes() (1 441 792, the default data
// partition) as LittleFS.h says.
// SPIFFS's own rules, as on the board: it has no directories, so names are flat paths of at most
// 31 characters (SPIFFS_OBJ_NAME_LEN 32 with the terminator); a file "/a/b.txt" may be created
// without any mkdir (the twin keeps it in a host subfolder), mkdir() and rmdir() return false, and
// listing a directory lists every file whose path starts with it, at any depth. usedBytes() counts
// 256-byte pages: one index page plus ceil(size / 256) data pages per file.
// Threading and lifetimes: FS.h.
#pragma once
#include "FS.h"

namespace fs {

class SPIFFSFS : public FS {
 public:
  SPIFFSFS();
  ~SPIFFSFS();
  bool begin(bool formatOnFail = false, const char* basePath = "/spiffs", uint8_t maxOpenFiles = 10,
             const char* partitionLabel = nullptr);
  bool format();
  size_t totalBytes();
  size_t usedBytes();
  void end();
};

}  // namespace fs

extern fs::SPIFFSFS SPIFFS;
