// Preferences.h (twin): arduino-esp32's Preferences (NVS key/value storage) with the board's rules,
// persisted in the device's flash folder: <Device::dataDir()>/nvs/<partition>.nvs, a text file
// (one line per namespace and per key, tab-separated, names and strings percent-escaped, blobs in
// hex) the harness may read or prepare before the device starts.
//
// NVS rules, as on the board:
//  - Namespace and key names are 1..15 characters; longer (or empty) fails (begin() false, put 0,
//    get the default). At most 254 namespaces.
//  - begin(name, readOnly=true) fails when the namespace does not exist yet (nvs_open NOT_FOUND);
//    begin(name) read-write creates it. begin() on a started object fails; end() closes it.
//  - A read-only object rejects every put, remove and clear (0 / false).
//  - Types are kept: a get of another type (getInt on a key put with putUChar) returns the default.
//    putBool is a u8, putLong/putULong are i32/u32, putFloat/putDouble are 4/8-byte blobs (as the
//    board stores them), putString a string, putBytes a blob. A put replaces a key of another type.
//  - Puts return the bytes stored (1, 2, 4, 8, strlen, len) or 0 on failure; a string is at most
//    3999 characters (4000 bytes with its terminator), putBytes of 0 bytes fails.
//  - getString(key, buf, maxLen) and getStringLength() count the terminator; a buffer too small gives
//    0. getBytes(key, buf, maxLen) copies nothing and returns 0 when the blob is longer than maxLen.
//  - Space: the default 20 KB partition (5 pages of 126 entries of 32 bytes, one page kept free):
//    a namespace and each number take 1 entry, a string 1 + ceil((length + 1) / 32), a blob
//    1 + ceil(length / 32). A put that would use more than 504 entries fails (NOT_ENOUGH_SPACE).
//    freeEntries() is 630 minus the entries used.
//  - Partitions: the default "nvs", or any label of 1..15 of [A-Za-z0-9_-] (taken to exist).
//
// Durability: every put, remove and clear rewrites the partition's file (a new file renamed over the
// old one) before it returns, so a restart (ESP.restart, a new Device on the same dataDir) sees it.
// Threading: several Preferences objects, on any device threads, may use one partition at once:
// one lock per partition and device guards its contents and its file. One Preferences object is
// used by one task at a time (as on the board). Off device threads (no device, no default device)
// begin() fails. Two devices running at once on one dataDir would overwrite each other's file.
// Lifetimes: the object keeps its partition alive; it may outlive the device (it still reads and
// writes the file). The partition's contents are read from the file at the first begin() on a device.
#pragma once
#include <cstddef>
#include <cstdint>
#include <math.h>
#include <memory>
#include <string>

#include "Arduino.h"

typedef enum { PT_I8, PT_U8, PT_I16, PT_U16, PT_I32, PT_U32, PT_I64, PT_U64, PT_STR, PT_BLOB, PT_INVALID } PreferenceType;

namespace twin_nvs {
struct Partition;
}

class Preferences {
 protected:
  uint32_t _handle;
  bool _started;
  bool _readOnly;

 public:
  Preferences();
  ~Preferences();

  bool begin(const char* name, bool readOnly = false, const char* partition_label = nullptr);
  void end();

  bool clear();
  bool remove(const char* key);

  size_t putChar(const char* key, int8_t value);
  size_t putUChar(const char* key, uint8_t value);
  size_t putShort(const char* key, int16_t value);
  size_t putUShort(const char* key, uint16_t value);
  size_t putInt(const char* key, int32_t value);
  size_t putUInt(const char* key, uint32_t value);
  size_t putLong(const char* key, int32_t value);
  size_t putULong(const char* key, uint32_t value);
  size_t putLong64(const char* key, int64_t value);
  size_t putULong64(const char* key, uint64_t value);
  size_t putFloat(const char* key, float_t value);
  size_t putDouble(const char* key, double_t value);
  size_t putBool(const char* key, bool value);
  size_t putString(const char* key, const char* value);
  size_t putString(const char* key, String value);
  size_t putBytes(const char* key, const void* value, size_t len);

  bool isKey(const char* key);
  PreferenceType getType(const char* key);
  int8_t getChar(const char* key, int8_t defaultValue = 0);
  uint8_t getUChar(const char* key, uint8_t defaultValue = 0);
  int16_t getShort(const char* key, int16_t defaultValue = 0);
  uint16_t getUShort(const char* key, uint16_t defaultValue = 0);
  int32_t getInt(const char* key, int32_t defaultValue = 0);
  uint32_t getUInt(const char* key, uint32_t defaultValue = 0);
  int32_t getLong(const char* key, int32_t defaultValue = 0);
  uint32_t getULong(const char* key, uint32_t defaultValue = 0);
  int64_t getLong64(const char* key, int64_t defaultValue = 0);
  uint64_t getULong64(const char* key, uint64_t defaultValue = 0);
  float_t getFloat(const char* key, float_t defaultValue = NAN);
  double_t getDouble(const char* key, double_t defaultValue = NAN);
  bool getBool(const char* key, bool defaultValue = false);
  size_t getString(const char* key, char* value, size_t maxLen);
  String getString(const char* key, String defaultValue = String());
  size_t getStringLength(const char* key);
  size_t getBytesLength(const char* key);
  size_t getBytes(const char* key, void* buf, size_t maxLen);
  size_t freeEntries();

 private:
  std::shared_ptr<twin_nvs::Partition> _part;
  std::string _ns;

  template <class T>
  size_t putNumber(const char* key, T value, PreferenceType type);
  template <class T>
  T getNumber(const char* key, T defaultValue, PreferenceType type);
};
