// The WiFi object on started devices: the station and the soft-AP, the events in the board's order
// on the arduino_events task, the harness's drop/restore (twin_wifi.h), state kept per device.
#include <pthread.h>

#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <memory>

#include "Arduino.h"
#include "AsyncTCP.h"
#include "WiFi.h"
#include "tc_peer.h"
#include "tc_test.h"
#include "tc_world.h"
#include "twin_wifi.h"

using tcworld::eventually;
using tcworld::Rig;

namespace {

// What the callbacks saw. Function-pointer callbacks (the board's WiFiEventCb) reach it through a
// global, as a sketch's would.
struct Seen {
  std::mutex mu;  // guards every field
  std::vector<int> events;
  std::vector<std::string> threads;
  std::vector<int> reasons;  // STA_DISCONNECTED reasons, in order
  uint32_t gotIp = 0;
  std::string ssid;
  std::vector<int> statusAtCallback;

  void clear() {
    std::lock_guard<std::mutex> lk(mu);
    events.clear();
    threads.clear();
    reasons.clear();
    statusAtCallback.clear();
    gotIp = 0;
    ssid.clear();
  }
  std::vector<int> list() {
    std::lock_guard<std::mutex> lk(mu);
    return events;
  }
  size_t count(int ev) {
    std::lock_guard<std::mutex> lk(mu);
    size_t n = 0;
    for (int e : events) n += e == ev;
    return n;
  }
};
Seen gSeen;

std::string threadName() {
  char b[32] = {0};
  pthread_getname_np(pthread_self(), b, sizeof b);
  return b;
}

void recordEvent(WiFiEvent_t ev) {
  std::string name = threadName();
  std::lock_guard<std::mutex> lk(gSeen.mu);
  gSeen.events.push_back(int(ev));
  gSeen.threads.push_back(name);
}

void recordInfo(WiFiEvent_t ev, WiFiEventInfo_t info) {
  wl_status_t st = WiFi.status();  // the callback runs on a device thread: WiFi works there
  std::lock_guard<std::mutex> lk(gSeen.mu);
  gSeen.statusAtCallback.push_back(int(st));
  if (ev == ARDUINO_EVENT_WIFI_STA_GOT_IP) gSeen.gotIp = info.got_ip.ip_info.ip.addr;
  if (ev == ARDUINO_EVENT_WIFI_STA_CONNECTED)
    gSeen.ssid.assign(reinterpret_cast<const char*>(info.wifi_sta_connected.ssid), info.wifi_sta_connected.ssid_len);
  if (ev == ARDUINO_EVENT_WIFI_STA_DISCONNECTED) gSeen.reasons.push_back(info.wifi_sta_disconnected.reason);
}

bool waitCount(int ev, size_t n, int ms = 3000) {
  return eventually([&] { return gSeen.count(ev) >= n; }, ms);
}

std::string show(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += std::to_string(x) + " ";
  return s;
}

}  // namespace

