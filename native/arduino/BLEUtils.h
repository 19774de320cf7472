// BLEUtils.h (twin): BLE (BLEUtils) is not simulated; including this header stops the build with the
// reason (the twin fails at compile time for what it cannot run, never with a silent no-op).
#pragma once
#error "twincore: BLE (BLEUtils) is not simulated on the twin (the twin has no Bluetooth radio); keep that code out of the twin build with #ifndef TWINCORE_HOST ... #endif"
