#include "query/sort/external_sorter.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"

namespace strata::query::sort {
namespace {

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

absl::string_view BytesOf(DocumentView doc) {
  return absl::string_view(reinterpret_cast<const char*>(doc.data()), doc.size());
}

// A run record: 4-byte little-endian key length, key, document.
absl::Status WriteRecord(SpillFile& file, absl::string_view key, absl::string_view doc,
                         std::string* scratch) {
  const uint32_t n = static_cast<uint32_t>(key.size());
  scratch->assign({static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                   static_cast<char>(n >> 24)});
  scratch->append(key.data(), key.size());
  return file.Append(*scratch, doc);
}

}  // namespace

ExternalSorter::ExternalSorter(ExternalSorterOptions options)
    : options_(std::move(options)), buffer_(options_.limit) {}

ExternalSorter::~ExternalSorter() { Release(); }

absl::Status ExternalSorter::Add(std::string key, DocumentView doc) {
  data_bytes_ += static_cast<int64_t>(key.size() + doc.size());
  buffer_.Add(std::move(key), Document::Copy(doc));
  if (buffer_.bytes() <= options_.memory_limit_bytes) return absl::OkStatus();
  if (!options_.allow_disk_use) {
    Release();
    return MongoError(ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed,
                      absl::StrCat("Sort exceeded memory limit of ", options_.memory_limit_bytes,
                                   " bytes, but did not opt in to external sorting."));
  }
  absl::Status status = Spill();
  if (!status.ok()) Release();
  return status;
}

absl::Status ExternalSorter::Spill() {
  ASSIGN_OR_RETURN(std::unique_ptr<SpillFile> file, SpillFile::Create(options_.temp_dir, "sort"));
  std::string scratch;
  for (const SortBuffer::KeyedDocument& entry : buffer_.FinishWithKeys()) {
    RETURN_IF_ERROR(WriteRecord(*file, entry.key, BytesOf(entry.doc.view()), &scratch));
  }
  runs_.push_back(Run{std::move(file), {}, {}});
  ++spills_;
  if (runs_.size() >= std::max<size_t>(options_.max_open_runs, 2)) RETURN_IF_ERROR(MergeRuns());
  return absl::OkStatus();
}

absl::Status ExternalSorter::MergeRuns() {
  // The runs are in arrival order and the merge breaks ties by run, so the merged run keeps
  // equal keys in arrival order; a limit keeps only the first `limit` records.
  ASSIGN_OR_RETURN(std::unique_ptr<SpillFile> merged, SpillFile::Create(options_.temp_dir, "sort"));
  auto greater = [this](size_t a, size_t b) { return HeapGreater(a, b); };
  std::vector<size_t> heap;
  for (size_t i = 0; i < runs_.size(); ++i) {
    RETURN_IF_ERROR(runs_[i].file->FinishWriting());
    ASSIGN_OR_RETURN(bool has, Advance(i));
    if (has) heap.push_back(i);
  }
  std::make_heap(heap.begin(), heap.end(), greater);
  std::string scratch;
  size_t written = 0;
  while (!heap.empty() && (!options_.limit.has_value() || written < *options_.limit)) {
    std::pop_heap(heap.begin(), heap.end(), greater);
    const size_t i = heap.back();
    heap.pop_back();
    RETURN_IF_ERROR(WriteRecord(*merged, runs_[i].key, runs_[i].doc, &scratch));
    ++written;
    ASSIGN_OR_RETURN(bool has, Advance(i));
    if (has) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), greater);
    }
  }
  runs_.clear();  // deletes the merged files
  runs_.push_back(Run{std::move(merged), {}, {}});
  return absl::OkStatus();
}

absl::StatusOr<bool> ExternalSorter::Advance(size_t i) {
  Run& run = runs_[i];
  ASSIGN_OR_RETURN(std::optional<absl::string_view> record, run.file->Read());
  if (!record.has_value()) {
    run.file.reset();  // done: delete the file now
    return false;
  }
  uint32_t n = 0;
  if (record->size() >= 4) {
    const auto* p = reinterpret_cast<const uint8_t*>(record->data());
    n = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  }
  if (record->size() < 4 || record->size() - 4 < n + 5) {
    return absl::DataLossError("corrupt sort spill record");
  }
  run.key = record->substr(4, n);
  run.doc = record->substr(4 + n);
  return true;
}

bool ExternalSorter::HeapGreater(size_t a, size_t b) const {
  const int order = runs_[a].key.compare(runs_[b].key);
  if (order != 0) return order > 0;
  return a > b;
}

absl::Status ExternalSorter::Finish() {
  finished_ = true;
  if (runs_.empty()) {
    sorted_ = buffer_.Finish();
    return absl::OkStatus();
  }
  absl::Status status = [&]() -> absl::Status {
    if (buffer_.size() > 0) RETURN_IF_ERROR(Spill());
    for (size_t i = 0; i < runs_.size(); ++i) {
      RETURN_IF_ERROR(runs_[i].file->FinishWriting());
      ASSIGN_OR_RETURN(bool has, Advance(i));
      if (has) heap_.push_back(i);
    }
    std::make_heap(heap_.begin(), heap_.end(),
                   [this](size_t a, size_t b) { return HeapGreater(a, b); });
    return absl::OkStatus();
  }();
  if (!status.ok()) Release();
  return status;
}

absl::StatusOr<std::optional<DocumentView>> ExternalSorter::Next() {
  if (released_ || !finished_) return std::optional<DocumentView>();
  if (options_.limit.has_value() && returned_ >= *options_.limit) {
    Release();
    return std::optional<DocumentView>();
  }
  if (runs_.empty()) {
    if (next_ >= sorted_.size()) {
      Release();
      return std::optional<DocumentView>();
    }
    ++returned_;
    return std::optional<DocumentView>(sorted_[next_++].view());
  }
  auto greater = [this](size_t a, size_t b) { return HeapGreater(a, b); };
  if (last_run_.has_value()) {
    // The record returned last is no longer needed: move its run on.
    absl::StatusOr<bool> has = Advance(*last_run_);
    if (!has.ok()) {
      Release();
      return has.status();
    }
    if (*has) {
      heap_.push_back(*last_run_);
      std::push_heap(heap_.begin(), heap_.end(), greater);
    }
    last_run_.reset();
  }
  if (heap_.empty()) {
    Release();
    return std::optional<DocumentView>();
  }
  std::pop_heap(heap_.begin(), heap_.end(), greater);
  last_run_ = heap_.back();
  heap_.pop_back();
  ++returned_;
  return std::optional<DocumentView>(ViewOf(runs_[*last_run_].doc));
}

absl::StatusOr<std::optional<Document>> ExternalSorter::NextDocument() {
  if (runs_.empty() && !released_ && finished_ &&
      !(options_.limit.has_value() && returned_ >= *options_.limit) && next_ < sorted_.size()) {
    ++returned_;
    return std::optional<Document>(std::move(sorted_[next_++]));
  }
  ASSIGN_OR_RETURN(std::optional<DocumentView> next, Next());
  if (!next.has_value()) return std::optional<Document>();
  return std::optional<Document>(Document::Copy(*next));
}

void ExternalSorter::Release() {
  released_ = true;
  buffer_.Finish();
  std::vector<Document>().swap(sorted_);
  heap_.clear();
  runs_.clear();  // deletes the files
  last_run_.reset();
}

}  // namespace strata::query::sort
