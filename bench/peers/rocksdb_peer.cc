// rocksdb_peer: the `strata bench` workloads on raw RocksDB — the limit of Strata's design.
//
// Same documents (the same BSON bytes from tools/bench's DocumentFactory), same generators,
// timing and output as `strata bench` (tools/bench/bench_main.h); only the Backend differs:
//   column family `docs`:    key = 8-byte big-endian _id (sign bit flipped), value = BSON
//   column family `cat_idx`: key = 4-byte big-endian cat + the docs key, value empty, kept by
//                            hand in the same WriteBatch as the document (--indexes)
//   column family `cats`:    the categories, for the lookup workload
// Options are Strata's own RocksDB options (engine/storage_engine.cc: 64 MiB memtables,
// 256 MiB LRU block cache, 16 KiB blocks, LZ4 then zstd at the bottom, 10-bit bloom filters on
// point-read families, dynamic level sizes, 2 background jobs), so the ratio measures Strata's
// layers above RocksDB, not different tuning. A plain rocksdb::DB (no transactions, no row
// locks): an update is Get + rewrite of the BSON + Put, not atomic against a concurrent update
// of the same key — what Strata's transactions buy is exactly what this peer leaves out.
// Durability: --durable sets WriteOptions::sync (fsync per write); --relaxed leaves the WAL
// unsynced (survives a process crash), as Strata's two modes.
#include <bson/bson.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/storage_engine.h"
#include "tools/bench/backend.h"
#include "tools/bench/bench_main.h"

namespace strata::bench {
namespace {

std::string DocKey(int64_t id) {
  const uint64_t v = static_cast<uint64_t>(id) ^ (uint64_t{1} << 63);
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[static_cast<size_t>(i)] = static_cast<char>(v >> (56 - 8 * i));
  return key;
}

std::string CatPrefix(int32_t cat) {
  const uint32_t v = static_cast<uint32_t>(cat) ^ (uint32_t{1} << 31);
  std::string key(4, '\0');
  for (int i = 0; i < 4; ++i) key[static_cast<size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
  return key;
}

absl::Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(s.ToString());
}

// A read-only bson_t over a value's bytes (nothing to destroy).
bool View(const rocksdb::Slice& value, bson_t* out) {
  return bson_init_static(out, reinterpret_cast<const uint8_t*>(value.data()), value.size());
}

int64_t IntField(const bson_t* doc, const char* name) {
  bson_iter_t it;
  return bson_iter_init_find(&it, doc, name) ? bson_iter_as_int64(&it) : -1;
}

class RocksBackend : public Backend {
 public:
  std::string name() const override { return "rocksdb"; }
  std::string description() const override { return description_; }

  absl::Status Open(const std::string& dir, const BenchOptions& options, bool fresh) override {
    indexes_ = options.indexes;
    write_options_.sync = options.durable;
    if (fresh) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    auto cache = rocksdb::NewLRUCache(size_t{256} << 20);
    // The very column-family options Strata uses (defaults of DatabaseOptions).
    auto family = [&](bool bloom) {
      return engine::MakeColumnFamilyOptions(DatabaseOptions(), cache, bloom);
    };
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.IncreaseParallelism(2);
    db_options.max_background_jobs = 2;
    db_options.bytes_per_sync = 1 << 20;
    db_options.keep_log_file_num = 4;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"docs", family(true)},
        {"cat_idx", family(false)},
        {"cats", family(true)},
    };
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    if (absl::Status s = FromRocks(rocksdb::DB::Open(db_options, dir, families, &handles, &db));
        !s.ok()) {
      return s;
    }
    db_.reset(db);
    handles_ = handles;
    docs_ = handles[1];
    index_ = handles[2];
    cats_ = handles[3];
    description_ = absl::StrCat(
        "RocksDB ", ROCKSDB_MAJOR, ".", ROCKSDB_MINOR, ".", ROCKSDB_PATCH,
        " (plain DB, Strata's column family options, sync=", options.durable ? "true" : "false",
        indexes_ ? ", hand-kept cat index" : ", no index", ")");
    if (!fresh) return absl::OkStatus();
    rocksdb::WriteBatch batch;
    for (int32_t c = 0; c < kCategories; ++c) {
      const Document doc = DocumentFactory::BuildCategory(c);
      batch.Put(cats_, CatPrefix(c),
                rocksdb::Slice(reinterpret_cast<const char*>(doc.data()), doc.size()));
    }
    return FromRocks(db_->Write(write_options_, &batch));
  }

