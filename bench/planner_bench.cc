// The cost-based planner against every plan it could have run: for each of a fixed set of
// queries on skewed data, the time of the plan the planner chooses next to the time of every
// plan a hint can force (the collection scan and each secondary index), measured in the same
// run. The goal (query/planner/cost_model.h) is the chosen plan within 1.2× of the best one
// for every query; the summary says how close it is.
//
// A plain main() program, not Google Benchmark: one "benchmark" here is a query with eight
// plans, and the report is a table of chosen vs best, not rates.
//
//   data     STRATA_BENCH_DOCS documents (default 1 000 000), fixed-seed mt19937_64:
//            category Zipf(1.0) over 10 000 values (value 1 ≈ 10 %, value 5000 ≈ 0.002 %),
//            score uniform 0..999 999, status "active"/"pending"/"closed" 90/9/1 % ("closed"
//            concentrated on old documents: 2 % at the oldest, 0 % at the newest), tags 1–4
//            distinct of 500 (Zipf 1.0: "t1" in about a third of the documents), created a
//            date rising with _id over three years, name, note (80–160 letters). About 250 bytes.
//   indexes  {category: 1}, {score: 1}, {status: 1, score: -1}, {tags: 1} (multikey),
//            {created: 1}, {category: 1, created: -1}; built after the load, then analyzed
//            (`analyze`: the histograms the planner estimates from). STRATA_BENCH_ANALYZE=0
//            skips it and turns the automatic refresh off, so every estimate is a dive; else the
//            automatic refresh stays on (with no writes during the measurement it never runs).
//   plans    no hint (the planner's choice, named from explain's winningPlan), then
//            {$natural: 1} and each index by name. `_id_` is not hintable (Strata's `_id`
//            order is the collection scan's).
//   timing   wall clock of the find command run to exhaustion through Database::RunCommand
//            (batchSize 1000, getMore until cursor id 0), whole documents returned. Plans run
//            interleaved, STRATA_BENCH_RUNS rounds (default 3); a round's value is one run, or
//            the median of 3 (< 20 ms) or 9 (< 2 ms) back-to-back runs; a plan's time is the
//            median of its rounds. A forced plan that passes min(5 s, max(100 ms, 20 × the best
//            time so far for the query)) is stopped at the next batch (killCursors), reported as
//            "> t" and not run again; a batch cannot be interrupted, so "> t" is a lower bound.
//   checks   a forced plan returning another number of documents than the unhinted find is
//            flagged MISMATCH (and counted in the summary).
//
// Progress goes to stderr; the report to stdout. See bench/README.md.
#include <bson/bson.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "strata/database.h"
#include "strata/document.h"
#include "strata/options.h"

namespace {

using strata::Document;
using strata::DocumentView;
using Clock = std::chrono::steady_clock;

constexpr const char* kDb = "bench";
constexpr const char* kCollection = "docs";
constexpr int kInsertBatch = 1000;
constexpr int kFindBatch = 1000;
constexpr double kCapFactor = 20;
constexpr double kCapMillis = 5000;
// Below this a forced plan is never stopped: one slow run (a compaction, a cold block) must not
// cost a cheap plan its other rounds.
constexpr double kCapFloorMillis = 100;
constexpr double kGoal = 1.2;
// 2020-01-01T00:00:00Z and three years: the range of `created`.
constexpr int64_t kCreatedStartMs = 1577836800000;
constexpr int64_t kCreatedSpanMs = int64_t{3} * 365 * 24 * 3600 * 1000;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtoll(value, nullptr, 10);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one.empty() ? "?" : absl::StrCat(one, " ", five, " ", fifteen);
}

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "planner_bench: %s\n", message.c_str());
  std::exit(1);
}

// A fresh directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/strata-pbench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Ranks 1..n with P(rank k) ∝ 1 / k^s.
class ZipfSampler {
 public:
  ZipfSampler(int n, double s) : cdf_(n) {
    double sum = 0;
    for (int k = 1; k <= n; ++k) {
      sum += 1.0 / std::pow(k, s);
      cdf_[k - 1] = sum;
    }
    for (double& c : cdf_) c /= sum;
  }
  int Sample(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) + 1;
  }

 private:
  std::vector<double> cdf_;
};

