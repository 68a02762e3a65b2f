// ThreadSanitizer's view of absl::Mutex, for the manual TSan run only (scripts/sanitize with
// STRATA_SANITIZER=thread links this file into every test binary; no other build compiles it).
//
// Debian's Abseil is not built with TSan, so the annotations inside absl::Mutex are compiled
// out and TSan never learns that a lock was taken: every access guarded by an absl::Mutex
// looked like a data race. This file interposes the public lock and unlock entry points of the
// shared libabsl_synchronization (a definition in the executable wins over the library's), calls
// the library's own function (dlsym RTLD_NEXT), and tells TSan about the happens-before edge:
// release on the mutex's address before it is unlocked, acquire after it is locked. Await and
// CondVar::Wait unlock and relock inside the library, so they release before and acquire after.
// Reader locks are treated like writer locks (they over-synchronize readers with each other,
// which can hide a write made under a reader lock, never invent a race).
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

namespace {

template <typename Fn>
Fn Real(const char* mangled) {
  void* fn = dlsym(RTLD_NEXT, mangled);
  if (fn == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: %s not found in libabsl_synchronization\n", mangled);
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

// The mangled names of Debian's Abseil (inline namespace debian3); a different Abseil fails
// loudly in Real() instead of silently running without the annotations.
#define STRATA_REAL(name, type, mangled) static const auto name = Real<type>(mangled)

// A Condition is evaluated inside the library, by whichever thread holds the mutex at that
// moment (the waiter after its internal relock, or an unlocking thread on its behalf): the
// wrapper puts an acquire before and a release after each evaluation, so what the predicate
// reads is ordered with every other holder of the mutex.
struct AnnotatedCondition {
  const absl::Condition* condition;
  absl::Mutex* mu;
  static bool Eval(AnnotatedCondition* self) {
    __tsan_acquire(self->mu);
    const bool met = self->condition->Eval();
    __tsan_release(self->mu);
    return met;
  }
};

// Runs `call` (the library's function) with the happens-before edges TSan cannot see: a
// release on `mu` first when the call starts by giving the mutex up (await, condition-variable
// wait), and an acquire after it returns holding the mutex.
template <typename Call>
auto AroundRelock(absl::Mutex* mu, bool releases_first, Call call) {
  if (releases_first) __tsan_release(mu);
  if constexpr (std::is_void_v<decltype(call())>) {
    call();
    __tsan_acquire(mu);
  } else {
    auto result = call();
    __tsan_acquire(mu);
    return result;
  }
}

// The library's `real(mu, cond, extra...)` with `cond` evaluated through AnnotatedCondition.
template <typename R, typename... Extra>
R WithCondition(R (*real)(absl::Mutex*, const absl::Condition&, Extra...), absl::Mutex* mu,
                bool releases_first, const absl::Condition& cond, Extra... extra) {
  AnnotatedCondition annotated{&cond, mu};
  return AroundRelock(mu, releases_first, [&] {
    return real(mu, absl::Condition(&AnnotatedCondition::Eval, &annotated), extra...);
  });
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  STRATA_REAL(real, void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  AroundRelock(this, false, [&] { real(this); });
}

void Mutex::ReaderLock() {
  STRATA_REAL(real, void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  AroundRelock(this, false, [&] { real(this); });
}

bool Mutex::TryLock() {
  STRATA_REAL(real, bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  STRATA_REAL(real, bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::Unlock() {
  STRATA_REAL(real, void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  STRATA_REAL(real, void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  __tsan_release(this);
  real(this);
}

// LockWhen* start without the mutex; Await* start holding it and give it up while waiting.

void Mutex::LockWhen(const Condition& cond) {
  STRATA_REAL(real, void (*)(Mutex*, const Condition&),
              "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  WithCondition(real, this, false, cond);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  STRATA_REAL(real, void (*)(Mutex*, const Condition&),
              "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  WithCondition(real, this, false, cond);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  STRATA_REAL(real, bool (*)(Mutex*, const Condition&, absl::Duration),
              "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return WithCondition(real, this, false, cond, timeout);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  STRATA_REAL(real, bool (*)(Mutex*, const Condition&, absl::Time),
              "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return WithCondition(real, this, false, cond, deadline);
}

void Mutex::Await(const Condition& cond) {
  STRATA_REAL(real, void (*)(Mutex*, const Condition&),
              "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  WithCondition(real, this, true, cond);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  STRATA_REAL(real, bool (*)(Mutex*, const Condition&, absl::Duration),
              "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return WithCondition(real, this, true, cond, timeout);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  STRATA_REAL(real, bool (*)(Mutex*, const Condition&, absl::Time),
              "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return WithCondition(real, this, true, cond, deadline);
}

void CondVar::Wait(Mutex* mu) {
  STRATA_REAL(real, void (*)(CondVar*, Mutex*), "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  AroundRelock(mu, true, [&] { real(this, mu); });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  STRATA_REAL(real, bool (*)(CondVar*, Mutex*, absl::Duration),
              "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return AroundRelock(mu, true, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  STRATA_REAL(real, bool (*)(CondVar*, Mutex*, absl::Time),
              "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return AroundRelock(mu, true, [&] { return real(this, mu, deadline); });
}

ABSL_NAMESPACE_END
}  // namespace absl
