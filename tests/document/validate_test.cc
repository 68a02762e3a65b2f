// document::ValidateBson: the strict, non-recursive validator in front of every entry point.
// Inputs are raw bytes built here (so they can be wrong in exactly one way) and the bsondump
// test files of the MongoDB Database Tools (tests/data/bsondump).
#include "document/validate.h"

#include <bson/bson.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "strata/error.h"
#include "tests/support/test_util.h"

namespace strata::document {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kBsonDumpData = std::string(STRATA_TEST_DATA_DIR) + "/bsondump/";

// ---- byte builders ------------------------------------------------------------------------

std::string Le32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// A document around already encoded elements.
std::string Doc(const std::string& elements) {
  return Le32(static_cast<uint32_t>(4 + elements.size() + 1)) + elements + '\0';
}

std::string Element(uint8_t type, const std::string& name, const std::string& value) {
  return std::string(1, static_cast<char>(type)) + name + '\0' + value;
}

// The value bytes of a BSON string (length, bytes, NUL).
std::string StringValue(const std::string& text) {
  return Le32(static_cast<uint32_t>(text.size() + 1)) + text + '\0';
}

std::string Utf8(const std::string& name, const std::string& text) {
  return Element(BSON_TYPE_UTF8, name, StringValue(text));
}
std::string Int32(const std::string& name, int32_t v) {
  return Element(BSON_TYPE_INT32, name, Le32(static_cast<uint32_t>(v)));
}
std::string SubDoc(const std::string& name, const std::string& elements) {
  return Element(BSON_TYPE_DOCUMENT, name, Doc(elements));
}
std::string Array(const std::string& name, const std::string& elements) {
  return Element(BSON_TYPE_ARRAY, name, Doc(elements));
}

// {a: {a: … {} …}} with `depth` levels of embedded documents (the top level is depth 0),
// built without quadratic copying: the prefixes, the innermost {}, then the terminators.
std::string NestedDocument(int depth, uint8_t type = BSON_TYPE_DOCUMENT) {
  std::string out;
  out.reserve(static_cast<size_t>(depth) * 8 + 5);
  for (int level = depth; level >= 1; --level) {
    out += Le32(static_cast<uint32_t>(5 + 8 * level));
    out += static_cast<char>(type);
    out += type == BSON_TYPE_ARRAY && level != depth ? "0" : "a";
    out += '\0';
  }
  out += Le32(5);
  out += '\0';
  out.append(static_cast<size_t>(depth), '\0');
  return out;
}

absl::Status Validate(const std::string& bytes, const ValidateOptions& options = {}) {
  return ValidateBson(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), options);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Splits a file of concatenated BSON documents by their length prefixes. A prefix that does
// not fit (a cut-off or garbage document) becomes the last piece, holding all remaining bytes.
std::vector<std::string> SplitDocuments(const std::string& bytes) {
  std::vector<std::string> docs;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 4) {
      docs.push_back(bytes.substr(pos));
      break;
    }
    uint32_t length = static_cast<uint8_t>(bytes[pos]) |
                      (static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + 1])) << 8) |
                      (static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + 2])) << 16) |
                      (static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + 3])) << 24);
    if (length < 5 || length > bytes.size() - pos) {
      docs.push_back(bytes.substr(pos));
      break;
    }
    docs.push_back(bytes.substr(pos, length));
    pos += length;
  }
  return docs;
}