  absl::StatusOr<int64_t> CountRecords() override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), docs_));
    int64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    if (absl::Status s = FromRocks(it->status()); !s.ok()) return s;
    return n;
  }

  absl::StatusOr<int64_t> Insert(const Record& record) override {
    const std::string key = DocKey(record.id);
    rocksdb::WriteBatch batch;
    batch.Put(
        docs_, key,
        rocksdb::Slice(reinterpret_cast<const char*>(record.bson.data()), record.bson.size()));
    if (indexes_) {
      bson_t doc;
      if (!View(
              rocksdb::Slice(reinterpret_cast<const char*>(record.bson.data()), record.bson.size()),
              &doc)) {
        return absl::InvalidArgumentError("invalid BSON");
      }
      batch.Put(index_, CatPrefix(static_cast<int32_t>(IntField(&doc, "cat"))) + key, "");
    }
    if (absl::Status s = FromRocks(db_->Write(write_options_, &batch)); !s.ok()) return s;
    return 1;
  }

  absl::StatusOr<int64_t> Read(int64_t id) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), docs_, DocKey(id), &value);
    if (s.IsNotFound()) return 0;
    if (!s.ok()) return FromRocks(s);
    return 1;
  }

  absl::StatusOr<int64_t> Update(int64_t id, std::string_view field,
                                 std::string_view value) override {
    const std::string key = DocKey(id);
    std::string old_value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), docs_, key, &old_value);
    if (s.IsNotFound()) return 0;
    if (!s.ok()) return FromRocks(s);
    bson_t old_doc;
    if (!View(old_value, &old_doc)) return absl::InvalidArgumentError("invalid BSON");
    // Rewrite the document with the one field replaced, in place (field order kept). The
    // field is never `cat`, so the index entry does not change.
    bson_t updated;
    bson_init(&updated);
    bson_iter_t it;
    bson_iter_init(&it, &old_doc);
    while (bson_iter_next(&it)) {
      if (field == bson_iter_key(&it)) {
        bson_append_utf8(&updated, field.data(), static_cast<int>(field.size()), value.data(),
                         static_cast<int>(value.size()));
      } else {
        bson_append_iter(&updated, nullptr, 0, &it);
      }
    }
    s = db_->Put(
        write_options_, docs_, key,
        rocksdb::Slice(reinterpret_cast<const char*>(bson_get_data(&updated)), updated.len));
    bson_destroy(&updated);
    if (!s.ok()) return FromRocks(s);
    return 1;
  }

  absl::StatusOr<int64_t> Scan(int64_t start, int count) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), docs_));
    int64_t n = 0;
    std::string copy;
    for (it->Seek(DocKey(start)); it->Valid() && n < count; it->Next()) {
      copy.assign(it->value().data(), it->value().size());
      ++n;
    }
    if (absl::Status s = FromRocks(it->status()); !s.ok()) return s;
    return n;
  }

  // Calls `visit` with each document (BSON) whose cat == category.
  template <typename Visit>
  absl::Status ForCategory(int32_t category, Visit&& visit) {
    if (!indexes_) {  // no index: a full scan, filtering on cat
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), docs_));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        bson_t doc;
        if (View(it->value(), &doc) && IntField(&doc, "cat") == category) visit(&doc);
      }
      return FromRocks(it->status());
    }
    const std::string prefix = CatPrefix(category);
    const std::string end = CatPrefix(category + 1);
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, index_));
    std::string value;
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), docs_,
                                   rocksdb::Slice(key.data() + 4, key.size() - 4), &value);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return FromRocks(s);
      bson_t doc;
      if (View(value, &doc)) visit(&doc);
    }
    return FromRocks(it->status());
  }

  absl::StatusOr<int64_t> IndexFind(int32_t category) override {
    int64_t n = 0;
    if (absl::Status s = ForCategory(category, [&](const bson_t*) { ++n; }); !s.ok()) return s;
    return n;
  }

  absl::StatusOr<int64_t> Aggregate(int32_t category) override {
    std::array<int64_t, kGroups> count{}, total{};
    absl::Status s = ForCategory(category, [&](const bson_t* doc) {
      const int64_t group = IntField(doc, "grp");
      if (group < 0 || group >= kGroups) return;
      ++count[static_cast<size_t>(group)];
      total[static_cast<size_t>(group)] += IntField(doc, "num");
    });
    if (!s.ok()) return s;
    int64_t groups = 0;
    for (int64_t c : count) groups += c > 0 ? 1 : 0;
    return groups;
  }

  absl::StatusOr<int64_t> Lookup(int64_t start, int count) override {
    const std::string end = DocKey(start + count);
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, docs_));
    int64_t n = 0;
    std::string record, category;
    for (it->Seek(DocKey(start)); it->Valid(); it->Next()) {
      record.assign(it->value().data(), it->value().size());
      bson_t doc;
      if (!View(record, &doc)) continue;
      rocksdb::Status s =
          db_->Get(rocksdb::ReadOptions(), cats_,
                   CatPrefix(static_cast<int32_t>(IntField(&doc, "cat"))), &category);
      if (!s.ok() && !s.IsNotFound()) return FromRocks(s);
      ++n;
    }
    if (absl::Status s = FromRocks(it->status()); !s.ok()) return s;
    return n;
  }

  absl::Status Close() override {
    if (db_ == nullptr) return absl::OkStatus();
    absl::Status synced = FromRocks(db_->SyncWAL());
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    absl::Status closed = FromRocks(db_->Close());
    db_.reset();
    return synced.ok() ? closed : synced;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* docs_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* cats_ = nullptr;
  rocksdb::WriteOptions write_options_;
  bool indexes_ = true;
  std::string description_;
};

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return strata::bench::RunBenchMain(
      args, [] { return std::make_unique<strata::bench::RocksBackend>(); }, "rocksdb_peer");
}
