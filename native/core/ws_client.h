// ws_client.h: the per-client state of the WebSocket core, a plain struct whose size is known
// (behaviour lives in ws_server.cpp, ws_send.cpp, ws_receive.cpp and ws_lifetime.cpp). Byte counts are for a 64-bit host / the ESP32.
//
// Guarded by the owning server's mutex, except where marked "rx": the receive side (parser,
// reassembly buffer) is touched only by the client's onData on async_tcp, one call at a time,
// while a reference is held; and the identity fields, immutable after creation.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ws_buffer.h"
#include "ws_parser.h"

#ifndef WS_MAX_QUEUED_MESSAGES
// Data frames queued per client (a pointer each). Beyond it a message is dropped for that client
// (or the client is closed, setCloseClientOnQueueFull). 16 keeps an idle client within 512 bytes.
#define WS_MAX_QUEUED_MESSAGES 16
#endif

class AsyncClient;

namespace twincore {
class AsyncWebSocket;

namespace ws {

// One control frame (header + up to 125 payload bytes), stored inline.        129 bytes
struct CtrlSlot {
  uint8_t len;         // 1: frame bytes; 0 = empty
  uint8_t off;         // 1: bytes already handed to AsyncClient::add()
  uint8_t bytes[127];  // 127: 2-byte header + payload (server frames are never masked)
};

// The control frames waiting to be written: allocated (twincore::heap) when one is queued and
// freed once none waits (after the flush that wrote them, or when the TCP goes down), so an
// idle client holds none. Server mutex.                                       3*129 = 387 bytes
struct CtrlFrames {
  CtrlSlot pong;   // latest ping's answer (an unsent pong is replaced, RFC 6455 5.5.3)
  CtrlSlot ping;   // ping() / keepalive
  CtrlSlot close;  // our Close frame (with its reason); nothing is sent after it
};

// onMessage()'s reassembly buffer: one allocation, this header then `cap` bytes; allocated at a
// message's first chunk and freed when it ends (rx).                       8 bytes + capacity
struct RxMessage {
  uint32_t len;  // bytes so far
  uint32_t cap;  // bytes allocated after the header
  uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
};

// Sizes below: 64-bit host / 32-bit ESP32. An idle connected client holds this struct (inside
// AsyncWebSocketClient) and nothing else of the core heap: control frames, the reassembly buffer
// and queued messages are allocated only while in use (tested: core_perf_idle_client_heap).
struct ClientState {
  // --- identity: immutable after creation ----------------------------------------- 8+4+4+2
  AsyncWebSocket* server;  // 8/4
  uint32_t id;             // 4
  uint32_t remoteIp;       // 4
  uint16_t remotePort;     // 2
  uint16_t keepAliveSec;   // 2: 0 = off (server mutex)

  // --- lifetime (server mutex) ------------------------------------------------------ 4+5*8
  uint32_t refs;        // 4: list + net + events/operations in progress + user handles
  AsyncClient* ac;      // 8/4: usable for add()/send()/space(); null once the TCP side is claimed
  AsyncClient* tcp;     // 8/4: the object itself, until deleted (graveyard)
  ClientState* prev;    // 8/4: server list (connect order)
  ClientState* next;    // 8/4
  ClientState* graveNext;  // 8/4: graveyard link

  // --- timers (server mutex) ----------------------------------------------------------- 12
  uint32_t lastRxMs;      // 4
  uint32_t pingSentMs;    // 4
  uint32_t closeStartMs;  // 4

  // --- send queues (server mutex) --------------------------------------- 8*N + 12 + 2 + 8
  SharedBuffer* q[WS_MAX_QUEUED_MESSAGES];  // ring of framed messages
  uint32_t qOff;                            // 4: bytes of q[qHead] already added
  uint32_t qBytes;                          // 4: framed bytes in the queue (all of q[])
  uint32_t rxHeld;                          // 4: received bytes not yet acknowledged (ackLater)
  uint8_t qHead;                            // 1
  uint8_t qCount;                           // 1
  uint8_t status;                           // 1: AwsClientStatus
  // status and flags (server mutex) ------------------------------------------------------ 3
  bool inList : 1;                // holds the list ref
  bool inGrave : 1;               // tcp waits in the graveyard (holds the net ref)
  bool tcpClaimed : 1;            // someone took charge of closing / deleting tcp
  bool tcpDown : 1;               // the disconnect callback ran
  bool deleteOnExit : 1;          // network-originated disconnect: delete tcp at its exit
  bool inEvent : 1;               // a user callback of this client is running
  bool connectDelivered : 1;
  bool disconnectPending : 1;     // tcp went down during an event: deliver after it
  bool disconnectDelivered : 1;
  bool closeQueued : 1;           // our Close frame is queued (status DISCONNECTING)
  bool closeSent : 1;             // our Close frame is fully added (or there is none to send)
  bool peerClosed : 1;            // the peer's Close frame arrived
  bool readStopped : 1;           // input is ignored (after an error or the peer's Close)
  bool pingOutstanding : 1;       // keepalive ping sent, no pong/data since
  bool closeOnQueueFull : 1;
  bool rxActive : 1;              // an onData dispatch is in our code (set before the gate)
  bool fragOpen : 1;              // sendFragment(): a fragmented message is open (frames queued)
  CtrlFrames* ctrl;               // 8/4: control frames waiting, or null (see CtrlFrames)

  // --- receive side (rx: async_tcp onData only) -------------------------------- 224+8+3
  FrameParser parser;   // the codec's incremental frame parser (no heap)
  RxMessage* msg;       // 8/4: reassembly buffer (twincore::heap), allocated lazily
  bool msgText;         // 1
  bool msgSkip;         // 1: allocation failed for this message
  bool discarding;      // 1: refused with 1009: data frames are skipped until the peer's Close

  explicit ClientState(const ParserLimits& limits) : parser(limits) {}
};

}  // namespace ws
}  // namespace twincore
