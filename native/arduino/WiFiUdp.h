// WiFiUdp.h (twin): the board's header name, so sketches that include it compile up to the point of
// use; the class itself is not simulated and names itself in a compile error (WiFi.h).
#pragma once
#include "WiFi.h"
