#include "tests/support/crash_workload.h"

#include <bson/bson.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "strata/error.h"

namespace strata::testing {
namespace {

constexpr const char* kTagPool[] = {"red", "green", "blue", "x", "y", "z"};
constexpr char kExtraIndex[] = "c_1_u_1";
struct BaseIndex {
  const char* name;
  const char* keys;
  const char* options;
};
constexpr BaseIndex kBaseIndexes[] = {{"u_1", R"({"u": 1})", R"({"unique": true})"},
                                      {"a_1_c_-1", R"({"a": 1, "c": -1})", "{}"},
                                      {"tags_1", R"({"tags": 1})", "{}"}};

// Every workload document: {_id, a, c, pad, tags, u}: in this order, as an upsert builds it
// (MongoDB adds new fields in name order) and a $set of existing fields keeps it.
struct DocValue {
  int64_t id = 0;
  int32_t a = 0;
  int32_t c = 0;
  int64_t u = 0;
  std::vector<std::string> tags;
  std::string pad;

  Document ToDocument() const {
    Document doc;
    bson_t* b = doc.mutable_bson();
    bson_append_int64(b, "_id", 3, id);
    AppendFields(b, /*with_c=*/true);
    return doc;
  }
  // The fields after _id (with or without c), for $set.
  void AppendFields(bson_t* b, bool with_c) const {
    bson_append_int32(b, "a", 1, a);
    if (with_c) bson_append_int32(b, "c", 1, c);
    bson_append_utf8(b, "pad", 3, pad.data(), static_cast<int>(pad.size()));
    bson_t array;
    bson_append_array_begin(b, "tags", 4, &array);
    for (size_t i = 0; i < tags.size(); ++i) {
      std::string key = std::to_string(i);
      bson_append_utf8(&array, key.c_str(), -1, tags[i].data(), static_cast<int>(tags[i].size()));
    }
    bson_append_array_end(b, &array);
    bson_append_int64(b, "u", 1, u);
  }
  std::string Json() const { return ToDocument().ToJson(JsonMode::kCanonical); }