TEST(arduino_world_wifi_station_joins_at_once_and_reports) {
  Rig rig;
  REQUIRE(rig.started);
  wl_status_t before = WL_NO_SHIELD, ret = WL_NO_SHIELD;
  uint8_t waited = 0;
  std::string ip, gw, mask, dns, ssid, bssid, mac, mac2, host;
  int8_t rssi = 0;
  int32_t ch = -1;
  bool connected = false;
  uint8_t macBytes[6] = {0};
  rig.onLoop([&] {
    before = WiFi.status();
    ret = WiFi.begin("lab-net", "password1");
    waited = WiFi.waitForConnectResult(1000);
    connected = WiFi.isConnected();
    ip = WiFi.localIP().toString().c_str();
    gw = WiFi.gatewayIP().toString().c_str();
    mask = WiFi.subnetMask().toString().c_str();
    dns = WiFi.dnsIP().toString().c_str();
    ssid = WiFi.SSID().c_str();
    bssid = WiFi.BSSIDstr().c_str();
    rssi = WiFi.RSSI();
    ch = WiFi.channel();
    mac = WiFi.macAddress().c_str();
    WiFi.macAddress(macBytes);
    host = WiFi.getHostname();
  });
  CHECK_EQ(before, WL_STOPPED);
  CHECK_EQ(ret, WL_CONNECTED);
  CHECK_EQ(waited, WL_CONNECTED);
  CHECK(connected);
  CHECK_EQ(ip, std::string("127.0.0.1"));
  CHECK_EQ(gw, std::string("127.0.0.1"));
  CHECK_EQ(mask, std::string("255.0.0.0"));
  CHECK_EQ(dns, std::string("127.0.0.1"));
  CHECK_EQ(ssid, std::string("lab-net"));
  CHECK_EQ(bssid.size(), 17u);
  CHECK_EQ(rssi, -45);
  CHECK_EQ(ch, 1);
  CHECK_EQ(mac.substr(0, 9), std::string("24:0A:C4:"));
  CHECK_EQ(macBytes[0], 0x24);
  char hexTail[8];
  std::snprintf(hexTail, sizeof hexTail, "%02X%02X%02X", macBytes[3], macBytes[4], macBytes[5]);
  CHECK_EQ(host, std::string("esp32-") + hexTail);
  CHECK(rig.log->has("WiFi: station joined 'lab-net'"));

  // The same device asked again gives the same MAC (stable per device).
  rig.onLoop([&] { mac2 = WiFi.macAddress().c_str(); });
  CHECK_EQ(mac2, mac);

  // Off device threads (no default device) the radio is absent, and nothing crashes.
  CHECK_EQ(WiFi.status(), WL_NO_SHIELD);
  CHECK_EQ(WiFi.begin("x", "password1"), WL_NO_SHIELD);
  CHECK_EQ(WiFi.onEvent(recordEvent), 0u);
  CHECK_EQ(uint32_t(WiFi.localIP()), 0u);
}

TEST(arduino_world_wifi_events_in_board_order_on_event_task) {
  gSeen.clear();
  Rig rig;
  REQUIRE(rig.started);
  wifi_event_id_t idAll = 0, idInfo = 0, idGot = 0;
  std::string loopName;
  rig.onLoop([&] {
    loopName = threadName();
    idAll = WiFi.onEvent(recordEvent);
    idInfo = WiFi.onEvent(recordInfo);  // (event, info) form, every event
    idGot = WiFi.onEvent([](WiFiEvent_t, WiFiEventInfo_t) { recordEvent(ARDUINO_EVENT_MAX); },
                         ARDUINO_EVENT_WIFI_STA_GOT_IP);  // one event only
    WiFi.begin("events-net", "password1");
  });
  CHECK(idAll > 0 && idInfo > idAll && idGot > idInfo);
  REQUIRE(waitCount(ARDUINO_EVENT_WIFI_STA_GOT_IP, 1));
  REQUIRE(waitCount(ARDUINO_EVENT_MAX, 1));
  std::vector<int> want = {ARDUINO_EVENT_WIFI_READY, ARDUINO_EVENT_WIFI_STA_START, ARDUINO_EVENT_WIFI_STA_CONNECTED,
                           ARDUINO_EVENT_WIFI_STA_GOT_IP, ARDUINO_EVENT_MAX};
  CHECK_MSG(gSeen.list() == want, show(gSeen.list()));
  {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    for (auto& t : gSeen.threads) CHECK_EQ(t, std::string("arduino_events"));
    CHECK(loopName != "arduino_events");
    CHECK_EQ(gSeen.gotIp, uint32_t(IPAddress(127, 0, 0, 1)));
    CHECK_EQ(gSeen.ssid, std::string("events-net"));
  }
  CHECK_EQ(ARDUINO_EVENT_WIFI_STA_GOT_IP, 115);  // the board's numbers
  CHECK_EQ(SYSTEM_EVENT_STA_DISCONNECTED, 113);

  // Removing by id and by function: the removed callbacks hear nothing more.
  gSeen.clear();
  rig.onLoop([&] {
    WiFi.removeEvent(idGot);
    WiFi.removeEvent(recordEvent);
    WiFi.disconnect();
  });
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    return gSeen.statusAtCallback.size() >= 2;
  }, 3000));
  {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    CHECK(gSeen.events.empty());
    REQUIRE(gSeen.reasons.size() == 1);
    CHECK_EQ(gSeen.reasons[0], WIFI_REASON_ASSOC_LEAVE);
  }
  wl_status_t st = WL_NO_SHIELD;
  std::string ip;
  rig.onLoop([&] {
    st = WiFi.status();
    ip = WiFi.localIP().toString().c_str();
  });
  CHECK_EQ(st, WL_DISCONNECTED);
  CHECK_EQ(ip, std::string("0.0.0.0"));
}