// The status of the first document of `file` that fails, or OK; `count` gets the number of
// documents (pieces) in the file.
absl::Status ValidateFile(const std::string& file, size_t* count = nullptr,
                          const ValidateOptions& options = {}) {
  std::vector<std::string> docs = SplitDocuments(ReadFile(kBsonDumpData + file));
  if (count != nullptr) *count = docs.size();
  for (const std::string& doc : docs) {
    absl::Status status = Validate(doc, options);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

MATCHER_P(HasMongoCode, code, "") {
  *result_listener << "status is " << arg;
  return MongoErrorCode(arg) == code;
}

// Every failure of the validator is InvalidBSON (22) naming the problem, except size (10334)
// and depth (Overflow, 15).
auto Invalid(const std::string& problem) {
  return AllOf(StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(problem)), HasMongoCode(22));
}
auto TooDeep(const std::string& path) {
  return AllOf(StatusIs(absl::StatusCode::kInvalidArgument,
                        AllOf(HasSubstr("BSONObj exceeds maximum nested object depth"),
                              HasSubstr("at '" + path))),
               HasMongoCode(15));
}

// ---- good documents -----------------------------------------------------------------------

TEST(ValidateBsonTest, SimpleDocumentsPass) {
  EXPECT_OK(Validate(Doc("")));
  EXPECT_OK(Validate(Doc(Int32("a", 1) + Utf8("b", "text") + SubDoc("c", Int32("d", 2)))));
  EXPECT_OK(Validate(Doc(Array("arr", Int32("0", 1) + Int32("1", 2)))));
  // Arrays are not checked for repeated or out-of-sequence keys (bsondump accepts them too).
  EXPECT_OK(Validate(Doc(Array("arr", Int32("0", 1) + Int32("0", 2)))));
}

TEST(ValidateBsonTest, DocumentsBuiltByLibbsonPass) {
  Document doc = testing::Json(R"({
      "_id": {"$oid": "546651e74bf6e4cb017c5312"}, "d": 1.5, "s": "héllo € 𝄞", "i": 1,
      "l": {"$numberLong": "9000000000"}, "dec": {"$numberDecimal": "1.10"}, "b": true,
      "n": null, "date": {"$date": "2020-01-01T00:00:00Z"}, "ts": {"$timestamp": {"t": 1, "i": 2}},
      "re": {"$regularExpression": {"pattern": "^a.*é", "options": "i"}},
      "bin": {"$binary": {"base64": "AAEC", "subType": "00"}},
      "uuid": {"$binary": {"base64": "AAAAAAAAAAAAAAAAAAAAAA==", "subType": "04"}},
      "min": {"$minKey": 1}, "max": {"$maxKey": 1}, "code": {"$code": "function() {}"},
      "sub": {"arr": [1, [2, [3]], {"x": "y"}]}, "empty": {}, "emptyArr": []})");
  EXPECT_OK(ValidateBson(doc.view()));
}

TEST(ValidateBsonTest, BsonDumpSampleFilesPass) {
  size_t count = 0;
  EXPECT_OK(ValidateFile("sample.bson", &count));
  EXPECT_EQ(count, 4u);
  EXPECT_OK(ValidateFile("all_types.bson", &count));
  EXPECT_EQ(count, 20u);
  EXPECT_OK(ValidateFile("all_in_one_doc.bson", &count));
  EXPECT_EQ(count, 1u);
}

// broken_array.bson: an array's keys run "0", "1", "9", "3". Structurally valid BSON; bsondump
// --objcheck accepts it, and so does our validator (array keys are not checked).
TEST(ValidateBsonTest, BsonDumpBrokenArrayIsStructurallyValid) {
  size_t count = 0;
  EXPECT_OK(ValidateFile("broken_array.bson", &count));
  EXPECT_EQ(count, 20u);
}

