// FS.h (twin): arduino-esp32's file system wrapper (namespace fs: FS, File, SeekMode) over a host
// folder per device and per file system (LittleFS.h, SPIFFS.h say which folder and how big).
//
// Rules, as on the board (VFS over LittleFS/SPIFFS):
//  - Nothing works before the file system's begin(): open() returns a false File and logs
//    "File system is not mounted"; exists() is false.
//  - Paths are absolute on the file system ("/www/index.html"); a path not starting with '/' is
//    refused. Confinement: a ".." component is refused (not followed), a symlink anywhere on the
//    path is refused (flash has none; one placed in the host folder never leads out), with an error
//    line each time; "//" and "." components collapse.
//  - open(path, mode, create): modes "r", "w", "a", "r+", "w+", "a+" (FILE_READ, FILE_WRITE,
//    FILE_APPEND). "r"/"r+" on a missing file fail ("does not exist"); "w"/"a" need the folder to
//    exist unless create is true (then missing folders are made). Opening a directory with "r"
//    gives a directory File (isDirectory(), openNextFile(), rewindDirectory()); a directory
//    cannot be opened for writing. At most maxOpenFiles (begin()) files are open at once.
//  - Writes go straight to the host file (no buffering: flush() has nothing to do). A write that
//    would need more flash than totalBytes() - usedBytes() writes what fits and returns that
//    count (0 when full), with a "no space left" line, as a full flash does.
//  - A File is a shared handle: copies refer to the same open file, close() closes it for all; the
//    last copy closes it. After the file system's end() or format(), the Files opened before are
//    dead (false, reads and writes 0).
//  - seek() beyond 2^31-1 fails (LittleFS's limit); seeking past the end is allowed and reads 0.
//  - name() is the last path component, path() the whole path ("/" for the root).
//  - getLastWrite() is the host file's modification time (LittleFS keeps mtime in arduino-esp32).
//
// Threading: FS calls may come from any device thread; a File is used by one task at a time (as on
// the board). Each volume has one lock for its accounting (used bytes, open files), held only for
// short sections. Off device threads (no device, no default device) the file systems are never
// mounted: every call fails as before begin().
// Lifetimes: a File owns its host descriptor and keeps its volume's accounting alive; it may
// outlive the device (it is then dead). The FS objects (LittleFS, SPIFFS) are process-wide and hold
// no per-device state themselves; each device's mount is made by begin() and dropped by end() or
// Device::stop().
#pragma once
#include <ctime>
#include <memory>

#include "Arduino.h"

namespace fs {

#define FILE_READ "r"
#define FILE_WRITE "w"
#define FILE_APPEND "a"

class File;

class FileImpl;
typedef std::shared_ptr<FileImpl> FileImplPtr;
class FSImpl;
typedef std::shared_ptr<FSImpl> FSImplPtr;

enum SeekMode { SeekSet = 0, SeekCur = 1, SeekEnd = 2 };

class File : public Stream {
 public:
  File(FileImplPtr p = FileImplPtr()) : _p(p) { _timeout = 0; }

  using Print::write;
  size_t write(uint8_t) override;
  size_t write(const uint8_t* buf, size_t size) override;
  int available() override;
  int read() override;
  int peek() override;
  void flush() override;
  size_t read(uint8_t* buf, size_t size);
  size_t readBytes(char* buffer, size_t length) override { return read(reinterpret_cast<uint8_t*>(buffer), length); }

  bool seek(uint32_t pos, SeekMode mode);
  bool seek(uint32_t pos) { return seek(pos, SeekSet); }
  size_t position() const;
  size_t size() const;
  bool setBufferSize(size_t) { return bool(*this); }
  void close();
  operator bool() const;
  time_t getLastWrite();
  const char* path() const;
  const char* name() const;

  boolean isDirectory(void);
  bool seekDir(long position);
  File openNextFile(const char* mode = FILE_READ);
  String getNextFileName(void);
  String getNextFileName(bool* isDir);
  void rewindDirectory(void);

 protected:
  FileImplPtr _p;
};

class FS {
 public:
  FS(FSImplPtr impl) : _impl(impl) {}

  File open(const char* path, const char* mode = FILE_READ, const bool create = false);
  File open(const String& path, const char* mode = FILE_READ, const bool create = false) {
    return open(path.c_str(), mode, create);
  }

  bool exists(const char* path);
  bool exists(const String& path) { return exists(path.c_str()); }

  bool isDirectory(const char* path);
  bool isDirectory(const String& path) { return isDirectory(path.c_str()); }

  bool remove(const char* path);
  bool remove(const String& path) { return remove(path.c_str()); }

  bool rename(const char* pathFrom, const char* pathTo);
  bool rename(const String& pathFrom, const String& pathTo) { return rename(pathFrom.c_str(), pathTo.c_str()); }

  bool mkdir(const char* path);
  bool mkdir(const String& path) { return mkdir(path.c_str()); }

  bool rmdir(const char* path);
  bool rmdir(const String& path) { return rmdir(path.c_str()); }

  const char* mountpoint();

 protected:
  FSImplPtr _impl;
};

}  // namespace fs

#ifndef FS_NO_GLOBALS
using fs::File;
using fs::FS;
using fs::SeekCur;
using fs::SeekEnd;
using fs::SeekMode;
using fs::SeekSet;
#endif
