// esp_now.h (twin): ESP-NOW is not simulated; including this header stops the build with the
// reason (the twin fails at compile time for what it cannot run, never with a silent no-op).
#pragma once
#error "twincore: ESP-NOW is not simulated on the twin (the twin has no WiFi radio, only TCP over the host's loopback); keep that code out of the twin build with #ifndef TWINCORE_HOST ... #endif"