std::string Letters(std::mt19937_64& rng, int count) {
  std::string s(count, 'a');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

void AppendString(bson_t* b, const char* key, const std::string& value) {
  bson_append_utf8(b, key, -1, value.data(), static_cast<int>(value.size()));
}

// Document `id` of `n` (see the header comment for the distributions).
Document MakeDocument(int64_t id, int64_t n, std::mt19937_64& rng, const ZipfSampler& categories,
                      const ZipfSampler& tags) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_int64(b, "_id", 3, id);
  AppendString(b, "name", "user-" + Letters(rng, 8));
  bson_append_int32(b, "category", -1, categories.Sample(rng));
  bson_append_int32(b, "score", -1, static_cast<int32_t>(rng() % 1000000));
  const double age = 1.0 - static_cast<double>(id) / static_cast<double>(n);  // 1 = oldest
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  const char* status = u < 0.02 * age ? "closed" : u < 0.02 * age + 0.09 ? "pending" : "active";
  bson_append_utf8(b, "status", -1, status, -1);
  bson_t array;
  bson_append_array_begin(b, "tags", -1, &array);
  std::vector<int> chosen;
  const int count = 1 + static_cast<int>(rng() % 4);
  while (static_cast<int>(chosen.size()) < count) {
    int tag = tags.Sample(rng);
    if (std::find(chosen.begin(), chosen.end(), tag) != chosen.end()) continue;
    chosen.push_back(tag);
    std::string key = std::to_string(chosen.size() - 1);
    AppendString(&array, key.c_str(), absl::StrCat("t", tag));
  }
  bson_append_array_end(b, &array);
  const int64_t step = std::max<int64_t>(1, kCreatedSpanMs / n);
  bson_append_date_time(b, "created", -1,
                        kCreatedStartMs + id * step + static_cast<int64_t>(rng() % (10 * step)));
  AppendString(b, "note", Letters(rng, 80 + static_cast<int>(rng() % 81)));
  return doc;
}

// `created` at fraction `f` of the range, as Extended JSON.
std::string CreatedAt(double f) {
  return absl::StrCat(R"({"$date": {"$numberLong": ")",
                      kCreatedStartMs + static_cast<int64_t>(f * kCreatedSpanMs), R"("}})");
}

Document Json(const std::string& json) {
  auto doc = Document::FromJson(json);
  if (!doc.ok()) Die(absl::StrCat("bad JSON ", json, ": ", doc.status().ToString()));
  return *std::move(doc);
}

bool ReplyOk(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") && bson_iter_as_double(&it) == 1.0;
}

// Runs a command that must succeed.
Document MustRun(strata::Database& db, DocumentView command) {
  Document reply = db.RunCommand(kDb, command);
  if (!ReplyOk(reply)) Die(absl::StrCat(command.ToJson(), " failed: ", reply.ToJson()));
  return reply;
}

// ---- running a find to exhaustion ------------------------------------------------------------

struct RunResult {
  double millis = 0;
  int64_t returned = 0;
  bool stopped = false;  // passed the cap and was killed
  std::string error;     // the reply's errmsg when the command failed
};

// Reads a reply's cursor: its id and the number of documents in `batch_field`.
void ReadCursor(const Document& reply, const char* batch_field, int64_t* id, int64_t* count) {
  bson_iter_t cursor, field;
  *id = 0;
  if (!bson_iter_init_find(&cursor, reply.bson(), "cursor") || !BSON_ITER_HOLDS_DOCUMENT(&cursor)) {
    return;
  }
  bson_iter_t inner;
  bson_iter_recurse(&cursor, &inner);
  while (bson_iter_next(&inner)) {
    const std::string key = bson_iter_key(&inner);
    if (key == "id") *id = bson_iter_as_int64(&inner);
    if (key == batch_field && BSON_ITER_HOLDS_ARRAY(&inner)) {
      bson_iter_recurse(&inner, &field);
      while (bson_iter_next(&field)) ++*count;
    }
  }
}

std::string ErrorMessage(const Document& reply) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.bson(), "errmsg") && BSON_ITER_HOLDS_UTF8(&it)) {
    return bson_iter_utf8(&it, nullptr);
  }
  return reply.ToJson();
}

