// esp_camera.h (twin): the camera driver (esp_camera) is not simulated; including this header stops the build with the
// reason (the twin fails at compile time for what it cannot run, never with a silent no-op).
#pragma once
#error "twincore: the camera driver (esp_camera) is not simulated on the twin (the twin has no camera); keep that code out of the twin build with #ifndef TWINCORE_HOST ... #endif"
