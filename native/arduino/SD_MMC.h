// SD_MMC.h (twin): the SD card (SD_MMC) is not simulated; including this header stops the build with the
// reason (the twin fails at compile time for what it cannot run, never with a silent no-op).
#pragma once
#error "twincore: the SD card (SD_MMC) is not simulated on the twin (the twin has no SD card; its flash is LittleFS/SPIFFS); keep that code out of the twin build with #ifndef TWINCORE_HOST ... #endif"