// One find, then getMore until the cursor is exhausted, or until `cap_millis` have passed at a
// batch boundary (then the cursor is killed).
RunResult RunFind(strata::Database& db, const Document& find, double cap_millis) {
  RunResult result;
  const Clock::time_point start = Clock::now();
  Document reply = db.RunCommand(kDb, find.view());
  if (!ReplyOk(reply)) {
    result.error = ErrorMessage(reply);
    result.millis = MillisSince(start);
    return result;
  }
  int64_t id = 0;
  ReadCursor(reply, "firstBatch", &id, &result.returned);
  while (id != 0) {
    if (MillisSince(start) > cap_millis) {
      Document kill;
      bson_append_utf8(kill.mutable_bson(), "killCursors", -1, kCollection, -1);
      bson_t ids;
      bson_append_array_begin(kill.mutable_bson(), "cursors", -1, &ids);
      bson_append_int64(&ids, "0", 1, id);
      bson_append_array_end(kill.mutable_bson(), &ids);
      MustRun(db, kill.view());
      result.stopped = true;
      break;
    }
    Document more;
    bson_append_int64(more.mutable_bson(), "getMore", -1, id);
    bson_append_utf8(more.mutable_bson(), "collection", -1, kCollection, -1);
    bson_append_int32(more.mutable_bson(), "batchSize", -1, kFindBatch);
    reply = db.RunCommand(kDb, more.view());
    if (!ReplyOk(reply)) {
      result.error = ErrorMessage(reply);
      break;
    }
    ReadCursor(reply, "nextBatch", &id, &result.returned);
  }
  result.millis = MillisSince(start);
  return result;
}

// ---- explain -------------------------------------------------------------------------------

struct Estimate {
  double rows = 0, keys = 0, docs = 0, cost = 0;
  std::string keys_from;  // "histogram", "histogram+dive", "dive", "counter" or ""
};

struct PlanInfo {
  std::string access;  // "COLLSCAN", "IDHACK" or the index name
  std::optional<Estimate> estimate;
  int64_t keys_examined = -1, docs_examined = -1;  // executionStats only
};

bool Subdocument(const bson_iter_t& it, bson_t* out) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&it) && !BSON_ITER_HOLDS_ARRAY(&it)) return false;
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_document(&it, &length, &data);
  } else {
    bson_iter_array(&it, &length, &data);
  }
  return bson_init_static(out, data, length);
}

double DoubleField(const bson_t& doc, const char* key) {
  bson_iter_t it;
  return bson_iter_init_find(&it, &doc, key) ? bson_iter_as_double(&it) : 0;
}

// A plan's root stage: its access path (down the inputStage chain) and its strataEstimate.
PlanInfo ReadPlan(const bson_t& root) {
  PlanInfo info;
  bson_iter_t it;
  bson_t estimate;
  if (bson_iter_init_find(&it, &root, "strataEstimate") && Subdocument(it, &estimate)) {
    info.estimate =
        Estimate{DoubleField(estimate, "rows"), DoubleField(estimate, "keysExamined"),
                 DoubleField(estimate, "docsExamined"), DoubleField(estimate, "cost"), ""};
    bson_iter_t from;
    if (bson_iter_init_find(&from, &estimate, "keysFrom") && BSON_ITER_HOLDS_UTF8(&from)) {
      info.estimate->keys_from = bson_iter_utf8(&from, nullptr);
    }
  }
  // Down the inputStage chain (bson_t views are re-initialised, never copied: a static
  // bson_t points into itself).
  uint32_t length = root.len;
  const uint8_t* data = bson_get_data(&root);
  for (int depth = 0; depth < 16; ++depth) {
    bson_t stage;
    if (!bson_init_static(&stage, data, length)) break;
    bson_iter_t name;
    if (!bson_iter_init_find(&name, &stage, "stage")) break;
    const std::string kind = bson_iter_utf8(&name, nullptr);
    if (kind == "COLLSCAN" || kind == "IDHACK" || kind == "EOF") {
      info.access = kind;
      break;
    }
    if (kind == "IXSCAN") {
      bson_iter_t index;
      if (bson_iter_init_find(&index, &stage, "indexName")) {
        info.access = bson_iter_utf8(&index, nullptr);
      }
      break;
    }
    bson_iter_t input;
    if (!bson_iter_init_find(&input, &stage, "inputStage") || !BSON_ITER_HOLDS_DOCUMENT(&input)) {
      break;
    }
    bson_iter_document(&input, &length, &data);
  }
  return info;
}

