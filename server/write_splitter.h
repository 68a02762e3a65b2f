// Splitting write commands that arrive larger than one command document may be.
//
// Drivers batch up to maxMessageSizeBytes (48 MB) of documents into one OP_MSG document
// sequence, but the command layer takes commands of at most 16 MiB + 16 KiB. An insert, update
// or delete whose merged command is larger is run here as consecutive commands of at most
// 16 MiB each, and their replies are merged into one as MongoDB would have answered: n and
// nModified summed, writeErrors and upserted with indexes relative to the whole batch; an
// ordered batch stops after the first chunk with a write error.
// Atomicity: as for one command, each document (statement) is atomic and a batch is not.
#ifndef STRATA_SERVER_WRITE_SPLITTER_H_
#define STRATA_SERVER_WRITE_SPLITTER_H_

#include <bson/bson.h>

#include <functional>
#include <optional>
#include <string_view>

#include "strata/document.h"

namespace strata::server {

// nullopt when `command` is not an oversized insert/update/delete (run it as it is);
// otherwise the merged reply of its chunks, each run by `run`.
std::optional<Document> RunSplitWrite(const bson_t& command, std::string_view name,
                                      const std::function<Document(DocumentView)>& run);

}  // namespace strata::server

#endif  // STRATA_SERVER_WRITE_SPLITTER_H_
