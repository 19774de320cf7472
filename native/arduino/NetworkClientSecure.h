// NetworkClientSecure.h (twin): NetworkClientSecure is not simulated; including this header stops the build with the
// reason (the twin fails at compile time for what it cannot run, never with a silent no-op).
#pragma once
#error "twincore: NetworkClientSecure is not simulated on the twin (TLS client connections are not part of the twin); keep that code out of the twin build with #ifndef TWINCORE_HOST ... #endif"