// explain of `find` at `verbosity`: the winning plan first, then the rejected ones.
std::vector<PlanInfo> Explain(strata::Database& db, const std::string& find_json,
                              const char* verbosity) {
  Document reply = MustRun(db, Json(absl::StrCat(R"({"explain": )", find_json,
                                                 R"(, "verbosity": ")", verbosity, R"("})"))
                                   .view());
  std::vector<PlanInfo> plans;
  bson_iter_t it, inner;
  bson_t planner, plan;
  if (!bson_iter_init_find(&it, reply.bson(), "queryPlanner") || !Subdocument(it, &planner)) {
    Die("explain without queryPlanner: " + reply.ToJson());
  }
  if (bson_iter_init_find(&it, &planner, "winningPlan") && Subdocument(it, &plan)) {
    plans.push_back(ReadPlan(plan));
  }
  bson_t rejected;
  if (bson_iter_init_find(&it, &planner, "rejectedPlans") && Subdocument(it, &rejected)) {
    bson_iter_init(&inner, &rejected);
    while (bson_iter_next(&inner)) {
      if (Subdocument(inner, &plan)) plans.push_back(ReadPlan(plan));
    }
  }
  bson_t stats;
  if (!plans.empty() && bson_iter_init_find(&it, reply.bson(), "executionStats") &&
      Subdocument(it, &stats)) {
    plans[0].keys_examined = static_cast<int64_t>(DoubleField(stats, "totalKeysExamined"));
    plans[0].docs_examined = static_cast<int64_t>(DoubleField(stats, "totalDocsExamined"));
  }
  return plans;
}

// ---- the queries ---------------------------------------------------------------------------

struct Query {
  std::string label;
  std::string body;  // the find command's fields after the collection name
};

std::vector<Query> Queries() {
  const std::string last1 = CreatedAt(0.99), half = CreatedAt(0.5);
  return {
      {"category rare (=5000)", R"("filter": {"category": 5000})"},
      {"category top (=1, 10%)", R"("filter": {"category": 1})"},
      {"category $in top 3 (18%)", R"("filter": {"category": {"$in": [1, 2, 3]}})"},
      {"category $in 5 rare", R"("filter": {"category": {"$in": [4001, 5003, 6007, 7011, 8017]}})"},
      {"score range 0.1%", R"("filter": {"score": {"$gte": 500000, "$lt": 501000}})"},
      {"score > 990000 (1%)", R"("filter": {"score": {"$gt": 990000}})"},
      {"score < 200000 (20%)", R"("filter": {"score": {"$lt": 200000}})"},
      {"score < 600000 (60%)", R"("filter": {"score": {"$lt": 600000}})"},
      {"status closed (1%)", R"("filter": {"status": "closed"})"},
      {"status active (90%)", R"("filter": {"status": "active"})"},
      {"pending & score > 900000", R"("filter": {"status": "pending", "score": {"$gt": 900000}})"},
      {"category 1 & score < 10000", R"("filter": {"category": 1, "score": {"$lt": 10000}})"},
      {"category 3 & closed", R"("filter": {"category": 3, "status": "closed"})"},
      {"tags common (t1, ~1/3)", R"("filter": {"tags": "t1"})"},
      {"tags rare (t400)", R"("filter": {"tags": "t400"})"},
      {"tags $in 3 rare", R"("filter": {"tags": {"$in": ["t300", "t301", "t302"]}})"},
      {"tags t1 & category 1234", R"("filter": {"tags": "t1", "category": 1234})"},
      {"created last 1%", absl::StrCat(R"("filter": {"created": {"$gte": )", last1, "}}")},
      {"created last 50%", absl::StrCat(R"("filter": {"created": {"$gte": )", half, "}}")},
      {"active, top 10 by score", R"("filter": {"status": "active"}, "sort": {"score": -1}, )"
                                  R"("limit": 10)"},
      {"all, top 20 by score", R"("filter": {}, "sort": {"score": 1}, "limit": 20)"},
      {"all, newest 5", R"("filter": {}, "sort": {"created": -1}, "limit": 5)"},
      {"category 1, newest 10", R"("filter": {"category": 1}, "sort": {"created": -1}, )"
                                R"("limit": 10)"},
      {"score > 500000, oldest 10", R"("filter": {"score": {"$gt": 500000}}, )"
                                    R"("sort": {"created": 1}, "limit": 10)"},
      {"score < 1000, oldest 10", R"("filter": {"score": {"$lt": 1000}}, )"
                                  R"("sort": {"created": 1}, "limit": 10)"},
      {"closed, newest 10 (correlated)", R"("filter": {"status": "closed"}, )"
                                         R"("sort": {"created": -1}, "limit": 10)"},
      {"closed by score, no limit", R"("filter": {"status": "closed"}, "sort": {"score": -1})"},
      {"category 2 by score, no limit", R"("filter": {"category": 2}, "sort": {"score": 1})"},
  };
}

