// server/: the wire codec, compressors, SCRAM-SHA-256 and the write splitter, without sockets
// (the real clients and hostile frames run against a live server in the *.py tests here).
#include "server/wire_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/compression.h"
#include "server/crc32c.h"
#include "server/scram.h"
#include "server/write_splitter.h"
#include "tests/support/test_util.h"

namespace strata::server {
namespace {

using ::testing::HasSubstr;

Document Json(const char* json) {
  absl::StatusOr<Document> doc = Document::FromJson(json);
  EXPECT_TRUE(doc.ok()) << json;
  return std::move(doc).value();
}

TEST(Crc32cTest, KnownVector) {
  const std::string text = "123456789";
  EXPECT_EQ(Crc32c(reinterpret_cast<const uint8_t*>(text.data()), text.size()), 0xE3069283u);
}

TEST(WireProtocolTest, OpMsgRoundTripWithChecksum) {
  Document body = Json(R"({"ping": 1, "$db": "admin"})");
  for (bool checksum : {false, true}) {
    std::string message = BuildOpMsg(5, 0, body.view(), checksum);
    absl::StatusOr<Request> request = ParseMessage(message);
    ASSERT_TRUE(request.ok()) << request.status();
    EXPECT_TRUE(request->error.ok());
    EXPECT_EQ(request->request_id, 5);
    EXPECT_EQ(request->checksum_present, checksum);
    EXPECT_TRUE(request->command.view().BytesEqual(body.view()));
  }
  std::string corrupt = BuildOpMsg(5, 0, body.view(), true);
  corrupt[25] ^= 1;
  EXPECT_THAT(ParseMessage(corrupt).status().message(), HasSubstr("checksum mismatch"));
}

// An OP_MSG with a kind 1 section, built by hand.
std::string WithSequence(const Document& body, const char* identifier,
                         const std::vector<Document>& docs) {
  std::string message = BuildOpMsg(1, 0, body.view());
  std::string section(identifier);
  section.push_back('\0');
  for (const Document& d : docs) section.append(reinterpret_cast<const char*>(d.data()), d.size());
  const uint32_t size = static_cast<uint32_t>(section.size() + 4);
  std::string framed = "\x01";
  for (int i = 0; i < 4; ++i) framed.push_back(static_cast<char>((size >> (8 * i)) & 0xFF));
  message += framed + section;
  const uint32_t length = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) message[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return message;
}

TEST(WireProtocolTest, DocumentSequencesBecomeArrays) {
  std::vector<Document> docs;
  docs.push_back(Json(R"({"_id": 1})"));
  docs.push_back(Json(R"({"_id": 2})"));
  std::string message = WithSequence(Json(R"({"insert": "c", "$db": "d"})"), "documents", docs);
  absl::StatusOr<Request> request = ParseMessage(message);
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_TRUE(request->error.ok()) << request->error;
  EXPECT_EQ(request->command.ToJson(),
            R"({"insert": "c", "$db": "d", "documents": [{"_id": 1}, {"_id": 2}]})");
  // A sequence repeating a body field is the command's error, not a framing error.
  std::string clash = WithSequence(Json(R"({"insert": "c", "documents": []})"), "documents", docs);
  request = ParseMessage(clash);
  ASSERT_TRUE(request.ok());
  EXPECT_THAT(request->error.message(), HasSubstr("repeats a field"));
}

TEST(WireProtocolTest, EveryTruncationIsRefused) {
  std::vector<Document> docs;
  docs.push_back(Json(R"({"_id": 1, "s": "text"})"));
  Document body = Json(R"({"insert": "c", "$db": "d"})");
  std::string message = WithSequence(body, "documents", docs);
  const size_t body_only = kHeaderSize + 5 + body.size();  // a complete message on its own
  for (size_t cut = 0; cut < message.size(); ++cut) {
    if (cut == body_only) continue;
    std::string truncated = message.substr(0, cut);
    if (truncated.size() >= 4) {  // keep the header consistent with the bytes given
      const uint32_t length = static_cast<uint32_t>(truncated.size());
      for (int i = 0; i < 4; ++i) truncated[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
    }
    absl::StatusOr<Request> request = ParseMessage(truncated);
    EXPECT_TRUE(!request.ok() || !request->error.ok()) << "cut at " << cut;
  }
}

TEST(WireProtocolTest, HeaderLimits) {
  EXPECT_FALSE(CheckHeader({15, 0, 0, kOpMsg}).ok());
  EXPECT_FALSE(CheckHeader({kMaxMessageSize + 1, 0, 0, kOpMsg}).ok());
  EXPECT_THAT(CheckHeader({100, 0, 0, 2010}).message(), HasSubstr("unsupported opcode 2010"));
  EXPECT_TRUE(CheckHeader({kMaxMessageSize, 0, 0, kOpMsg}).ok());
  EXPECT_TRUE(CheckHeader({16, 0, 0, kOpQuery}).ok());
}

TEST(WireProtocolTest, CompressedMessagesRoundTrip) {
  Document body =
      Json(R"({"find": "c", "filter": {"a": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, "$db": "d"})");
  std::string message = BuildOpMsg(9, 0, body.view());
  for (Compressor c :
       {Compressor::kNoop, Compressor::kSnappy, Compressor::kZlib, Compressor::kZstd}) {
    absl::StatusOr<std::string> compressed = CompressMessage(message, c);
    ASSERT_TRUE(compressed.ok());
    absl::StatusOr<Request> request = ParseMessage(*compressed);
    ASSERT_TRUE(request.ok()) << CompressorName(c) << ": " << request.status();
    EXPECT_EQ(request->compressor, c);
    EXPECT_EQ(request->request_id, 9);
    EXPECT_TRUE(request->command.view().BytesEqual(body.view()));
  }
  absl::StatusOr<std::string> zstd = Compress(Compressor::kZstd, std::string(1000, 'a'));
  ASSERT_TRUE(zstd.ok());
  EXPECT_THAT(Decompress(Compressor::kZstd, *zstd, 999).status().message(), HasSubstr("zstd"));
  absl::StatusOr<std::string> zlib = Compress(Compressor::kZlib, std::string(1000, 'a'));
  ASSERT_TRUE(zlib.ok());
  EXPECT_THAT(Decompress(Compressor::kZlib, *zlib, 10).status().message(),
              HasSubstr("the message claims 10"));
}

TEST(WireProtocolTest, OpQueryOnlyForCommands) {
  std::string message;
  auto add32 = [&](int32_t v) {
    for (int i = 0; i < 4; ++i) message.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  Document query = Json(R"({"$query": {"isMaster": 1}, "$readPreference": {"mode": "primary"}})");
  add32(0), add32(3), add32(0), add32(kOpQuery), add32(0);
  message += std::string("admin.$cmd") + '\0';
  add32(0), add32(-1);
  message.append(reinterpret_cast<const char*>(query.data()), query.size());
  const uint32_t length = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) message[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  absl::StatusOr<Request> request = ParseMessage(message);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->database, "admin");
  EXPECT_EQ(request->command.ToJson(), R"({"isMaster": 1})");
}

// The client side of SCRAM-SHA-256 (RFC 7677), to drive ScramServer.
std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string ClientFinal(const std::string& password, const std::string& client_first_bare,
                        const std::string& server_first, const ScramCredentials& stored) {
  std::string nonce = server_first.substr(2, server_first.find(',') - 2);
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(stored.salt.data()),
                    static_cast<int>(stored.salt.size()), stored.iterations, EVP_sha256(), 32,
                    salted);
  std::string client_key = Hmac(std::string(reinterpret_cast<char*>(salted), 32), "Client Key");
  unsigned char stored_key[32];
  SHA256(reinterpret_cast<const unsigned char*>(client_key.data()), 32, stored_key);
  std::string without_proof = "c=biws,r=" + nonce;
  std::string auth = client_first_bare + "," + server_first + "," + without_proof;
  std::string signature = Hmac(std::string(reinterpret_cast<char*>(stored_key), 32), auth);
  std::string proof(32, '\0');
  for (int i = 0; i < 32; ++i) proof[i] = static_cast<char>(client_key[i] ^ signature[i]);
  return without_proof + ",p=" + absl::Base64Escape(proof);
}

TEST(ScramTest, ConversationSucceedsOnlyWithThePassword) {
  absl::StatusOr<ScramCredentials> stored = MakeScramCredentials("pencil", 4096);
  ASSERT_TRUE(stored.ok());
  auto lookup = [&](std::string_view user) -> std::optional<ScramCredentials> {
    if (user == "user") return *stored;
    return std::nullopt;
  };
  for (const std::string password : {"pencil", "pencil2"}) {
    ScramServer server;
    absl::StatusOr<std::string> first = server.Start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", lookup);
    ASSERT_TRUE(first.ok());
    EXPECT_THAT(*first, HasSubstr(",i=4096"));
    absl::StatusOr<std::string> final_message =
        server.Finish(ClientFinal(password, "n=user,r=rOprNGfwEbeRWgbNEkqO", *first, *stored));
    if (password == "pencil") {
      ASSERT_TRUE(final_message.ok()) << final_message.status();
      EXPECT_EQ(final_message->substr(0, 2), "v=");
      EXPECT_TRUE(server.authenticated());
    } else {
      EXPECT_THAT(final_message.status().message(), HasSubstr("Authentication failed"));
      EXPECT_FALSE(server.authenticated());
    }
  }
  ScramServer unknown;
  EXPECT_FALSE(unknown.Start("n,,n=nobody,r=abc", lookup).ok());
  ScramServer binding;
  EXPECT_FALSE(binding.Start("p=tls-unique,,n=user,r=abc", lookup).ok());
}

TEST(WriteSplitterTest, OversizedInsertRunsInChunksWithOneReply) {
  Document command;
  bson_t* b = command.mutable_bson();
  bson_append_utf8(b, "insert", -1, "c", -1);
  bson_append_bool(b, "ordered", -1, false);
  bson_t docs;
  bson_append_array_begin(b, "documents", -1, &docs);
  const std::string pad(1 << 20, 'x');  // 1 MiB each: 20 documents need two chunks
  for (int i = 0; i < 20; ++i) {
    bson_t d;
    std::string key = std::to_string(i);
    bson_append_document_begin(&docs, key.c_str(), -1, &d);
    bson_append_int32(&d, "_id", -1, i);
    bson_append_utf8(&d, "pad", -1, pad.data(), static_cast<int>(pad.size()));
    bson_append_document_end(&docs, &d);
  }
  bson_append_array_end(b, &docs);
  int chunks = 0, seen = 0, first_chunk = 0;
  std::optional<Document> reply = RunSplitWrite(*command.bson(), "insert", [&](DocumentView chunk) {
    ++chunks;
    bson_t c;
    chunk.AsBson(&c);
    bson_iter_t it, arr;
    bson_iter_init_find(&it, &c, "documents");
    bson_iter_recurse(&it, &arr);
    int n = 0;
    while (bson_iter_next(&arr)) ++n;
    seen += n;
    if (first_chunk == 0) first_chunk = n;
    // The chunk's second document fails.
    return Json(
        absl::StrCat(R"({"n": )", n - 1,
                     R"(, "writeErrors": [{"index": 1, "code": 11000, "errmsg": "dup"}], "ok": 1})")
            .c_str());
  });
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(chunks, 2);
  EXPECT_EQ(seen, 20);
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init_find(&it, reply->bson(), "n"));
  EXPECT_EQ(bson_iter_as_int64(&it), 18);
  // Each chunk's error index, relative to the whole batch.
  EXPECT_THAT(reply->ToJson(),
              HasSubstr(absl::StrCat(R"("writeErrors": [{"index": 1, )",
                                     R"("code": 11000, "errmsg": "dup"}, {"index": )",
                                     first_chunk + 1, ",")));
  // Small commands are left alone.
  EXPECT_FALSE(RunSplitWrite(*Json(R"({"insert": "c", "documents": []})").bson(), "insert",
                             [](DocumentView) { return Document(); })
                   .has_value());
}

}  // namespace
}  // namespace strata::server
