// HTTPUpdate.h (twin): OTA firmware update (HTTPUpdate) is not simulated; including this header stops the build with the
// reason (the twin fails at compile time for what it cannot run, never with a silent no-op).
#pragma once
#error "twincore: OTA firmware update (HTTPUpdate) is not simulated on the twin (the twin runs host code, there is no firmware image to replace); keep that code out of the twin build with #ifndef TWINCORE_HOST ... #endif"