const std::vector<std::pair<std::string, std::string>>& IndexSpecs() {
  static const auto* specs = new std::vector<std::pair<std::string, std::string>>{
      {"category_1", R"({"category": 1})"},
      {"score_1", R"({"score": 1})"},
      {"status_1_score_-1", R"({"status": 1, "score": -1})"},
      {"tags_1", R"({"tags": 1})"},
      {"created_1", R"({"created": 1})"},
      {"category_1_created_-1", R"({"category": 1, "created": -1})"},
  };
  return *specs;
}

// ---- measuring -------------------------------------------------------------------------------

struct PlanRun {
  std::string name;  // "chosen", "COLLSCAN" or an index name
  Document find;
  std::vector<double> rounds;
  int64_t returned = -1;
  bool stopped = false;
  double stopped_at = 0;
  std::string error;
  std::optional<Estimate> estimate;  // from the unhinted explain, when it was a candidate

  double Median() const {
    std::vector<double> sorted = rounds;
    std::sort(sorted.begin(), sorted.end());
    return sorted.empty() ? std::numeric_limits<double>::infinity() : sorted[sorted.size() / 2];
  }
  bool Measured() const { return !stopped && error.empty() && !rounds.empty(); }
};

struct QueryReport {
  std::string label;
  std::string chosen;
  double plan_ms = 0;           // explain queryPlanner: planning (index dives) without running
  double chosen_ms = 0;         // unhinted find: planning + the chosen plan
  double chosen_forced_ms = 0;  // the chosen plan forced by its hint: no dives into others
  std::string chosen_forced;    // its printed time ("> t" when it was stopped)
  std::string best;
  double best_ms = 0;
  double ratio = 0;         // chosen_ms / best_ms: what a user sees
  double choice_ratio = 0;  // chosen_forced_ms / best_ms: the choice alone
  int64_t returned = 0;
  bool mismatch = false;
};

double MedianOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// One round's value for `plan`: a run, plus more back to back when it is short.
void MeasureRound(strata::Database& db, PlanRun& plan, double cap_millis) {
  RunResult first = RunFind(db, plan.find, cap_millis);
  if (!first.error.empty()) {
    plan.error = first.error;
    return;
  }
  if (plan.returned < 0) plan.returned = first.returned;
  if (first.stopped || first.millis > cap_millis) {
    plan.stopped = true;
    plan.stopped_at = first.millis;
    plan.returned = first.returned;
    return;
  }
  std::vector<double> runs{first.millis};
  const int extra = first.millis < 2 ? 8 : first.millis < 20 ? 2 : 0;
  for (int i = 0; i < extra; ++i) runs.push_back(RunFind(db, plan.find, cap_millis).millis);
  plan.rounds.push_back(MedianOf(runs));
}

std::string FormatMillis(double ms) {
  if (ms >= 100) return absl::StrFormat("%.0f", ms);
  if (ms >= 10) return absl::StrFormat("%.1f", ms);
  return absl::StrFormat("%.2f", ms);
}