  static std::optional<DocValue> From(DocumentView view) {
    bson_t b;
    if (!view.AsBson(&b)) return std::nullopt;
    DocValue value;
    bson_iter_t it;
    if (!bson_iter_init(&it, &b)) return std::nullopt;
    int fields = 0;
    while (bson_iter_next(&it)) {
      ++fields;
      const std::string_view key = bson_iter_key(&it);
      if (key == "_id" && BSON_ITER_HOLDS_INT64(&it)) {
        value.id = bson_iter_int64(&it);
      } else if (key == "a" && BSON_ITER_HOLDS_INT32(&it)) {
        value.a = bson_iter_int32(&it);
      } else if (key == "c" && BSON_ITER_HOLDS_INT32(&it)) {
        value.c = bson_iter_int32(&it);
      } else if (key == "u" && BSON_ITER_HOLDS_INT64(&it)) {
        value.u = bson_iter_int64(&it);
      } else if (key == "tags" && BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_t child;
        if (!bson_iter_recurse(&it, &child)) return std::nullopt;
        while (bson_iter_next(&child)) {
          if (!BSON_ITER_HOLDS_UTF8(&child)) return std::nullopt;
          value.tags.emplace_back(bson_iter_utf8(&child, nullptr));
        }
      } else if (key == "pad" && BSON_ITER_HOLDS_UTF8(&it)) {
        uint32_t length = 0;
        const char* text = bson_iter_utf8(&it, &length);
        value.pad.assign(text, length);
      } else {
        return std::nullopt;
      }
    }
    if (fields != 6) return std::nullopt;
    return value;
  }
};

Document IdFilter(int64_t id) {
  Document doc;
  bson_append_int64(doc.mutable_bson(), "_id", 3, id);
  return doc;
}

Document UFilter(int64_t u) {
  Document doc;
  bson_append_int64(doc.mutable_bson(), "u", 1, u);
  return doc;
}

Document ParseOrEmpty(const char* json) {
  auto doc = Document::FromJson(json);
  return doc.ok() ? *std::move(doc) : Document();
}

// Appends one line with one write(2) (O_APPEND), optionally fdatasync'ed.
class LogWriter {
 public:
  absl::Status Open(const std::string& path, bool sync) {
    sync_ = sync;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return absl::UnavailableError(absl::StrCat("open ", path, ": ", errno));
    return absl::OkStatus();
  }
  ~LogWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Line(const std::string& line) {
    size_t done = 0;
    while (done < line.size()) {
      ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError(absl::StrCat("log write: ", errno));
      done += static_cast<size_t>(n);
    }
    if (sync_ && ::fdatasync(fd_) != 0) return absl::UnavailableError("log fdatasync");
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
  bool sync_ = true;
};

std::string DescribeProblem(int collection, const std::string& what) {
  return absl::StrCat(WorkloadCollection(collection), ": ", what);
}

}  // namespace

std::string WorkloadCollection(int i) { return absl::StrCat("c", i); }

bool WorkloadState::operator==(const WorkloadState& other) const {
  for (int i = 0; i < kWorkloadCollections; ++i) {
    if (docs[i] != other.docs[i] || indexes[i] != other.indexes[i]) return false;
  }
  return true;
}

absl::StatusOr<std::vector<LogRecord>> ReadLog(const std::string& path, uint64_t offset,
                                               uint64_t* end) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  *end = offset;
  std::vector<LogRecord> records;
  size_t at = std::min<size_t>(offset, text.size());
  while (true) {
    size_t newline = text.find('\n', at);
    if (newline == std::string::npos) break;
    std::string line = text.substr(at, newline - at);
    at = newline + 1;
    *end = at;
    if (line.empty()) continue;
    if (line[0] == 'A') {
      int64_t seq = std::strtoll(line.c_str() + 2, nullptr, 10);
      if (records.empty() || records.back().seq != seq || records.back().acked) {
        return absl::DataLossError(absl::StrCat("log: ACK ", seq, " without its BEGIN"));
      }
      records.back().acked = true;
      continue;
    }
    // B <seq> <op> <collection> <key> <value…>
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 5));
    if (parts.size() != 6 || parts[0] != "B") {
      return absl::DataLossError(absl::StrCat("log: malformed line: ", line.substr(0, 100)));
    }
    if (!records.empty() && !records.back().acked) {
      return absl::DataLossError(absl::StrCat("log: two BEGINs without an ACK at ", parts[1]));
    }
    LogRecord record;
    record.seq = std::strtoll(parts[1].c_str(), nullptr, 10);
    record.op = parts[2];
    record.collection = std::atoi(parts[3].c_str());
    record.key = parts[4];
    record.value = parts[5];
    records.push_back(std::move(record));
  }
  return records;
}

void ApplyRecord(const LogRecord& record, WorkloadState* state) {
  const int c = record.collection;
  if (record.op == "drc") {
    state->docs[c].clear();
    state->indexes[c].clear();
  } else if (record.op == "ci") {
    state->indexes[c].insert(record.key);
  } else if (record.op == "di") {
    state->indexes[c].erase(record.key);
  } else if (record.value == "-") {
    state->docs[c].erase(std::strtoll(record.key.c_str(), nullptr, 10));
  } else if (record.value != "=") {
    state->docs[c][std::strtoll(record.key.c_str(), nullptr, 10)] = record.value;
  }
}

int64_t LastLogSeq(const std::string& path) {
  uint64_t end = 0;
  auto records = ReadLog(path, 0, &end);
  if (!records.ok() || records->empty()) return 0;
  return records->back().seq;
}

