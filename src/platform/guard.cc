#include "platform/guard.h"

#include <signal.h>
#include <ucontext.h>

#include <cstring>

namespace whirl::platform {
namespace {

thread_local GuardRegion* t_current = nullptr;
struct sigaction g_previous;

void on_fault(int sig, siginfo_t* info, void* uc) {
  GuardRegion* r = t_current;
  auto* addr = static_cast<const uint8_t*>(info->si_addr);
  if (r && addr >= r->lo && addr < r->hi) siglongjmp(r->jmp, 1);
#if defined(__x86_64__)
  if (r && r->claims_pc) {
    const auto* mc = &static_cast<ucontext_t*>(uc)->uc_mcontext;
    auto pc = uintptr_t(mc->gregs[REG_RIP]);
    if (r->claims_pc(pc)) {
      r->fault_pc = pc;
      r->fault_fp = uintptr_t(mc->gregs[REG_RBP]);
      siglongjmp(r->jmp, 1);
    }
  }
#endif
  // Not a guard-page access: behave as if we were not here.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, uc);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    return g_previous.sa_handler(sig);
  }
  signal(sig, SIG_DFL);  // returning re-executes the access, which now kills the process
}

}  // namespace

bool guard_install() {
  static bool ok = [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    // SA_NODEFER: we leave by siglongjmp without restoring the mask.
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSEGV, &sa, &g_previous) == 0;
  }();
  return ok;
}

GuardRegion*& guard_current() { return t_current; }

}  // namespace whirl::platform