std::string FormatTime(const PlanRun& plan) {
  if (!plan.error.empty()) return "error";
  if (plan.stopped) return "> " + FormatMillis(plan.stopped_at);
  return FormatMillis(plan.Median());
}

QueryReport MeasureQuery(strata::Database& db, int number, const Query& query, int rounds) {
  const std::string base = absl::StrCat(R"({"find": ")", kCollection, R"(", )", query.body,
                                        R"(, "batchSize": )", kFindBatch);
  const std::string unhinted = base + "}";
  std::vector<PlanInfo> candidates = Explain(db, unhinted, "queryPlanner");
  if (candidates.empty()) Die("no plan for " + unhinted);
  const Document explain =
      Json(absl::StrCat(R"({"explain": )", unhinted, R"(, "verbosity": "queryPlanner"})"));
  std::vector<double> plan_rounds;

  std::vector<PlanRun> plans;
  plans.push_back({"chosen", Json(unhinted)});
  plans.push_back({"COLLSCAN", Json(base + R"(, "hint": {"$natural": 1}})")});
  for (const auto& [name, keys] : IndexSpecs()) {
    plans.push_back({name, Json(absl::StrCat(base, R"(, "hint": ")", name, R"("})"))});
  }
  for (PlanRun& plan : plans) {
    const std::string& access = plan.name == "chosen" ? candidates[0].access : plan.name;
    for (const PlanInfo& info : candidates) {
      if (info.access == access) plan.estimate = info.estimate;
    }
  }

  // Interleaved rounds: the chosen plan first, then every forced one.
  double best_so_far = std::numeric_limits<double>::infinity();
  for (int round = 0; round < rounds; ++round) {
    std::vector<double> explains;
    for (int i = 0; i < 5; ++i) {
      const Clock::time_point start = Clock::now();
      MustRun(db, explain.view());
      explains.push_back(MillisSince(start));
    }
    plan_rounds.push_back(MedianOf(explains));
    for (size_t i = 0; i < plans.size(); ++i) {
      PlanRun& plan = plans[i];
      if (plan.stopped || !plan.error.empty()) continue;
      const double cap =
          i == 0 ? std::numeric_limits<double>::infinity()
                 : std::min(kCapMillis, std::max(kCapFloorMillis, kCapFactor * best_so_far));
      MeasureRound(db, plan, cap);
      if (plan.Measured()) best_so_far = std::min(best_so_far, plan.rounds.back());
    }
  }

  QueryReport report;
  report.label = query.label;
  report.chosen = candidates[0].access;
  report.chosen_ms = plans[0].Median();
  report.returned = plans[0].returned;
  report.best_ms = std::numeric_limits<double>::infinity();
  for (size_t i = 1; i < plans.size(); ++i) {
    const PlanRun& plan = plans[i];
    if (!plan.stopped && plan.error.empty() && plan.returned != report.returned) {
      report.mismatch = true;
    }
    if (plan.Measured() && plan.Median() < report.best_ms) {
      report.best_ms = plan.Median();
      report.best = plan.name;
    }
  }
  report.ratio = report.chosen_ms / report.best_ms;
  report.plan_ms = MedianOf(plan_rounds);
  for (size_t i = 1; i < plans.size(); ++i) {
    if (plans[i].name != report.chosen) continue;
    report.chosen_forced_ms = plans[i].Median();
    report.chosen_forced = FormatTime(plans[i]);
  }
  report.choice_ratio = report.chosen_forced_ms / report.best_ms;

  // The detail block: every plan's time and, when it was a candidate, the planner's estimate.
  std::printf("\nQ%d  %s  (%lld documents; planning alone %s ms)\n    %s\n", number,
              query.label.c_str(), static_cast<long long>(report.returned),
              FormatMillis(report.plan_ms).c_str(), query.body.c_str());
  std::printf("    %-24s %10s %12s %12s %12s %12s  %s\n", "plan", "ms", "est. cost", "est. keys",
              "est. docs", "est. rows", "keys from");
  for (const PlanRun& plan : plans) {
    std::string name = plan.name == "chosen" ? "chosen: " + report.chosen : plan.name;
    std::string marks;
    if (plan.name == report.best) marks += "  <- best";
    if (!plan.error.empty()) marks += "  (" + plan.error + ")";
    if (plan.name != "chosen" && plan.error.empty() && !plan.stopped &&
        plan.returned != report.returned) {
      marks += absl::StrCat("  MISMATCH: ", plan.returned, " documents");
    }
    if (plan.estimate.has_value()) {
      std::printf("    %-24s %10s %12.0f %12.0f %12.0f %12.0f  %-14s%s\n", name.c_str(),
                  FormatTime(plan).c_str(), plan.estimate->cost, plan.estimate->keys,
                  plan.estimate->docs, plan.estimate->rows, plan.estimate->keys_from.c_str(),
                  marks.c_str());
    } else {
      std::printf("    %-24s %10s %12s %12s %12s %12s%s\n", name.c_str(), FormatTime(plan).c_str(),
                  "-", "-", "-", "-", marks.c_str());
    }
  }
  // A miss: what the chosen and the best plans actually examined.
  if (report.choice_ratio > kGoal && report.best != report.chosen) {
    for (const std::string& hint : {report.chosen, report.best}) {
      const std::string hinted = hint == "COLLSCAN"
                                     ? base + R"(, "hint": {"$natural": 1}})"
                                     : absl::StrCat(base, R"(, "hint": ")", hint, R"("})");
      std::vector<PlanInfo> executed = Explain(db, hinted, "executionStats");
      std::printf("    actual %-17s keysExamined %lld, docsExamined %lld\n", hint.c_str(),
                  static_cast<long long>(executed[0].keys_examined),
                  static_cast<long long>(executed[0].docs_examined));
    }
  }
  std::fflush(stdout);
  return report;
}

