// AsyncTCPVersion.h (twin): the AsyncTCP release whose declarations AsyncTCP.h matches (ESP32Async
// AsyncTCP 3.5.0), for firmware that compares versions (ASYNCTCP_VERSION_NUM >=
// ASYNCTCP_VERSION_VAL(3, 0, 0)). Macros only: no threading rules, no objects.
#pragma once

#define ASYNCTCP_VERSION_MAJOR 3
#define ASYNCTCP_VERSION_MINOR 5
#define ASYNCTCP_VERSION_PATCH 0
#define ASYNCTCP_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define ASYNCTCP_VERSION_NUM \
  ASYNCTCP_VERSION_VAL(ASYNCTCP_VERSION_MAJOR, ASYNCTCP_VERSION_MINOR, ASYNCTCP_VERSION_PATCH)
#define ASYNCTCP_VERSION "3.5.0"