// invalid_field_name.bson: sample.bson with the second document's "_id" renamed "a.d", plus a
// stray newline byte at the end of the file. Dots are legal in BSON and in stored documents
// since MongoDB 5.0, so the four documents are valid; the trailing byte is not a document.
TEST(ValidateBsonTest, BsonDumpDottedFieldNameIsValidButTheFileHasATrailingByte) {
  std::vector<std::string> docs =
      SplitDocuments(ReadFile(kBsonDumpData + "invalid_field_name.bson"));
  ASSERT_EQ(docs.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_OK(Validate(docs[i])) << "document " << i;
  EXPECT_NE(docs[1].find(std::string("a.d\0", 4)), std::string::npos);
  EXPECT_EQ(docs[4], "\n");
  EXPECT_THAT(Validate(docs[4]), Invalid("at least 5 bytes"));
}

// deep_nested.bson: one document, {sub: {sub: …}} 500 levels deep: valid BSON, too deep.
TEST(ValidateBsonTest, BsonDumpDeepNestedIsTooDeepButOtherwiseValid) {
  EXPECT_THAT(ValidateFile("deep_nested.bson"), TooDeep("sub.sub.sub"));
  ValidateOptions deep;
  deep.max_depth = 1000;
  EXPECT_OK(ValidateFile("deep_nested.bson", nullptr, deep));
}

// ---- bad bsondump files -------------------------------------------------------------------

TEST(ValidateBsonTest, BsonDumpBadCStringFails) {
  // The NUL after field name "b" became 0x01: the name runs on and the string's length is read
  // from the wrong bytes.
  EXPECT_THAT(ValidateFile("bad_cstring.bson"), Invalid("out of bounds"));
}

TEST(ValidateBsonTest, BsonDumpBadTypeFails) {
  EXPECT_THAT(ValidateFile("bad_type.bson"), Invalid("unknown BSON type 0xaa"));
}

TEST(ValidateBsonTest, BsonDumpPartialFileFails) {
  size_t count = 0;
  // Two whole documents, then the first 13 bytes of a 48-byte one.
  EXPECT_THAT(ValidateFile("partial_file.bson", &count),
              Invalid("length prefix says 48 bytes but 13 were given"));
  EXPECT_EQ(count, 3u);
}

TEST(ValidateBsonTest, BsonDumpRandomBytesFail) {
  EXPECT_THAT(ValidateFile("random_bytes.bson"), Invalid("length prefix"));
}

// ---- structure ----------------------------------------------------------------------------

TEST(ValidateBsonTest, TooShortOrUnterminatedFails) {
  EXPECT_THAT(Validate(""), Invalid("at least 5 bytes"));
  EXPECT_THAT(Validate(std::string("\x04\x00\x00\x00", 4)), Invalid("at least 5 bytes"));
  EXPECT_THAT(Validate(std::string("\x05\x00\x00\x00\x01", 5)), Invalid("NUL"));
}

TEST(ValidateBsonTest, LengthPrefixMismatchFails) {
  std::string doc = Doc(Int32("a", 1));
  EXPECT_THAT(Validate(doc + '\0'), Invalid("length prefix says 12 bytes but 13 were given"));
  EXPECT_THAT(Validate(doc.substr(0, doc.size() - 1)), Invalid("length prefix"));
  std::string bigger = doc;
  bigger[0] = static_cast<char>(bigger[0] + 1);
  EXPECT_THAT(Validate(bigger), Invalid("length prefix"));
  std::string negative = doc;
  negative.replace(0, 4, Le32(0xffffffffu));
  EXPECT_THAT(Validate(negative), Invalid("length prefix"));
}

TEST(ValidateBsonTest, EmbeddedLengthMismatchFails) {
  std::string inner = Doc(Int32("x", 1));
  std::string too_long = inner;
  too_long[0] = static_cast<char>(too_long[0] + 4);
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_DOCUMENT, "sub", too_long))),
              Invalid("out of bounds"));
  std::string too_short = inner;
  too_short[0] = static_cast<char>(too_short[0] - 1);
  EXPECT_FALSE(Validate(Doc(Element(BSON_TYPE_DOCUMENT, "sub", too_short))).ok());
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_DOCUMENT, "sub", Le32(3) + std::string(1, '\0')))),
              Invalid("sub"));
}

TEST(ValidateBsonTest, ValuesRunningPastTheirDocumentFail) {
  // An int32 with two bytes, an int64 with four, a truncated ObjectId.
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_INT32, "a", "\x01\x02"))), Invalid("past the end"));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_INT64, "a", "\x01\x02\x03\x04"))),
              Invalid("past the end"));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_OID, "a", "0123456789"))), Invalid("past the end"));
  // A field name with no NUL before the document's end.
  std::string no_name_end = Le32(9) +
                            std::string(
                                "\x10"
                                "abc",
                                4) +
                            '\0';
  EXPECT_THAT(Validate(no_name_end), Invalid("field name"));
}

TEST(ValidateBsonTest, BadStringsFail) {
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_UTF8, "s", Le32(0) + std::string(1, '\0')))),
              Invalid("length is out of bounds"));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_UTF8, "s", Le32(100) + "ab" + '\0'))),
              Invalid("length is out of bounds"));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_UTF8, "s", Le32(3) + "abc"))),
              Invalid("not NUL-terminated"));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_UTF8, "s", Le32(0x80000000u) + "ab" + '\0'))),
              Invalid("out of bounds"));
}

TEST(ValidateBsonTest, UnknownTypeAndNulTypeFail) {
  EXPECT_THAT(Validate(Doc(Element(0x20, "a", ""))), Invalid("unknown BSON type 0x20"));
  // A 0 type byte before the end: the document ends early, the remaining bytes are garbage.
  EXPECT_FALSE(Validate(Doc(std::string(1, '\0') + Int32("a", 1))).ok());
}