// ---- loading ---------------------------------------------------------------------------------

void Load(strata::Database& db, int64_t n) {
  strata::Collection collection = db.GetCollection(kDb, kCollection);
  std::mt19937_64 rng(20240607);
  const ZipfSampler categories(10000, 1.0);
  const ZipfSampler tags(500, 1.0);
  const Clock::time_point start = Clock::now();
  int64_t next_report = 100000;
  for (int64_t begin = 0; begin < n; begin += kInsertBatch) {
    std::vector<Document> docs;
    std::vector<DocumentView> views;
    for (int64_t id = begin; id < std::min(n, begin + kInsertBatch); ++id) {
      docs.push_back(MakeDocument(id, n, rng, categories, tags));
    }
    for (const Document& doc : docs) views.push_back(doc.view());
    auto inserted = collection.InsertMany(views);
    if (!inserted.ok()) Die("InsertMany: " + inserted.status().ToString());
    if (begin + kInsertBatch >= next_report || begin + kInsertBatch >= n) {
      std::fprintf(stderr, "loaded %lld documents (%.1f s)\n",
                   static_cast<long long>(std::min(n, begin + kInsertBatch)),
                   MillisSince(start) / 1000);
      next_report += 100000;
    }
  }
  for (const auto& [name, keys] : IndexSpecs()) {
    const Clock::time_point built = Clock::now();
    MustRun(db,
            Json(absl::StrCat(R"({"createIndexes": ")", kCollection, R"(", "indexes": [{"key": )",
                              keys, R"(, "name": ")", name, R"("}]})"))
                .view());
    std::fprintf(stderr, "built %s (%.1f s)\n", name.c_str(), MillisSince(built) / 1000);
  }
  if (EnvInt("STRATA_BENCH_ANALYZE", 1) != 0) {
    const Clock::time_point analyzed = Clock::now();
    MustRun(db, Json(absl::StrCat(R"({"analyze": ")", kCollection, R"("})")).view());
    std::printf("analyze: %.1f s (histograms of all six indexes)\n", MillisSince(analyzed) / 1000);
  } else {
    std::printf("analyze: skipped (STRATA_BENCH_ANALYZE=0): estimates by dives only\n");
  }
}

}  // namespace