TEST(arduino_world_wifi_checks_and_soft_ap) {
  gSeen.clear();
  Rig rig;
  REQUIRE(rig.started);
  wl_status_t noSsid = WL_CONNECTED, longSsid = WL_CONNECTED, shortPass = WL_CONNECTED;
  bool apBadChannel = true, apShortPass = true, ap = false, cfg = false;
  std::string apIp, apIp2, apSsid, staMac, apMac;
  wifi_mode_t m1 = WIFI_MODE_MAX, m2 = WIFI_MODE_MAX;
  wl_status_t off = WL_CONNECTED;
  uint8_t stations = 9;
  rig.onLoop([&] {
    WiFi.onEvent(recordEvent);
    noSsid = WiFi.begin(static_cast<const char*>(nullptr));
    longSsid = WiFi.begin("0123456789012345678901234567890123", "password1");
    shortPass = WiFi.begin("net", "short");
    apBadChannel = WiFi.softAP("twin-ap", "password1", 14);
    apShortPass = WiFi.softAP("twin-ap", "1234");
    ap = WiFi.softAP("twin-ap", "password1");
    apIp = WiFi.softAPIP().toString().c_str();
    apSsid = WiFi.softAPSSID().c_str();
    m1 = WiFi.getMode();
    stations = WiFi.softAPgetStationNum();
    cfg = WiFi.softAPConfig(IPAddress(10, 0, 0, 1), IPAddress(10, 0, 0, 1), IPAddress(255, 255, 255, 0));
    apIp2 = WiFi.softAPIP().toString().c_str();
    staMac = WiFi.macAddress().c_str();
    apMac = WiFi.softAPmacAddress().c_str();
    WiFi.begin("net", "password1");
    m2 = WiFi.getMode();
    WiFi.mode(WIFI_OFF);
    off = WiFi.status();
  });
  CHECK_EQ(noSsid, WL_CONNECT_FAILED);
  CHECK_EQ(longSsid, WL_CONNECT_FAILED);
  CHECK_EQ(shortPass, WL_CONNECT_FAILED);
  CHECK(rig.log->has("SSID too long or missing!"));
  CHECK(rig.log->has("passphrase too short!"));
  CHECK(!apBadChannel);
  CHECK(!apShortPass);
  CHECK(ap);
  CHECK_EQ(apIp, std::string("192.168.4.1"));
  CHECK_EQ(apSsid, std::string("twin-ap"));
  CHECK_EQ(m1, WIFI_AP);
  CHECK_EQ(stations, 0);
  CHECK(cfg);
  CHECK_EQ(apIp2, std::string("10.0.0.1"));
  CHECK_EQ(m2, WIFI_AP_STA);
  CHECK_EQ(off, WL_STOPPED);
  // The soft-AP's MAC is the station's plus one.
  CHECK_EQ(staMac.substr(0, 15), apMac.substr(0, 15));
  CHECK_EQ((std::stoi(staMac.substr(15), nullptr, 16) + 1) & 0xff, std::stoi(apMac.substr(15), nullptr, 16));
  REQUIRE(waitCount(ARDUINO_EVENT_WIFI_OFF, 1));
  std::vector<int> want = {ARDUINO_EVENT_WIFI_READY,          ARDUINO_EVENT_WIFI_AP_START,
                           ARDUINO_EVENT_WIFI_STA_START,      ARDUINO_EVENT_WIFI_STA_CONNECTED,
                           ARDUINO_EVENT_WIFI_STA_GOT_IP,     ARDUINO_EVENT_WIFI_STA_DISCONNECTED,
                           ARDUINO_EVENT_WIFI_STA_LOST_IP,    ARDUINO_EVENT_WIFI_STA_STOP,
                           ARDUINO_EVENT_WIFI_AP_STOP,        ARDUINO_EVENT_WIFI_OFF};
  CHECK_MSG(gSeen.list() == want, show(gSeen.list()));
}