TEST(ValidateBsonTest, BooleanMustBeZeroOrOne) {
  EXPECT_OK(Validate(Doc(Element(BSON_TYPE_BOOL, "t", std::string(1, '\x01')))));
  EXPECT_OK(Validate(Doc(Element(BSON_TYPE_BOOL, "f", std::string(1, '\x00')))));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_BOOL, "flag", std::string(1, '\x02')))),
              Invalid("boolean"));
  EXPECT_THAT(Validate(Doc(SubDoc("x", Element(BSON_TYPE_BOOL, "flag", "\xff")))),
              Invalid("x.flag"));
}

TEST(ValidateBsonTest, BinaryLengthsAreChecked) {
  EXPECT_OK(Validate(Doc(Element(BSON_TYPE_BINARY, "b", Le32(2) + '\0' + "xy"))));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_BINARY, "b", Le32(50) + '\0' + "xy"))),
              Invalid("binary"));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_BINARY, "b", Le32(0xfffffff0u) + '\0' + "xy"))),
              Invalid("binary"));
  // Old binary (subtype 2) repeats the length inside.
  EXPECT_OK(Validate(Doc(Element(BSON_TYPE_BINARY, "b", Le32(6) + '\x02' + Le32(2) + "xy"))));
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_BINARY, "b", Le32(6) + '\x02' + Le32(5) + "xy"))),
              Invalid("old-style binary"));
}

TEST(ValidateBsonTest, CodeWithScopeIsChecked) {
  std::string code = StringValue("f()");
  std::string scope = Doc(Int32("x", 1));
  std::string good = Le32(static_cast<uint32_t>(4 + code.size() + scope.size())) + code + scope;
  EXPECT_OK(Validate(Doc(Element(BSON_TYPE_CODEWSCOPE, "c", good))));
  std::string wrong_total = good;
  wrong_total.replace(0, 4, Le32(static_cast<uint32_t>(good.size() + 1)));
  EXPECT_FALSE(Validate(Doc(Element(BSON_TYPE_CODEWSCOPE, "c", wrong_total))).ok());
  std::string bad_scope = Le32(static_cast<uint32_t>(4 + code.size() + scope.size())) + code +
                          Doc(Int32("x", 1) + Int32("x", 2)).substr(0, scope.size());
  EXPECT_FALSE(Validate(Doc(Element(BSON_TYPE_CODEWSCOPE, "c", bad_scope))).ok());
}

TEST(ValidateBsonTest, BytesAfterTheEndFail) {
  // The top-level length covers an embedded document that ends early: trailing bytes remain.
  std::string inner = Doc("");
  std::string elements = Element(BSON_TYPE_DOCUMENT, "a", inner);
  std::string doc = Le32(static_cast<uint32_t>(4 + elements.size() + 2)) + elements + '\0' + '\0';
  EXPECT_FALSE(Validate(doc).ok());
}

// ---- depth --------------------------------------------------------------------------------

TEST(ValidateBsonTest, DepthHundredPassesHundredAndOneFails) {
  EXPECT_OK(Validate(NestedDocument(100)));
  // The error names the whole path of the 101st level: a.a.….a (101 names).
  std::string path = "a";
  for (int i = 1; i < 101; ++i) path += ".a";
  EXPECT_THAT(Validate(NestedDocument(101)), TooDeep(path + "'"));
  EXPECT_OK(Validate(NestedDocument(100, BSON_TYPE_ARRAY)));
  EXPECT_THAT(Validate(NestedDocument(101, BSON_TYPE_ARRAY)), TooDeep("a.0.0"));
}

TEST(ValidateBsonTest, MaxDepthOptionIsHonoured) {
  ValidateOptions options;
  options.max_depth = 3;
  EXPECT_OK(Validate(NestedDocument(3), options));
  EXPECT_THAT(Validate(NestedDocument(4), options), TooDeep("a.a.a.a'"));
  options.max_depth = 0;
  EXPECT_OK(Validate(Doc(Int32("a", 1)), options));
  EXPECT_FALSE(Validate(NestedDocument(1), options).ok());
}

// libbson's bson_validate recurses and overflows the stack around here; ours must not.
TEST(ValidateBsonTest, TwentyThousandLevelsAreRejectedWithoutCrashing) {
  std::string deep = NestedDocument(20000);
  ASSERT_GT(deep.size(), 100u * 1024);
  EXPECT_THAT(Validate(deep), TooDeep("a.a.a"));
  ValidateOptions unlimited;
  unlimited.max_depth = 1 << 30;
  EXPECT_OK(Validate(deep, unlimited)) << "an iterative walk handles any depth";
  std::string deep_arrays = NestedDocument(20000, BSON_TYPE_ARRAY);
  EXPECT_THAT(Validate(deep_arrays), TooDeep("a.0.0"));
  EXPECT_OK(Validate(deep_arrays, unlimited));
}

