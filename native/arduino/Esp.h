// Esp.h (twin): the ESP object (EspClass) of arduino-esp32, answering for the calling thread's
// device (twin::contextDevice(); off any device: a device-less board with the figures below).
//  Heap: the device's heap is what the firmware allocates through the twin (String, the core's
//   buffers, twin::heapAlloc users). getHeapSize() is the profile's heapBytes budget, or
//   327680 (320 KB, an ESP32's internal data RAM) when the profile sets no budget.
//   getFreeHeap() = getHeapSize() - heapUsed; getMinFreeHeap() = getHeapSize() - heapPeak (the
//   lowest free heap seen since the device started); getMaxAllocHeap() = getFreeHeap() (the
//   twin models no fragmentation). Never negative.
//  Chip: from Profile::name: "esp32" -> "ESP32-D0WD-V3" (revision 300, i.e. v3.0 in the IDF's
//   MXX form, 240 MHz), "esp32s3" -> "ESP32-S3" (revision 2, 240 MHz), "esp32c3" -> "ESP32-C3"
//   (revision 4, 160 MHz); another name reads as esp32. getChipCores() is 2 with Profile::dualCore, else 1.
//  getEfuseMac(): a MAC under Espressif's 24:0A:C4 prefix, derived from the device's identity
//   (its dataDir when named, else its host port, else its Device object), so the same device
//   profile gets the same MAC across restarts. Returned as the board does: byte 0 of the MAC in
//   the low byte.
//  Flash: a 4 MB chip at 80 MHz (QIO), the default partition table: a 1.25 MB app slot of which
//   the sketch is said to use 1 MB (getSketchSize 1048576, getFreeSketchSpace 1310720).
//   No PSRAM (the PSRAM figures are 0).
//  restart(): twin::requestRestart(): the embedder rebuilds the device (on the loop task or a
//   firmware task it does not return).
// Threading: any thread. Lifetime: ESP is a process-wide object holding no state.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum {
  FM_QIO = 0x00,
  FM_QOUT = 0x01,
  FM_DIO = 0x02,
  FM_DOUT = 0x03,
  FM_FAST_READ = 0x04,
  FM_SLOW_READ = 0x05,
  FM_UNKNOWN = 0xff
} FlashMode_t;

class EspClass {
 public:
  void restart();

  uint32_t getHeapSize();
  uint32_t getFreeHeap();
  uint32_t getMinFreeHeap();
  uint32_t getMaxAllocHeap();

  uint32_t getPsramSize() { return 0; }
  uint32_t getFreePsram() { return 0; }
  uint32_t getMinFreePsram() { return 0; }
  uint32_t getMaxAllocPsram() { return 0; }

  uint16_t getChipRevision();
  const char* getChipModel();
  uint8_t getChipCores();
  uint32_t getCpuFreqMHz();
  // CPU cycles since the process start at getCpuFreqMHz().
  uint32_t getCycleCount();

  const char* getSdkVersion();
  const char* getCoreVersion();

  uint32_t getFlashChipSize() { return 4u * 1024 * 1024; }
  uint32_t getFlashChipSpeed() { return 80u * 1000 * 1000; }
  FlashMode_t getFlashChipMode() { return FM_QIO; }
  uint32_t getSketchSize() { return 1048576; }
  uint32_t getFreeSketchSpace() { return 1310720; }

  uint64_t getEfuseMac();
};

extern EspClass ESP;