TEST(arduino_world_wifi_static_config_is_reported_back) {
  Rig rig;
  REQUIRE(rig.started);
  std::string ip, gw, mask, dns, ip2, gw2, dns2, bcast;
  uint8_t cidr = 0;
  rig.onLoop([&] {
    WiFi.config(IPAddress(192, 168, 1, 50), IPAddress(192, 168, 1, 1), IPAddress(255, 255, 255, 0),
                IPAddress(8, 8, 8, 8));
    WiFi.begin("net", "password1");
    ip = WiFi.localIP().toString().c_str();
    gw = WiFi.gatewayIP().toString().c_str();
    mask = WiFi.subnetMask().toString().c_str();
    dns = WiFi.dnsIP().toString().c_str();
    bcast = WiFi.broadcastIP().toString().c_str();
    cidr = WiFi.subnetCIDR();
    // Arduino's order: ip, dns, gateway, subnet.
    WiFi.config(IPAddress(10, 1, 2, 3), IPAddress(1, 1, 1, 1), IPAddress(10, 1, 2, 254), IPAddress(255, 255, 0, 0));
    ip2 = WiFi.localIP().toString().c_str();
    gw2 = WiFi.gatewayIP().toString().c_str();
    dns2 = WiFi.dnsIP().toString().c_str();
  });
  CHECK_EQ(ip, std::string("192.168.1.50"));
  CHECK_EQ(gw, std::string("192.168.1.1"));
  CHECK_EQ(mask, std::string("255.255.255.0"));
  CHECK_EQ(dns, std::string("8.8.8.8"));
  CHECK_EQ(bcast, std::string("192.168.1.255"));
  CHECK_EQ(cidr, 24);
  CHECK_EQ(ip2, std::string("10.1.2.3"));
  CHECK_EQ(gw2, std::string("10.1.2.254"));
  CHECK_EQ(dns2, std::string("1.1.1.1"));
}

TEST(arduino_world_wifi_scan_sees_the_fixed_air) {
  Rig rig;
  REQUIRE(rig.started);
  int16_t n = -9, async = -9, done = -9, dropped = -9, deleted = 0;
  std::vector<std::string> names;
  wifi_auth_mode_t guestAuth = WIFI_AUTH_MAX;
  rig.onLoop([&] {
    WiFi.begin("home", "password1");
    n = WiFi.scanNetworks();
    for (int i = 0; i < n; ++i) names.push_back(WiFi.SSID(uint8_t(i)).c_str());
    if (n == 3) guestAuth = WiFi.encryptionType(2);
    async = WiFi.scanNetworks(true);
    done = WiFi.scanComplete();
    WiFi.scanDelete();
    deleted = WiFi.scanComplete();
  });
  CHECK_EQ(n, 3);
  REQUIRE(names.size() == 3);
  CHECK_EQ(names[0], std::string("home"));
  CHECK_EQ(names[1], std::string("twincore-lab"));
  CHECK_EQ(names[2], std::string("twincore-guest"));
  CHECK_EQ(guestAuth, WIFI_AUTH_OPEN);
  CHECK_EQ(async, WIFI_SCAN_RUNNING);
  CHECK_EQ(done, 3);
  CHECK_EQ(deleted, WIFI_SCAN_FAILED);
  twin::wifi::drop(rig.dev());
  rig.onLoop([&] { dropped = WiFi.scanNetworks(); });
  CHECK_EQ(dropped, 0);
  twin::wifi::restore(rig.dev());
}