int main() {
  const int64_t n = EnvInt("STRATA_BENCH_DOCS", 1000000);
  const int rounds = static_cast<int>(std::max<int64_t>(1, EnvInt("STRATA_BENCH_RUNS", 3)));
  if (n < 10000) Die("STRATA_BENCH_DOCS must be at least 10000");

  TempDir dir;
  strata::DatabaseOptions options;
  options.durability = strata::Durability::kRelaxed;
  options.ttl_monitor_interval_seconds = 0;
  options.auto_analyze = EnvInt("STRATA_BENCH_ANALYZE", 1) != 0;
  auto opened = strata::Database::Open(dir.path(), options);
  if (!opened.ok()) Die("open: " + opened.status().ToString());
  std::unique_ptr<strata::Database> db = *std::move(opened);

  std::printf("planner_bench: %lld documents, %d rounds, load average %s\n",
              static_cast<long long>(n), rounds, LoadAverage().c_str());
  Load(*db, n);
  // Warm the block cache with one pass over the documents.
  RunFind(*db,
          Json(absl::StrCat(R"({"find": ")", kCollection, R"(", "batchSize": )", kFindBatch, "}")),
          std::numeric_limits<double>::infinity());
  std::printf("loaded; measuring at load average %s\n", LoadAverage().c_str());

  const Clock::time_point start = Clock::now();
  std::vector<QueryReport> reports;
  const std::vector<Query> queries = Queries();
  for (size_t i = 0; i < queries.size(); ++i) {
    std::fprintf(stderr, "Q%zu/%zu %s\n", i + 1, queries.size(), queries[i].label.c_str());
    reports.push_back(MeasureQuery(*db, static_cast<int>(i + 1), queries[i], rounds));
  }

  // The summary, as a Markdown table.
  std::printf(
      "\n| # | query | docs | chosen plan | planning ms | chosen ms | chosen forced ms | "
      "best forced plan | best ms | chosen / best | chosen forced / best |\n"
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  int within = 0, choice_within = 0, same = 0, mismatches = 0;
  double worst = 0, worst_choice = 0;
  std::string worst_label, worst_choice_label;
  std::vector<double> ratios, choice_ratios;
  for (size_t i = 0; i < reports.size(); ++i) {
    const QueryReport& r = reports[i];
    const std::string label = absl::StrCat("Q", i + 1, " ", r.label);
    if (r.ratio <= kGoal) ++within;
    if (r.choice_ratio <= kGoal) ++choice_within;
    if (r.chosen == r.best) ++same;
    if (r.mismatch) ++mismatches;
    if (r.ratio > worst) {
      worst = r.ratio;
      worst_label = label;
    }
    if (r.choice_ratio > worst_choice) {
      worst_choice = r.choice_ratio;
      worst_choice_label = label;
    }
    ratios.push_back(r.ratio);
    choice_ratios.push_back(r.choice_ratio);
    std::printf("| %zu | %s | %lld | %s | %s | %s | %s | %s | %s | %.2f%s | %.2f%s |\n", i + 1,
                r.label.c_str(), static_cast<long long>(r.returned), r.chosen.c_str(),
                FormatMillis(r.plan_ms).c_str(), FormatMillis(r.chosen_ms).c_str(),
                r.chosen_forced.c_str(), r.best.c_str(), FormatMillis(r.best_ms).c_str(), r.ratio,
                r.ratio > kGoal ? " **miss**" : "", r.choice_ratio,
                r.choice_ratio > kGoal ? " **miss**" : "");
  }
  std::printf(
      "\nchosen (unhinted, planning included) / best forced: %d of %zu queries within %.1fx; "
      "median %.2f; worst %.2f (%s)\n",
      within, reports.size(), kGoal, MedianOf(ratios), worst, worst_label.c_str());
  std::printf(
      "chosen plan forced / best forced (the choice alone): %d of %zu within %.1fx; median %.2f; "
      "worst %.2f (%s)\n",
      choice_within, reports.size(), kGoal, MedianOf(choice_ratios), worst_choice,
      worst_choice_label.c_str());
  std::printf(
      "the chosen plan is the fastest forced plan for %d of %zu; %d result-count "
      "mismatches\n",
      same, reports.size(), mismatches);
  std::printf("measured in %.0f s; load average at the end %s\n", MillisSince(start) / 1000,
              LoadAverage().c_str());
  if (auto closed = db->Close(); !closed.ok()) Die("close: " + closed.ToString());
  return 0;
}
