#include "query/sort/sort_buffer.h"

#include <algorithm>
#include <utility>

namespace strata::query::sort {

bool SortBuffer::Less(const Entry& a, const Entry& b) {
  const int order = a.key.compare(b.key);
  if (order != 0) return order < 0;
  return a.sequence < b.sequence;
}

void SortBuffer::Add(std::string key, Document doc) {
  Entry entry{std::move(key), next_sequence_++, std::move(doc)};
  if (!limit_.has_value()) {
    bytes_ += entry.key.size() + entry.doc.size();
    entries_.push_back(std::move(entry));
    return;
  }
  if (*limit_ == 0) return;
  if (entries_.size() == *limit_) {
    // Full: the new entry only gets in if it sorts before the largest held.
    if (!Less(entry, entries_.front())) return;
    std::pop_heap(entries_.begin(), entries_.end(), Less);
    bytes_ -= entries_.back().key.size() + entries_.back().doc.size();
    entries_.pop_back();
  }
  bytes_ += entry.key.size() + entry.doc.size();
  entries_.push_back(std::move(entry));
  std::push_heap(entries_.begin(), entries_.end(), Less);
}

std::vector<Document> SortBuffer::Finish() {
  std::sort(entries_.begin(), entries_.end(), Less);
  std::vector<Document> out;
  out.reserve(entries_.size());
  for (Entry& entry : entries_) out.push_back(std::move(entry.doc));
  entries_.clear();
  bytes_ = 0;
  return out;
}

std::vector<SortBuffer::KeyedDocument> SortBuffer::FinishWithKeys() {
  std::sort(entries_.begin(), entries_.end(), Less);
  std::vector<KeyedDocument> out;
  out.reserve(entries_.size());
  for (Entry& entry : entries_) out.push_back({std::move(entry.key), std::move(entry.doc)});
  entries_.clear();
  bytes_ = 0;
  return out;
}

}  // namespace strata::query::sort