absl::StatusOr<ObservedState> ReadWorkloadState(Database& db) {
  ObservedState observed;
  for (int c = 0; c < kWorkloadCollections; ++c) {
    Collection collection = db.GetCollection(kWorkloadDb, WorkloadCollection(c));
    std::set<int64_t> unique_values;
    {
      auto cursor = collection.Find(DocumentView());
      if (!cursor.ok()) return cursor.status();
      while (true) {
        auto next = cursor->Next();
        if (!next.ok()) return next.status();
        if (!next->has_value()) break;
        std::optional<DocValue> value = DocValue::From((*next)->view());
        if (!value.has_value()) {
          observed.problems.push_back(
              DescribeProblem(c, "a document nobody wrote: " + (*next)->ToJson().substr(0, 200)));
          continue;
        }
        if (!unique_values.insert(value->u).second) {
          observed.problems.push_back(
              DescribeProblem(c, absl::StrCat("unique value u=", value->u, " appears twice")));
        }
        observed.state.docs[c][value->id] = (*next)->ToJson(JsonMode::kCanonical);
      }
    }
    auto count = collection.CountDocuments();
    if (!count.ok()) return count.status();
    if (*count != static_cast<int64_t>(observed.state.docs[c].size())) {
      observed.problems.push_back(
          DescribeProblem(c, absl::StrCat("CountDocuments says ", *count, ", the scan found ",
                                          observed.state.docs[c].size())));
    }
    auto indexes = collection.ListIndexes();
    if (!indexes.ok()) {
      if (MongoErrorCodeName(indexes.status()) == "NamespaceNotFound") continue;
      return indexes.status();
    }
    for (size_t i = 1; i < indexes->size(); ++i) {
      bson_iter_t name;
      if (bson_iter_init_find(&name, (*indexes)[i].bson(), "name") && BSON_ITER_HOLDS_UTF8(&name)) {
        observed.state.indexes[c].insert(bson_iter_utf8(&name, nullptr));
      }
    }
    Document command;
    bson_append_utf8(command.mutable_bson(), "validate", -1, WorkloadCollection(c).c_str(), -1);
    bson_append_bool(command.mutable_bson(), "full", -1, true);
    bson_append_utf8(command.mutable_bson(), "$db", -1, kWorkloadDb, -1);
    Document reply = db.RunCommand(command.view());
    bson_iter_t valid;
    if (!bson_iter_init_find(&valid, reply.bson(), "valid") || !BSON_ITER_HOLDS_BOOL(&valid) ||
        !bson_iter_bool(&valid)) {
      observed.problems.push_back(
          DescribeProblem(c, "validate: " + reply.ToJson().substr(0, 1500)));
    }
  }
  return observed;
}

std::vector<std::string> CompareWorkloadState(const WorkloadState& observed,
                                              const WorkloadState& expected,
                                              const std::optional<LogRecord>& in_flight) {
  std::optional<WorkloadState> alternative;
  if (in_flight.has_value()) {
    alternative = expected;
    ApplyRecord(*in_flight, &*alternative);
  }
  std::vector<std::string> problems;
  auto describe = [](const std::map<int64_t, std::string>& docs, int64_t id) {
    auto it = docs.find(id);
    return it == docs.end() ? std::string("absent") : it->second.substr(0, 300);
  };
  for (int c = 0; c < kWorkloadCollections; ++c) {
    std::set<int64_t> ids;
    for (const auto& [id, json] : observed.docs[c]) ids.insert(id);
    for (const auto& [id, json] : expected.docs[c]) ids.insert(id);
    for (int64_t id : ids) {
      const std::string got = describe(observed.docs[c], id);
      const std::string want = describe(expected.docs[c], id);
      if (got == want) continue;
      if (alternative.has_value() && got == describe(alternative->docs[c], id)) continue;
      if (problems.size() < 10) {
        problems.push_back(
            DescribeProblem(c, absl::StrCat("_id ", id, ": got ", got, ", want ", want)));
      }
    }
    if (observed.indexes[c] != expected.indexes[c] &&
        !(alternative.has_value() && observed.indexes[c] == alternative->indexes[c])) {
      auto join = [](const std::set<std::string>& names) {
        std::string text;
        for (const std::string& name : names) absl::StrAppend(&text, name, " ");
        return text;
      };
      problems.push_back(
          DescribeProblem(c, absl::StrCat("indexes: got [", join(observed.indexes[c]), "], want [",
                                          join(expected.indexes[c]), "]")));
    }
  }
  if (!problems.empty() && in_flight.has_value()) {
    problems.push_back(absl::StrCat("in flight: ", in_flight->seq, " ", in_flight->op, " ",
                                    WorkloadCollection(in_flight->collection), " ",
                                    in_flight->key));
  }
  return problems;
}

