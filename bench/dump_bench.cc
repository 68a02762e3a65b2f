// strata dump / strata restore throughput next to a plain sequential file copy of the same
// number of bytes, measured in the same run.
//
//   STRATA_DUMP_BENCH_DOCS   documents in the collection (default 1 000 000; ~270 bytes each)
//   build/bench/dump_bench
//
// Steps (each timed on its own, wall clock):
//   load     the documents are inserted once (relaxed durability, 1000 per transaction),
//            then the database is closed and reopened so the dump reads from SST files and
//            block cache like a real one; not part of any ratio.
//   copy     baseline: a file of exactly the dump's .bson size (written beforehand, in the
//            page cache like the database's files) copied with 1 MiB read()/write() calls.
//   dump     directory layout, uncompressed; then the archive; then directory with gzip and
//            zstd (compression costs shown separately).
//   restore  the uncompressed directory into a fresh data directory: parse + strict
//            validation of every document, relaxed-durability batches, one WAL sync at the end
//            (Close); then again with one secondary index built after the load.
// Dumps and the copy report the best of 3 runs (the machine is shared), restores one run.
// Each row prints MB/s (of BSON bytes), documents/s and the ratio to the copy's MB/s.
#include <bson/bson.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "db/database_impl.h"
#include "tools/dump/dumper.h"
#include "tools/dump/restorer.h"

namespace {

namespace fs = std::filesystem;
using strata::Document;
using strata::DocumentView;
using strata::tools::dump::Compression;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::unique_ptr<strata::db::DatabaseImpl> Open(const std::string& path) {
  strata::DatabaseOptions options;
  options.durability = strata::Durability::kRelaxed;
  options.ttl_monitor_interval_seconds = 0;
  auto db = strata::db::DatabaseImpl::Open(path, options);
  if (!db.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), db.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*db);
}

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

void Load(strata::db::DatabaseImpl& db, int64_t count) {
  std::string payload(180, 'x');
  for (int64_t begin = 0; begin < count; begin += 1000) {
    std::vector<Document> docs;
    std::vector<DocumentView> views;
    for (int64_t i = begin; i < std::min(count, begin + 1000); ++i) {
      Document d;
      bson_t* b = d.mutable_bson();
      BSON_APPEND_INT64(b, "_id", i);
      BSON_APPEND_UTF8(b, "name", ("user" + std::to_string(i)).c_str());
      BSON_APPEND_INT32(b, "score", static_cast<int32_t>(i % 1000));
      BSON_APPEND_DOUBLE(b, "ratio", static_cast<double>(i) / 7.0);
      BSON_APPEND_DATE_TIME(b, "at", 1600000000000 + i);
      BSON_APPEND_UTF8(b, "payload", payload.c_str());
      docs.push_back(std::move(d));
    }
    for (const Document& d : docs) views.push_back(d.view());
    auto inserted = db.Insert("bench.docs", views, true);
    Check(inserted.status(), "insert");
  }
}

// Copies `from` to `to` with 1 MiB read/write calls; returns seconds.
double CopyFile(const std::string& from, const std::string& to) {
  auto start = std::chrono::steady_clock::now();
  int in = open(from.c_str(), O_RDONLY);
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char> buffer(size_t{1} << 20);
  while (true) {
    ssize_t n = read(in, buffer.data(), buffer.size());
    if (n <= 0) break;
    if (write(out, buffer.data(), static_cast<size_t>(n)) != n) break;
  }
  close(in);
  close(out);
  return Seconds(start);
}

constexpr int kRuns = 3;  // dumps and the copy: best of 3; restores run once

struct Row {
  std::string what;
  double seconds;
};

}  // namespace

int main() {
  int64_t count = 1000000;
  if (const char* env = std::getenv("STRATA_DUMP_BENCH_DOCS")) count = std::atoll(env);
  const char* tmp = std::getenv("TMPDIR");
  fs::path root =
      fs::path(tmp != nullptr ? tmp : "/tmp") / ("strata-dump-bench-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);

  auto start = std::chrono::steady_clock::now();
  {
    auto db = Open((root / "source").string());
    Load(*db, count);
    Check(db->Close(), "close");
  }
  std::printf("loaded %lld documents in %.1f s\n", static_cast<long long>(count), Seconds(start));

  auto db = Open((root / "source").string());
  strata::tools::dump::Progress quiet(nullptr, false);
  std::vector<Row> rows;
  int64_t bytes = 0;
  auto dump = [&](const std::string& what, Compression compression, bool archive) {
    strata::tools::dump::DumpOptions options;
    options.out_dir = (root / ("dump-" + what)).string();
    options.compression = compression;
    if (archive) options.archive = (root / "dump.archive").string();
    double seconds = 1e30;
    for (int run = 0; run < kRuns; ++run) {  // the best of kRuns (the machine is shared)
      auto begin = std::chrono::steady_clock::now();
      auto result = strata::tools::dump::Dump(*db, options, quiet);
      seconds = std::min(seconds, Seconds(begin));
      Check(result.status(), "dump");
      bytes = (*result)[0].bytes;
    }
    rows.push_back(Row{"dump " + what, seconds});
  };
  dump("directory", Compression::kNone, false);
  // The baseline: the same number of bytes, copied sequentially (source in the page cache).
  std::string bson = (root / "dump-directory" / "bench" / "docs.bson").string();
  fs::copy_file(bson, root / "copy-source.bin");
  double copy_seconds = 1e30;
  for (int run = 0; run < kRuns; ++run) {
    copy_seconds = std::min(copy_seconds, CopyFile((root / "copy-source.bin").string(),
                                                   (root / "copy-target.bin").string()));
  }
  rows.insert(rows.begin(), Row{"sequential file copy", copy_seconds});
  dump("archive", Compression::kNone, true);
  dump("directory gzip", Compression::kGzip, false);
  dump("directory zstd", Compression::kZstd, false);
  Check(db->Close(), "close");

  auto restore = [&](const std::string& what, bool with_index) {
    std::string target = (root / ("restore-" + std::to_string(rows.size()))).string();
    strata::tools::dump::RestoreOptions options;
    options.in_dir = (root / "dump-directory").string();
    if (with_index) {
      // Add an index to the dump's metadata: {score: 1}.
      std::string meta = (root / "dump-directory" / "bench" / "docs.metadata.json").string();
      std::string text =
          R"({"options": {}, "indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}, {"v": 2, "key": {"score": 1}, "name": "score_1"}]})";
      FILE* f = std::fopen(meta.c_str(), "w");
      std::fputs(text.c_str(), f);
      std::fclose(f);
    }
    auto begin = std::chrono::steady_clock::now();
    auto target_db = Open(target);
    auto result = strata::tools::dump::Restore(*target_db, options, quiet);
    Check(result.status, "restore");
    Check(target_db->Close(), "close");  // the restore's one WAL sync
    rows.push_back(Row{"restore " + what, Seconds(begin)});
    fs::remove_all(target);
  };
  restore("directory", false);
  restore("directory + 1 index", true);

  double copy_rate = bytes / copy_seconds / 1e6;
  std::printf("%lld documents, %.1f MB of BSON\n\n", static_cast<long long>(count), bytes / 1e6);
  std::printf(
      "| step | seconds | MB/s | documents/s | vs file copy |\n| --- | --- | --- | --- | --- |\n");
  for (const Row& row : rows) {
    double rate = bytes / row.seconds / 1e6;
    std::printf("| %s | %.2f | %.1f | %.0f | %.3f |\n", row.what.c_str(), row.seconds, rate,
                count / row.seconds, rate / copy_rate);
  }
  fs::remove_all(root);
  return 0;
}
