// The shell's collection shorthand turned into command documents: db.c.find(…).sort(…),
// insertOne, updateMany, aggregate, createIndex, explain(), … → the `find`, `insert`, `update`,
// `aggregate`, `createIndexes`, `explain` … command mongosh would send, plus how to print its
// reply. Pure functions: nothing here touches a database.
#ifndef STRATA_TOOLS_TRANSFER_SHELL_METHODS_H_
#define STRATA_TOOLS_TRANSFER_SHELL_METHODS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/document.h"
#include "tools/transfer/relaxed_json.h"
#include "tools/transfer/shell_parser.h"

namespace strata::tools {

// How a shorthand's reply is printed.
enum class ShellOutput {
  kCursor,     // documents of a cursor, 20 at a time ("it" for more)
  kOne,        // findOne: the document or null
  kInsert,     // { acknowledged, insertedId(s) }
  kUpdate,     // { acknowledged, insertedId, matchedCount, modifiedCount, upsertedCount }
  kDelete,     // { acknowledged, deletedCount }
  kCount,      // a number
  kDistinct,   // the values array
  kIndexName,  // createIndex: the index name
  kIndexes,    // getIndexes: the index specs
  kReply,      // the whole reply
  kBool,       // drop: true, or false when the collection did not exist
};

struct ShellCommand {
  Document command;  // what to run (already wrapped in {explain: …} when `explain`)
  ShellOutput output = ShellOutput::kReply;
  bool all = false;        // .toArray(): every batch at once
  bool explain = false;    // print the explain reply as it is
  bool single_id = false;  // insertOne: print insertedId (insertMany: insertedIds)
  Document extra;          // insert: {"0": _id, …} of the documents sent; createIndex: {v: name}
};

// The command of db.<collection>.<calls…>. Errors name the method and the bad argument.
absl::StatusOr<ShellCommand> BuildCollectionCommand(const std::string& collection,
                                                    const std::vector<ShellCall>& calls,
                                                    int page_size);

// A document {v: value}: how a JsonValue of any kind becomes a BSON value.
absl::StatusOr<Document> JsonValueHolder(const JsonValue& value);

// Builds a command document field by field.
class CommandBuilder {
 public:
  CommandBuilder() = default;
  // Starts with {name: collection}.
  CommandBuilder(const char* name, const std::string& collection);
  absl::Status Add(const char* key, const JsonValue& value);
  void AddDocument(const char* key, const Document& doc);
  // A number as int32 when it fits (as mongosh sends and prints it), else int64.
  void AddInt64(const char* key, int64_t v);
  void AddBool(const char* key, bool v);
  void AddString(const char* key, const std::string& v);
  void AddValue(const char* key, const bson_iter_t& it);
  bson_t* b() { return doc_.mutable_bson(); }
  Document Take() { return std::move(doc_); }

 private:
  Document doc_;
};

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_SHELL_METHODS_H_
