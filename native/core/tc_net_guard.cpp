#include "tc_net_guard.h"

namespace twincore {

namespace {
// The innermost Scope on this thread (a plain pointer: ESP-IDF and the host both support
// trivially-initialised thread_local).
thread_local NetGuard::Scope* t_top = nullptr;
}  // namespace

NetGuard::Scope::Scope(NetGuard& g, Mode mode) : _g(g), _prev(t_top), _mode(mode), _ownsGate(false) {
  bool take = mode == kNetwork ? !g.inScope() : t_top == nullptr;
  if (take) {
    g._gate.lock();
    _ownsGate = true;
  }
  t_top = this;
}

NetGuard::Scope::~Scope() {
  t_top = _prev;
  if (_ownsGate) _g._gate.unlock();
}

bool NetGuard::inScope() const {
  for (Scope* s = t_top; s; s = s->_prev) {
    if (&s->_g == this) return true;
  }
  return false;
}

}  // namespace twincore
