// tc_port.h of the twincore library (Arduino / PlatformIO): forwards to the core's port seam
// declaration (native/core/tc_port.h), for the seam's own source (native/port/freertos/tc_port.cpp),
// which the library compiles from src/twincore_library.cpp.
#pragma once
#include "../native/core/tc_port.h"
