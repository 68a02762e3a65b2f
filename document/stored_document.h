// The rules for documents that are stored in a collection, and the normal form they are
// stored in.
//
// A stored document: passes ValidateBson (16 MiB, depth 100, UTF-8, no duplicate names); has
// no top-level field name starting with '$'; has an `_id` that is not an array, a regular
// expression or undefined; and keeps `_id` as its first field. PrepareForStorage produces that
// form: it generates an ObjectId `_id` when the document has none and moves an existing `_id`
// to the front (MongoDB does the same).
#ifndef STRATA_DOCUMENT_STORED_DOCUMENT_H_
#define STRATA_DOCUMENT_STORED_DOCUMENT_H_

#include <bson/bson.h>

#include "absl/status/statusor.h"
#include "strata/document.h"

namespace strata::document {

// A new ObjectId (libbson's generator: timestamp, per-process random, counter). Thread-safe.
bson_oid_t NewObjectId();

// Validates `input` as a document to insert and returns it in stored form (see above).
// Errors: BSONObjectTooLarge, BadValue (invalid BSON, depth, '$' names, bad `_id` type).
absl::StatusOr<Document> PrepareForStorage(DocumentView input);

// Checks the rules for a document that will replace a stored one (same as PrepareForStorage
// but never generates an `_id`: the caller supplies the stored `_id` when `input` lacks it).
// `id` is the stored document's `_id` element; the result has it first.
absl::StatusOr<Document> PrepareReplacement(DocumentView input, const bson_iter_t& id);

// Finds the `_id` element of a stored document (its first field). False when absent.
bool FindId(DocumentView doc, bson_iter_t* id);

}  // namespace strata::document

#endif  // STRATA_DOCUMENT_STORED_DOCUMENT_H_