TEST(arduino_world_wifi_drop_and_restore) {
  gSeen.clear();
  Rig rig;
  REQUIRE(rig.started);
  rig.onLoop([&] {
    WiFi.onEvent(recordEvent);
    WiFi.onEvent(recordInfo);
    WiFi.begin("lab", "password1");
  });
  REQUIRE(waitCount(ARDUINO_EVENT_WIFI_STA_GOT_IP, 1));
  gSeen.clear();
  twin::wifi::drop(rig.dev());
  CHECK(twin::wifi::dropped(rig.dev()));
  wl_status_t st = WL_NO_SHIELD;
  rig.onLoop([&] { st = WiFi.status(); });
  CHECK_EQ(st, WL_CONNECTION_LOST);
  // Auto-reconnect retries every second and fails while the AP is gone.
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    return gSeen.reasons.size() >= 2;
  }, 4000));
  rig.onLoop([&] { st = WiFi.status(); });
  CHECK_EQ(st, WL_NO_SSID_AVAIL);
  {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    REQUIRE(gSeen.events.size() >= 3);
    CHECK_EQ(gSeen.events[0], ARDUINO_EVENT_WIFI_STA_DISCONNECTED);
    CHECK_EQ(gSeen.events[1], ARDUINO_EVENT_WIFI_STA_LOST_IP);
    CHECK_EQ(gSeen.reasons[0], WIFI_REASON_BEACON_TIMEOUT);
    CHECK_EQ(gSeen.reasons[1], WIFI_REASON_NO_AP_FOUND);
  }
  CHECK(rig.log->has("the harness dropped the network"));
  gSeen.clear();
  twin::wifi::restore(rig.dev());
  CHECK(!twin::wifi::dropped(rig.dev()));
  REQUIRE(waitCount(ARDUINO_EVENT_WIFI_STA_GOT_IP, 1));
  rig.onLoop([&] { st = WiFi.status(); });
  CHECK_EQ(st, WL_CONNECTED);
  {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    REQUIRE(gSeen.events.size() >= 2);
    CHECK_EQ(gSeen.events[0], ARDUINO_EVENT_WIFI_STA_CONNECTED);
    CHECK_EQ(gSeen.events[1], ARDUINO_EVENT_WIFI_STA_GOT_IP);
  }

  // Without auto-reconnect: one loss, no retries, and restore() waits for the sketch.
  gSeen.clear();
  rig.onLoop([&] { WiFi.setAutoReconnect(false); });
  twin::wifi::drop(rig.dev());
  twin::wifi::drop(rig.dev());  // idempotent
  REQUIRE(waitCount(ARDUINO_EVENT_WIFI_STA_LOST_IP, 1));
  delay(1300);
  CHECK_EQ(gSeen.count(ARDUINO_EVENT_WIFI_STA_DISCONNECTED), 1u);
  twin::wifi::restore(rig.dev());
  delay(100);
  rig.onLoop([&] { st = WiFi.status(); });
  CHECK_EQ(st, WL_CONNECTION_LOST);
  CHECK_EQ(gSeen.count(ARDUINO_EVENT_WIFI_STA_CONNECTED), 0u);
  bool rc = false;
  rig.onLoop([&] {
    rc = WiFi.reconnect();
    st = WiFi.status();
  });
  CHECK(rc);
  CHECK_EQ(st, WL_CONNECTED);
  CHECK(waitCount(ARDUINO_EVENT_WIFI_STA_GOT_IP, 1));

  // begin() while dropped: the join fails after a second with NO_AP_FOUND.
  gSeen.clear();
  twin::wifi::drop(rig.dev());
  REQUIRE(waitCount(ARDUINO_EVENT_WIFI_STA_LOST_IP, 1));
  gSeen.clear();
  wl_status_t ret = WL_NO_SHIELD;
  rig.onLoop([&] { ret = WiFi.begin("lab", "password1"); });
  CHECK_EQ(ret, WL_DISCONNECTED);
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    return gSeen.reasons.size() >= 1;
  }, 3000));
  {
    std::lock_guard<std::mutex> lk(gSeen.mu);
    CHECK_EQ(gSeen.reasons[0], WIFI_REASON_NO_AP_FOUND);
  }
  rig.onLoop([&] { st = WiFi.status(); });
  CHECK_EQ(st, WL_NO_SSID_AVAIL);
  twin::wifi::restore(rig.dev());
}

TEST(arduino_world_wifi_state_is_per_device) {
  gSeen.clear();
  Rig a, b;
  REQUIRE(a.started && b.started);
  std::string macA, macB, hostB;
  wl_status_t stB = WL_CONNECTED;
  a.onLoop([&] {
    WiFi.onEvent(recordEvent);
    WiFi.setHostname("device-a");
    WiFi.begin("a-net", "password1");
    macA = WiFi.macAddress().c_str();
  });
  b.onLoop([&] {
    stB = WiFi.status();
    macB = WiFi.macAddress().c_str();
    hostB = WiFi.getHostname();
    WiFi.softAP("b-ap");
  });
  CHECK_EQ(stB, WL_STOPPED);
  CHECK(macA != macB);
  CHECK(hostB != "device-a");
  REQUIRE(waitCount(ARDUINO_EVENT_WIFI_STA_GOT_IP, 1));
  delay(100);
  // a's callback heard a's events only: b's AP_START went to b's (empty) list.
  CHECK_EQ(gSeen.count(ARDUINO_EVENT_WIFI_AP_START), 0u);
  twin::wifi::drop(b.dev());
  wl_status_t stA = WL_NO_SHIELD;
  a.onLoop([&] { stA = WiFi.status(); });
  CHECK_EQ(stA, WL_CONNECTED);
  CHECK(!twin::wifi::dropped(a.dev()));
  twin::wifi::restore(b.dev());
}

