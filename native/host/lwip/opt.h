// lwip/opt.h (twin): the lwIP build options that code compiled against AsyncTCP tests, with the
// values of ESP-IDF's default lwIP configuration (dual stack: IPv4 and IPv6). Only options that
// shape declarations are here; the twin runs no lwIP (AsyncTCP.h explains what stands in for it).
// Macros only: no threading rules, no objects.
#pragma once

#ifndef LWIP_IPV4
#define LWIP_IPV4 1
#endif
#ifndef LWIP_IPV6
#define LWIP_IPV6 1
#endif
#ifndef LWIP_IPV6_SCOPES
#define LWIP_IPV6_SCOPES 1
#endif
#ifndef LWIP_HAVE_LOOPIF
#define LWIP_HAVE_LOOPIF 1
#endif
