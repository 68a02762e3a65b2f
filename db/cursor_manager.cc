#include "db/cursor_manager.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"

namespace strata::db {

int64_t CursorManager::Register(std::unique_ptr<ServerCursor> cursor) {
  thread_local absl::BitGen gen;
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  ReapIdleLocked(now);
  int64_t id;
  do {
    // Positive 63-bit ids, as MongoDB's (drivers print them as longs).
    id = absl::Uniform<int64_t>(gen, 1, INT64_MAX);
  } while (cursors_.contains(id));
  std::string ns = cursor->ns;
  cursors_[id] = Entry{std::move(cursor), std::move(ns), now};
  return id;
}

absl::StatusOr<std::unique_ptr<ServerCursor>> CursorManager::CheckOut(int64_t id,
                                                                      absl::string_view ns) {
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  ReapIdleLocked(now);
  auto it = cursors_.find(id);
  if (it == cursors_.end()) {
    return MongoError(ErrorCode::kCursorNotFound, absl::StrCat("cursor id ", id, " not found"));
  }
  if (it->second.ns != ns) {
    return MongoError(
        ErrorCode::kUnauthorized,
        absl::StrCat("Requested getMore on namespace '", ns,
                     "', but cursor belongs to a different namespace ", it->second.ns));
  }
  if (it->second.cursor == nullptr) {
    return MongoError(ErrorCode::kBadValue, absl::StrCat("cursor id ", id, " is already in use"));
  }
  it->second.last_used = now;
  return std::move(it->second.cursor);
}

void CursorManager::CheckIn(int64_t id, std::unique_ptr<ServerCursor> cursor) {
  absl::MutexLock lock(&mu_);
  auto it = cursors_.find(id);
  if (it == cursors_.end()) return;  // killed while checked out
  it->second.cursor = std::move(cursor);
  it->second.last_used = absl::Now();
}

bool CursorManager::Kill(int64_t id) {
  absl::MutexLock lock(&mu_);
  return cursors_.erase(id) > 0;
}

void CursorManager::KillNamespace(absl::string_view ns) {
  absl::MutexLock lock(&mu_);
  absl::erase_if(cursors_, [&](const auto& entry) { return entry.second.ns == ns; });
}

void CursorManager::KillDatabase(absl::string_view db) {
  absl::MutexLock lock(&mu_);
  absl::erase_if(cursors_, [&](const auto& entry) {
    absl::string_view ns = entry.second.ns;
    return ns.size() > db.size() && ns.substr(0, db.size()) == db && ns[db.size()] == '.';
  });
}

void CursorManager::KillAll() {
  absl::MutexLock lock(&mu_);
  cursors_.clear();
}

size_t CursorManager::size() const {
  absl::MutexLock lock(&mu_);
  return cursors_.size();
}

void CursorManager::ReapIdleLocked(absl::Time now) {
  for (auto it = cursors_.begin(); it != cursors_.end();) {
    auto current = it++;
    if (current->second.cursor != nullptr && now - current->second.last_used > idle_timeout_) {
      cursors_.erase(current);
    }
  }
}

}  // namespace strata::db