// ---- UTF-8 --------------------------------------------------------------------------------

struct BadUtf8 {
  const char* name;
  std::string bytes;
};

std::vector<BadUtf8> BadUtf8Cases() {
  return {
      {"lone continuation byte", std::string("a\x80z")},
      {"overlong NUL C0 80", std::string("a\xC0\x80z")},
      {"overlong 3-byte E0 80 AF", std::string("\xE0\x80\xAF")},
      {"overlong 4-byte F0 80 80 AF", std::string("\xF0\x80\x80\xAF")},
      {"surrogate ED A0 80", std::string("\xED\xA0\x80")},
      {"low surrogate ED BF BF", std::string("\xED\xBF\xBF")},
      {"above U+10FFFF F4 90 80 80", std::string("\xF4\x90\x80\x80")},
      {"lead byte F5", std::string("\xF5\x80\x80\x80")},
      {"truncated sequence", std::string("ab\xE2\x82")},
      {"lead followed by ASCII", std::string("\xC3"
                                             "a")},
      {"byte FF", std::string("\xFF")},
  };
}

TEST(ValidateBsonTest, IsValidUtf8AcceptsWellFormedText) {
  for (const std::string& good :
       {std::string(""), std::string("plain"), std::string("é"), std::string("€"), std::string("𝄞"),
        std::string("\xF4\x8F\xBF\xBF"), std::string("\xEF\xBF\xBF"), std::string("a\0b", 3)}) {
    EXPECT_TRUE(IsValidUtf8(good.data(), good.size())) << good;
  }
  for (const BadUtf8& bad : BadUtf8Cases()) {
    EXPECT_FALSE(IsValidUtf8(bad.bytes.data(), bad.bytes.size())) << bad.name;
  }
}

TEST(ValidateBsonTest, InvalidUtf8InStringValuesFails) {
  for (const BadUtf8& bad : BadUtf8Cases()) {
    EXPECT_THAT(Validate(Doc(Utf8("s", bad.bytes))), Invalid("invalid UTF-8 in a string"))
        << bad.name;
    EXPECT_THAT(Validate(Doc(SubDoc("outer", Array("list", Utf8("0", bad.bytes))))),
                Invalid("outer.list.0"))
        << bad.name;
  }
}

TEST(ValidateBsonTest, InvalidUtf8InFieldNamesFails) {
  for (const BadUtf8& bad : BadUtf8Cases()) {
    EXPECT_THAT(Validate(Doc(Int32(bad.bytes, 1))), Invalid("invalid UTF-8 in a field name"))
        << bad.name;
    EXPECT_THAT(Validate(Doc(SubDoc("sub", Int32(bad.bytes, 1)))), Invalid("field name"))
        << bad.name;
  }
}

TEST(ValidateBsonTest, InvalidUtf8InOtherTextTypesFails) {
  const std::string bad("\xED\xA0\x80");
  EXPECT_FALSE(Validate(Doc(Element(BSON_TYPE_SYMBOL, "sym", StringValue(bad)))).ok());
  EXPECT_FALSE(Validate(Doc(Element(BSON_TYPE_CODE, "code", StringValue(bad)))).ok());
  EXPECT_THAT(Validate(Doc(Element(BSON_TYPE_REGEX, "re", bad + '\0' + "i" + '\0'))),
              Invalid("regular expression"));
  EXPECT_THAT(
      Validate(Doc(Element(BSON_TYPE_REGEX, "re", "a" + std::string(1, '\0') + bad + '\0'))),
      Invalid("regular expression"));
  EXPECT_FALSE(
      Validate(Doc(Element(BSON_TYPE_DBPOINTER, "p", StringValue(bad) + "0123456789ab"))).ok());
  std::string code = StringValue("f()");
  std::string scope = Doc(Utf8("x", bad));
  EXPECT_FALSE(Validate(Doc(Element(BSON_TYPE_CODEWSCOPE, "c",
                                    Le32(static_cast<uint32_t>(4 + code.size() + scope.size())) +
                                        code + scope)))
                   .ok());
}

TEST(ValidateBsonTest, NulInsideAStringValueIsAllowed) {
  EXPECT_OK(Validate(Doc(Utf8("s", std::string("a\0b", 3)))));
}

