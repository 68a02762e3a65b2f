// $sort: in memory up to the budget; with a following $limit, a top-k heap (query/sort's
// SortBuffer); over the budget, sorted runs spilled to files and merged (allowDiskUse) or
// MongoDB's error 292.
#include <algorithm>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "query/pipeline/internal.h"
#include "query/pipeline/spill.h"
#include "query/sort/sort_buffer.h"
#include "query/sort/sort_spec.h"

namespace strata::query::pipeline::internal {
namespace {

struct Entry {
  std::string key;
  uint64_t sequence;
  Document doc;
};

// A spilled record: {k: <binary sort key>, s: <sequence>, d: <document>}.
Document RunRecord(const Entry& e) {
  Document out;
  bson_append_binary(out.mutable_bson(), "k", 1, BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const uint8_t*>(e.key.data()),
                     static_cast<uint32_t>(e.key.size()));
  bson_append_int64(out.mutable_bson(), "s", 1, static_cast<int64_t>(e.sequence));
  bson_append_document(out.mutable_bson(), "d", 1, e.doc.bson());
  return out;
}

Entry FromRecord(const Document& record) {
  Entry e;
  bson_iter_t it;
  if (bson_iter_init_find(&it, record.bson(), "k")) {
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_subtype_t subtype;
    bson_iter_binary(&it, &subtype, &len, &data);
    e.key.assign(reinterpret_cast<const char*>(data), len);
  }
  if (bson_iter_init_find(&it, record.bson(), "s")) {
    e.sequence = static_cast<uint64_t>(bson_iter_int64(&it));
  }
  if (bson_iter_init_find(&it, record.bson(), "d")) e.doc = Document::Copy(Embedded(it));
  return e;
}

bool Less(const Entry& a, const Entry& b) {
  int c = a.key.compare(b.key);
  return c != 0 ? c < 0 : a.sequence < b.sequence;
}

class SortStage final : public Stage {
 public:
  SortStage(const PipelineContext& context, Document spec_doc, sort::SortSpec spec,
            std::optional<int64_t> limit)
      : context_(context), spec_doc_(std::move(spec_doc)), spec_(std::move(spec)), limit_(limit) {}
  std::string name() const override { return "$sort"; }
  void AppendExplain(bson_t* out) const override {
    bson_t sort;
    bson_append_document_begin(out, "$sort", -1, &sort);
    bson_append_document(&sort, "sortKey", -1, spec_doc_.bson());
    if (limit_.has_value()) bson_append_int64(&sort, "limit", -1, *limit_);
    bson_append_bool(&sort, "usedDisk", -1, !runs_.empty());
    bson_append_int64(&sort, "spills", -1, static_cast<int64_t>(runs_.size()));
    bson_append_document_end(out, &sort);
  }

 protected:
  NextResult DoNext() override {
    if (!loaded_) {
      loaded_ = true;
      RETURN_IF_ERROR(Load());
    }
    if (runs_.empty()) {
      if (next_ >= sorted_.size()) return std::optional<Document>();
      return std::optional<Document>(std::move(sorted_[next_++].doc));
    }
    // k-way merge of the runs (the in-memory rest was spilled as the last run).
    if (heap_.empty()) return std::optional<Document>();
    std::pop_heap(heap_.begin(), heap_.end(), HeapGreater);
    auto [entry, run] = std::move(heap_.back());
    heap_.pop_back();
    ASSIGN_OR_RETURN(std::optional<Document> record, runs_[run]->Read());
    if (record.has_value()) {
      heap_.emplace_back(FromRecord(*record), run);
      std::push_heap(heap_.begin(), heap_.end(), HeapGreater);
    }
    return std::optional<Document>(std::move(entry.doc));
  }

 private:
  static bool HeapGreater(const std::pair<Entry, size_t>& a, const std::pair<Entry, size_t>& b) {
    return Less(b.first, a.first);
  }

  absl::Status Load() {
    const size_t budget = context_.options.memory_limit_bytes;
    if (limit_.has_value()) {
      sort::SortBuffer buffer(static_cast<size_t>(*limit_));
      while (true) {
        ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
        if (!doc.has_value()) break;
        ASSIGN_OR_RETURN(std::string key, spec_.SortKey(doc->view()));
        buffer.Add(std::move(key), std::move(*doc));
        if (buffer.bytes() > budget) return MemoryLimitError("$sort", budget);
      }
      std::vector<Document> docs = buffer.Finish();
      for (Document& d : docs) sorted_.push_back(Entry{std::string(), 0, std::move(d)});
      return absl::OkStatus();
    }
    size_t bytes = 0;
    uint64_t sequence = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) break;
      ASSIGN_OR_RETURN(std::string key, spec_.SortKey(doc->view()));
      bytes += key.size() + MemoryOf(*doc);
      sorted_.push_back(Entry{std::move(key), sequence++, std::move(*doc)});
      if (bytes > budget) {
        if (!context_.options.allow_disk_use) return MemoryLimitError("$sort", budget);
        RETURN_IF_ERROR(Spill());
        bytes = 0;
      }
    }
    std::sort(sorted_.begin(), sorted_.end(), Less);
    if (!runs_.empty()) {
      if (!sorted_.empty()) RETURN_IF_ERROR(Spill());
      for (size_t i = 0; i < runs_.size(); ++i) {
        RETURN_IF_ERROR(runs_[i]->FinishWriting());
        ASSIGN_OR_RETURN(std::optional<Document> record, runs_[i]->Read());
        if (record.has_value()) heap_.emplace_back(FromRecord(*record), i);
      }
      std::make_heap(heap_.begin(), heap_.end(), HeapGreater);
    }
    return absl::OkStatus();
  }

  absl::Status Spill() {
    std::sort(sorted_.begin(), sorted_.end(), Less);
    ASSIGN_OR_RETURN(std::unique_ptr<SpillRun> run, SpillRun::Create(context_));
    for (const Entry& e : sorted_) RETURN_IF_ERROR(run->Append(RunRecord(e).view()));
    sorted_.clear();
    runs_.push_back(std::move(run));
    return absl::OkStatus();
  }

  const PipelineContext context_;
  Document spec_doc_;
  sort::SortSpec spec_;
  std::optional<int64_t> limit_;
  bool loaded_ = false;
  std::vector<Entry> sorted_;
  size_t next_ = 0;
  std::vector<std::unique_ptr<SpillRun>> runs_;
  std::vector<std::pair<Entry, size_t>> heap_;
};

}  // namespace

absl::StatusOr<StagePtr> MakeSort(const bson_iter_t& spec, const PipelineContext& context,
                                  std::optional<int64_t> limit) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(15973, "the $sort key specification must be an object");
  }
  Document spec_doc = Document::Copy(Embedded(spec));
  if (spec_doc.view().empty()) return Error(15976, "$sort stage must have at least one sort key");
  ASSIGN_OR_RETURN(sort::SortSpec parsed, sort::SortSpec::Parse(spec_doc.view()));
  return StagePtr(new SortStage(context, std::move(spec_doc), std::move(parsed), limit));
}

}  // namespace strata::query::pipeline::internal