absl::StatusOr<int64_t> RunWorkload(Database& db, const std::string& log_path,
                                    const WorkloadOptions& options) {
  LogWriter log;
  if (absl::Status opened = log.Open(log_path, options.fsync_log); !opened.ok()) return opened;
  std::mt19937_64 rng(options.seed);
  int64_t seq = options.first_seq;
  int64_t done = 0;
  auto begin = [&](const char* op, int c, const std::string& key,
                   const std::string& value) -> absl::Status {
    return log.Line(absl::StrCat("B ", seq, " ", op, " ", c, " ", key, " ", value, "\n"));
  };
  auto ack = [&]() -> absl::Status {
    absl::Status status = log.Line(absl::StrCat("A ", seq, "\n"));
    ++seq;
    ++done;
    return status;
  };
  auto unexpected = [&](const char* what, const absl::Status& status) {
    // The operation's own code, so callers can check the error is typed.
    return absl::Status(status.ok() ? absl::StatusCode::kInternal : status.code(),
                        absl::StrCat("op ", seq, " (", what, "): ", status.ToString()));
  };

  // The current state, as this process found it.
  auto observed = ReadWorkloadState(db);
  if (!observed.ok()) return observed.status();
  if (!observed->problems.empty()) {
    return absl::DataLossError("bad start state: " + observed->problems.front());
  }
  std::map<int64_t, DocValue> docs[kWorkloadCollections];
  std::vector<int64_t> live[kWorkloadCollections];
  int64_t next_id[kWorkloadCollections] = {};
  for (int c = 0; c < kWorkloadCollections; ++c) {
    for (const auto& [id, json] : observed->state.docs[c]) {
      auto doc = Document::FromJson(json);
      if (!doc.ok()) return doc.status();
      std::optional<DocValue> value = DocValue::From(doc->view());
      if (!value.has_value()) return absl::DataLossError("unparsable start document");
      docs[c][id] = *value;
      live[c].push_back(id);
      next_id[c] = id + 1;
    }
  }
  auto random_doc = [&](int64_t id) {
    DocValue value;
    value.id = id;
    value.a = static_cast<int32_t>(rng() % 10);
    value.c = static_cast<int32_t>(rng() % 1000);
    value.u = static_cast<int64_t>(rng() >> 2);
    const size_t tags = 1 + rng() % 3;
    for (size_t i = 0; i < tags; ++i) value.tags.emplace_back(kTagPool[rng() % 6]);
    value.pad.assign(rng() % 300, static_cast<char>('a' + rng() % 26));
    return value;
  };
  auto keep_going = [&]() { return !options.keep_going || options.keep_going(seq); };
  auto stop = [&]() { return (options.max_ops >= 0 && done >= options.max_ops) || !keep_going(); };

  // The base indexes (a no-op when they exist).
  for (int c = 0; c < kWorkloadCollections && !stop(); ++c) {
    for (const BaseIndex& index : kBaseIndexes) {
      if (observed->state.indexes[c].contains(index.name) || stop()) continue;
      RETURN_IF_ERROR(begin("ci", c, index.name, "-"));
      Collection collection = db.GetCollection(kWorkloadDb, WorkloadCollection(c));
      auto created = collection.CreateIndex(ParseOrEmpty(index.keys).view(),
                                            ParseOrEmpty(index.options).view());
      if (!created.ok()) return unexpected("createIndex", created.status());
      RETURN_IF_ERROR(ack());
    }
  }
  bool extra[kWorkloadCollections];
  for (int c = 0; c < kWorkloadCollections; ++c) {
    extra[c] = observed->state.indexes[c].contains(kExtraIndex);
  }

  while (!stop()) {
    const int c = static_cast<int>(rng() % kWorkloadCollections);
    Collection collection = db.GetCollection(kWorkloadDb, WorkloadCollection(c));
    uint64_t dice = rng() % 100;
    if (live[c].size() < 5 && dice >= 30 && dice < 94) dice = 0;  // insert first
    if (live[c].size() > 150 && dice < 30) dice = 50;             // then shrink
    const size_t victim = live[c].empty() ? 0 : rng() % live[c].size();
    const int64_t victim_id = live[c].empty() ? 0 : live[c][victim];
    if (dice < 30) {  // insert
      DocValue value = random_doc(next_id[c]++);
      RETURN_IF_ERROR(begin("ins", c, std::to_string(value.id), value.Json()));
      auto inserted = collection.InsertOne(value.ToDocument().view());
      if (!inserted.ok()) return unexpected("insert", inserted.status());
      docs[c][value.id] = value;
      live[c].push_back(value.id);
    } else if (dice < 50) {  // $set update, by _id or by the unique field
      DocValue value = random_doc(victim_id);
      value.c = docs[c][victim_id].c;
      Document update;
      bson_t set;
      bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
      value.AppendFields(&set, /*with_c=*/false);
      bson_append_document_end(update.mutable_bson(), &set);
      RETURN_IF_ERROR(begin("upd", c, std::to_string(victim_id), value.Json()));
      Document filter = rng() % 2 ? IdFilter(victim_id) : UFilter(docs[c][victim_id].u);
      auto updated = collection.UpdateOne(filter.view(), update.view());
      if (!updated.ok()) return unexpected("update", updated.status());
      if (updated->matched != 1) return unexpected("update", absl::NotFoundError("no match"));
      docs[c][victim_id] = value;
    } else if (dice < 62) {  // delete, by _id or by the unique field
      RETURN_IF_ERROR(begin("del", c, std::to_string(victim_id), "-"));
      Document filter = rng() % 2 ? IdFilter(victim_id) : UFilter(docs[c][victim_id].u);
      auto deleted = collection.DeleteOne(filter.view());
      if (!deleted.ok()) return unexpected("delete", deleted.status());
      if (*deleted != 1) return unexpected("delete", absl::NotFoundError("nothing deleted"));
      docs[c].erase(victim_id);
      live[c][victim] = live[c].back();
      live[c].pop_back();
    } else if (dice < 74) {  // upsert of an existing or a new _id
      const bool fresh = rng() % 2 == 0;
      const int64_t id = fresh ? next_id[c]++ : victim_id;
      DocValue value = random_doc(id);
      Document update;
      bson_t set;
      bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
      value.AppendFields(&set, /*with_c=*/true);
      bson_append_document_end(update.mutable_bson(), &set);
      RETURN_IF_ERROR(begin("ups", c, std::to_string(id), value.Json()));
      UpdateOptions upsert;
      upsert.upsert = true;
      auto updated = collection.UpdateOne(IdFilter(id).view(), update.view(), upsert);
      if (!updated.ok()) return unexpected("upsert", updated.status());
      if (updated->upserted_id.has_value() != fresh) {
        return unexpected("upsert", absl::InternalError("upserted when it should not or not"));
      }
      if (fresh) live[c].push_back(id);
      docs[c][id] = value;
    } else if (dice < 86) {  // findAndModify: $inc c, $set pad, return the new document
      DocValue value = docs[c][victim_id];
      value.c += 1;
      value.pad.assign(rng() % 200, static_cast<char>('a' + rng() % 26));
      Document update;
      bson_t inc, set;
      bson_append_document_begin(update.mutable_bson(), "$inc", 4, &inc);
      bson_append_int32(&inc, "c", 1, 1);
      bson_append_document_end(update.mutable_bson(), &inc);
      bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
      bson_append_utf8(&set, "pad", 3, value.pad.data(), static_cast<int>(value.pad.size()));
      bson_append_document_end(update.mutable_bson(), &set);
      const std::string json = value.Json();
      RETURN_IF_ERROR(begin("fam", c, std::to_string(victim_id), json));
      FindOneAndUpdateOptions fam;
      fam.return_new = true;
      auto result = collection.FindOneAndUpdate(IdFilter(victim_id).view(), update.view(), fam);
      if (!result.ok()) return unexpected("findAndModify", result.status());
      if (!result->has_value() || (*result)->ToJson(JsonMode::kCanonical) != json) {
        return unexpected("findAndModify", absl::InternalError("returned another document"));
      }
      docs[c][victim_id] = value;
    } else if (dice < 94) {  // an insert that the unique index must refuse
      DocValue value = random_doc(next_id[c]++);
      value.u = docs[c][victim_id].u;
      RETURN_IF_ERROR(begin("dup", c, std::to_string(value.id), "="));
      auto inserted = collection.InsertOne(value.ToDocument().view());
      if (MongoErrorCode(inserted.status()) != 11000) {
        return unexpected("duplicate insert",
                          inserted.ok() ? absl::InternalError("accepted") : inserted.status());
      }
    } else if (rng() % 6 == 0) {  // drop the collection, then recreate its base indexes
      RETURN_IF_ERROR(begin("drc", c, "-", "-"));
      Document command;
      bson_append_utf8(command.mutable_bson(), "drop", 4, WorkloadCollection(c).c_str(), -1);
      bson_append_utf8(command.mutable_bson(), "$db", 3, kWorkloadDb, -1);
      Document reply = db.RunCommand(command.view());
      bson_iter_t ok;
      if (!bson_iter_init_find(&ok, reply.bson(), "ok") || bson_iter_as_double(&ok) != 1.0) {
        // The command layer has no code for I/O errors: recover the type from the message.
        const std::string text = reply.ToJson();
        return unexpected(
            "drop", text.find("disk full") != std::string::npos ? absl::ResourceExhaustedError(text)
                    : text.find("IO error") != std::string::npos ? absl::UnavailableError(text)
                                                                 : absl::InternalError(text));
      }
      RETURN_IF_ERROR(ack());
      docs[c].clear();
      live[c].clear();
      extra[c] = false;
      for (const BaseIndex& index : kBaseIndexes) {
        RETURN_IF_ERROR(begin("ci", c, index.name, "-"));
        auto created = collection.CreateIndex(ParseOrEmpty(index.keys).view(),
                                              ParseOrEmpty(index.options).view());
        if (!created.ok()) return unexpected("createIndex", created.status());
        if (index.name != std::string_view(kBaseIndexes[2].name)) RETURN_IF_ERROR(ack());
      }
    } else {  // create or drop the extra index
      if (extra[c]) {
        RETURN_IF_ERROR(begin("di", c, kExtraIndex, "-"));
        absl::Status dropped = collection.DropIndex(kExtraIndex);
        if (!dropped.ok()) return unexpected("dropIndex", dropped);
      } else {
        RETURN_IF_ERROR(begin("ci", c, kExtraIndex, "-"));
        auto created = collection.CreateIndex(ParseOrEmpty(R"({"c": 1, "u": 1})").view());
        if (!created.ok()) return unexpected("createIndex", created.status());
      }
      extra[c] = !extra[c];
    }
    RETURN_IF_ERROR(ack());
  }
  return done;
}

}  // namespace strata::testing