// ---- duplicate names ----------------------------------------------------------------------

TEST(ValidateBsonTest, DuplicateFieldNamesFail) {
  EXPECT_THAT(Validate(Doc(Int32("a", 1) + Int32("a", 2))), Invalid("duplicate field name"));
  EXPECT_THAT(Validate(Doc(Int32("_id", 1) + Utf8("x", "") + Int32("_id", 2))),
              Invalid("duplicate"));
  EXPECT_THAT(Validate(Doc(SubDoc("sub", Int32("k", 1) + Int32("k", 2)))), Invalid("sub.k"));
  // The same name in different (sub)documents is fine.
  EXPECT_OK(Validate(Doc(Int32("a", 1) + SubDoc("s", Int32("a", 2)) + SubDoc("t", Int32("a", 3)))));
}

TEST(ValidateBsonTest, DuplicatesAmongManyFieldsAreFound) {
  std::string elements;
  for (int i = 0; i < 200; ++i) elements += Int32("f" + std::to_string(i), i);
  EXPECT_OK(Validate(Doc(elements)));
  EXPECT_THAT(Validate(Doc(elements + Int32("f3", 0))), Invalid("duplicate"));
  EXPECT_THAT(Validate(Doc(elements + Int32("f199", 0))), Invalid("duplicate"));
  // Around the switch from a linear scan to a hash set (16 names).
  for (int n : {15, 16, 17}) {
    std::string some;
    for (int i = 0; i < n; ++i) some += Int32("f" + std::to_string(i), i);
    EXPECT_OK(Validate(Doc(some))) << n;
    EXPECT_THAT(Validate(Doc(some + Int32("f0", 0))), Invalid("duplicate")) << n;
    EXPECT_THAT(Validate(Doc(some + Int32("f" + std::to_string(n - 1), 0))), Invalid("duplicate"))
        << n;
  }
}

TEST(ValidateBsonTest, DuplicateCheckCanBeTurnedOff) {
  ValidateOptions options;
  options.reject_duplicate_names = false;
  EXPECT_OK(Validate(Doc(Int32("a", 1) + Int32("a", 2)), options));
}

// ---- size ---------------------------------------------------------------------------------

// A document of exactly `size` bytes: {b: BinData(size - 17 bytes)}.
std::string DocumentOfSize(size_t size) {
  size_t payload = size - 4 - 1 - 3 - 5;  // prefix, terminator, type+"b\0", binary header
  std::string value = Le32(static_cast<uint32_t>(payload)) + '\0' + std::string(payload, 'x');
  std::string doc = Doc(Element(BSON_TYPE_BINARY, "b", value));
  EXPECT_EQ(doc.size(), size);
  return doc;
}

TEST(ValidateBsonTest, SixteenMebibytesPassOneByteMoreIsTooLarge) {
  EXPECT_OK(Validate(DocumentOfSize(kMaxUserDocumentSize)));
  absl::Status too_large = Validate(DocumentOfSize(kMaxUserDocumentSize + 1));
  EXPECT_THAT(too_large, HasMongoCode(10334));
  EXPECT_EQ(MongoErrorCodeName(too_large), "BSONObjectTooLarge");
  EXPECT_THAT(std::string(too_large.message()), HasSubstr("too large"));
  EXPECT_THAT(Validate(DocumentOfSize(20 << 20)), HasMongoCode(10334));
}

TEST(ValidateBsonTest, MaxSizeOptionIsHonoured) {
  ValidateOptions options;
  options.max_size = 1000;
  EXPECT_OK(Validate(DocumentOfSize(1000), options));
  EXPECT_THAT(Validate(DocumentOfSize(1001), options), HasMongoCode(10334));
  // The size check comes first: even garbage over the limit is "too large".
  EXPECT_THAT(Validate(std::string(2000, '\x01'), options), HasMongoCode(10334));
}

TEST(ValidateBsonTest, DocumentViewOverloadValidatesTheSameBytes) {
  std::string good = Doc(Int32("a", 1));
  EXPECT_OK(ValidateBson(DocumentView(reinterpret_cast<const uint8_t*>(good.data()), good.size())));
  std::string bad = Doc(Int32("a", 1) + Int32("a", 1));
  EXPECT_THAT(ValidateBson(DocumentView(reinterpret_cast<const uint8_t*>(bad.data()), bad.size())),
              Invalid("duplicate"));
}

}  // namespace
}  // namespace strata::document