namespace {
// What the sketch's server saw (every field under mu).
struct Served {
  std::mutex mu;
  int accepted = 0, errors = 0, disconnects = 0;
  int8_t lastError = 0;
  std::vector<std::string> threads;
};
}  // namespace

TEST(arduino_world_wifi_drop_resets_live_connections) {
  Rig rig;
  REQUIRE(rig.started);
  auto served = std::make_shared<Served>();
  AsyncServer* server = nullptr;
  rig.onLoop([&] {
    WiFi.begin("lab", "password1");
    server = new AsyncServer(80);
    server->onClient([served](void*, AsyncClient* c) {
      {
        std::lock_guard<std::mutex> lk(served->mu);
        served->accepted++;
      }
      c->onError([served](void*, AsyncClient*, int8_t err) {
        std::lock_guard<std::mutex> lk(served->mu);
        served->errors++;
        served->lastError = err;
        served->threads.push_back(threadName());
      });
      c->onDisconnect([served](void*, AsyncClient* cl) {
        {
          std::lock_guard<std::mutex> lk(served->mu);
          served->disconnects++;
        }
        delete cl;
      });
    }, nullptr);
    server->begin();
  });
  REQUIRE(!rig.dev()->ports().empty());
  uint16_t port = rig.dev()->ports()[0];
  auto accepted = [&](int n) {
    return eventually([&] {
      std::lock_guard<std::mutex> lk(served->mu);
      return served->accepted >= n;
    }, 3000);
  };
  int fd1 = tcpeer::connectTo(port), fd2 = tcpeer::connectTo(port);
  REQUIRE(fd1 >= 0 && fd2 >= 0);
  REQUIRE(accepted(2));

  twin::wifi::drop(rig.dev());
  CHECK(eventually([&] {
    std::lock_guard<std::mutex> lk(served->mu);
    return served->disconnects >= 2;
  }, 3000));
  {
    std::lock_guard<std::mutex> lk(served->mu);
    CHECK_EQ(served->errors, 2);
    CHECK_EQ(served->lastError, ERR_RST);
    for (auto& t : served->threads) CHECK_EQ(t, std::string("async_tcp"));
  }
  CHECK(tcpeer::closedWithin(fd1, 2000));
  CHECK(tcpeer::closedWithin(fd2, 2000));
  ::close(fd1);
  ::close(fd2);

  // Back up: the server takes connections again.
  twin::wifi::restore(rig.dev());
  int fd3 = tcpeer::connectTo(port);
  CHECK(fd3 >= 0);
  CHECK(accepted(3));
  if (fd3 >= 0) ::close(fd3);
  CHECK(eventually([&] {
    std::lock_guard<std::mutex> lk(served->mu);
    return served->disconnects >= 3;
  }, 3000));
  rig.onLoop([&] {
    server->end();
    delete server;
  });
}

TEST(arduino_world_wifi_events_on_a_single_core_profile) {
  // One simulated CPU: the arduino_events task must give it up while it waits and take it only
  // to run callbacks, or the loop task (and the callbacks) would starve.
  gSeen.clear();
  twin::Profile prof;
  prof.dualCore = false;
  Rig rig(prof);
  REQUIRE(rig.started);
  rig.onLoop([&] {
    WiFi.onEvent(recordEvent);
    WiFi.onEvent(recordInfo);  // calls WiFi.status() from the event task
    WiFi.onEvent([](WiFiEvent_t, WiFiEventInfo_t) { delay(20); }, ARDUINO_EVENT_WIFI_STA_CONNECTED);
    WiFi.begin("single", "password1");
    delay(50);
  });
  CHECK(waitCount(ARDUINO_EVENT_WIFI_STA_GOT_IP, 1));
  twin::wifi::drop(rig.dev());
  CHECK(waitCount(ARDUINO_EVENT_WIFI_STA_LOST_IP, 1));
  twin::wifi::restore(rig.dev());
  CHECK(waitCount(ARDUINO_EVENT_WIFI_STA_GOT_IP, 2));
  wl_status_t st = WL_NO_SHIELD;
  rig.onLoop([&] { st = WiFi.status(); });
  CHECK_EQ(st, WL_CONNECTED);
}
