"""pymongo (Debian's python3-pymongo 3.11) against `strata serve`: what a pymongo user does.

  /usr/bin/python3 pymongo_test.py STRATA_BINARY core       everything but aggregation
  /usr/bin/python3 pymongo_test.py STRATA_BINARY aggregate  steps that need the `aggregate`
                                                            command (AGGREGATE-DEPENDENT)

Every step is asserted. When the build has no `aggregate` command the aggregate part says so
and exits 77 (ctest reports it as skipped, not passed); it never hangs.
"""
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time

import bson
import pymongo
from bson import ObjectId
from pymongo.errors import OperationFailure, WriteError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture  # noqa: E402

STRATA = sys.argv[1]
PART = sys.argv[2] if len(sys.argv) > 2 else "core"
steps = []


def step(name):
    steps.append(name)
    print("  ok:", name, flush=True)


def client(port, **kwargs):
    return pymongo.MongoClient("127.0.0.1", port, serverSelectionTimeoutMS=5000,
                               connectTimeoutMS=5000, socketTimeoutMS=30000, **kwargs)


def crud(c):
    db = c.shop
    db.items.drop()
    oid = ObjectId()
    when = datetime.datetime(2021, 3, 4, 5, 6, 7, 123000)
    r = db.items.insert_one({"_id": oid, "name": "pen", "price": 1.5, "made": when,
                             "tags": ["office"]})
    assert r.inserted_id == oid and r.acknowledged
    got = db.items.find_one({"_id": oid})
    assert got["made"] == when and isinstance(got["_id"], ObjectId), got
    step("insert_one with an ObjectId and a datetime round-trips")

    many = db.items.insert_many([{"name": "item%d" % i, "price": i, "qty": i % 7,
                                  "made": when + datetime.timedelta(days=i)} for i in range(1, 501)])
    assert len(many.inserted_ids) == 500 and all(isinstance(i, ObjectId) for i in many.inserted_ids)
    step("insert_many of 500 documents (generated ObjectIds)")

    cur = db.items.find({"price": {"$gte": 100, "$lt": 400}, "qty": {"$in": [1, 2, 3]}},
                        {"name": 1, "price": 1, "_id": 0}).sort("price", -1).batch_size(20)
    docs = list(cur)
    expected = sorted([i for i in range(100, 400) if i % 7 in (1, 2, 3)], reverse=True)
    assert [d["price"] for d in docs] == expected, docs[:3]
    assert all(set(d) == {"name", "price"} for d in docs)
    step("find with filter, projection, sort; %d documents over several getMore batches" % len(docs))

    limited = list(db.items.find({"price": {"$gt": 10}}).sort("price", 1).limit(7))
    assert [d["price"] for d in limited] == list(range(11, 18))
    step("find with limit")

    cur = db.items.find({}).batch_size(3)
    first = [next(cur) for _ in range(4)]
    assert len(first) == 4 and cur.cursor_id
    cur.close()
    step("cursor closed early (killCursors)")

    res = db.items.update_one({"name": "pen"}, {"$set": {"color": "blue"}, "$inc": {"price": 2},
                                                "$rename": {"tags": "labels"},
                                                "$unset": {"made": ""}})
    assert res.matched_count == 1 and res.modified_count == 1
    res = db.items.update_one({"name": "pen"}, {"$addToSet": {"labels": {"$each": ["office", "school"]}}})
    pen = db.items.find_one({"name": "pen"})
    assert pen["color"] == "blue" and pen["price"] == 3.5 and "made" not in pen
    assert pen["labels"] == ["office", "school"] and "tags" not in pen, pen
    step("update_one with $set $inc $rename $unset $addToSet")

    res = db.items.replace_one({"name": "item1"}, {"name": "item1", "replaced": True})
    assert res.modified_count == 1
    assert db.items.find_one({"name": "item1"}, {"_id": 0}) == {"name": "item1", "replaced": True}
    res = db.items.replace_one({"name": "nobody"}, {"name": "nobody"}, upsert=True)
    assert res.upserted_id is not None
    step("replace_one (and an upsert)")

    res = db.items.delete_many({"price": {"$gt": 450}})
    assert res.deleted_count == 50, res.deleted_count
    step("delete_many")

    name = db.items.create_index([("price", pymongo.ASCENDING), ("qty", pymongo.DESCENDING)])
    assert name == "price_1_qty_-1"
    assert "price_1_qty_-1" in db.items.index_information()
    plan = db.items.find({"price": 5}).explain()
    assert "IXSCAN" in str(plan), plan
    step("create_index, index_information, an index scan in explain")

    values = db.items.distinct("qty", {"price": {"$lte": 20}})
    assert sorted(values) == list(range(7)), values
    step("distinct")

    db.drop_collection("people")
    db.create_collection("people", validator={"$jsonSchema": {
        "bsonType": "object", "required": ["name", "age"],
        "properties": {"name": {"bsonType": "string"}, "age": {"bsonType": "int", "minimum": 0}}}})
    db.people.insert_one({"name": "Ann", "age": 33})
    try:
        db.people.insert_one({"name": "Bob", "age": -1})
        raise AssertionError("a document failing the validator was accepted")
    except WriteError as e:
        assert e.code == 121, e.details
        assert e.details.get("errInfo") is not None, e.details
    assert db.people.estimated_document_count() == 1
    step("create_collection with a $jsonSchema validator; a bad document gets DocumentValidationFailure (121)")

    # A batch over 16 MiB (one OP_MSG document sequence of ~24 MB) is run in chunks; its reply
    # reads as one: counts summed, write error indexes relative to the whole batch.
    big = [{"_id": i, "pad": "x" * 200} for i in range(100000)]
    big[70000] = {"_id": 3, "pad": "duplicate"}
    try:
        db.big.insert_many(big, ordered=False)
        raise AssertionError("the duplicate _id was accepted")
    except pymongo.errors.BulkWriteError as e:
        assert e.details["nInserted"] == 99999, e.details["nInserted"]
        assert [w["index"] for w in e.details["writeErrors"]] == [70000]
    assert db.big.estimated_document_count() == 99999
    db.big.drop()
    step("insert_many of ~24 MB (over 16 MiB): chunked, one merged reply")

    assert "shop" in c.list_database_names()
    assert {"items", "people"} <= set(db.list_collection_names())
    step("listDatabases, listCollections")


def server_commands(c, port):
    admin = c.admin
    assert admin.command("ping")["ok"] == 1
    info = admin.command("buildInfo")
    assert "version" in info and info["maxBsonObjectSize"] == 16 * 1024 * 1024
    hello = admin.command("hello")
    assert hello["isWritablePrimary"] is True and hello["maxWireVersion"] >= 6
    assert hello["maxMessageSizeBytes"] == 48000000
    ismaster = admin.command("isMaster")
    assert ismaster["ismaster"] is True
    p = admin.command("getParameter", 1, featureCompatibilityVersion=1)
    assert p["featureCompatibilityVersion"]["version"]
    log = admin.command("getLog", "global")
    assert any("accepted from" in line for line in log["log"]), log
    assert admin.command("getLog", "startupWarnings")["log"] == []
    host = admin.command("hostInfo")
    assert host["system"]["numCores"] >= 1
    me = admin.command("whatsmyuri")["you"]
    assert me.startswith("127.0.0.1:"), me
    status = admin.command("connectionStatus")
    assert status["authInfo"]["authenticatedUsers"] == []
    assert admin.command("getLastError")["err"] is None
    server_status = admin.command("serverStatus")
    assert server_status["connections"]["current"] >= 1 and server_status["uptime"] >= 0
    step("ping, buildInfo, hello, isMaster, getParameter, getLog, hostInfo, whatsmyuri, "
         "connectionStatus, getLastError, serverStatus")

    with c.start_session() as session:
        c.shop.items.insert_one({"name": "in-session"}, session=session)
        assert c.shop.items.find_one({"name": "in-session"}, session=session)
    sid = admin.command("startSession")["id"]["id"]
    assert isinstance(sid, (bson.binary.Binary, __import__("uuid").UUID))
    admin.command("endSessions", [])
    step("sessions: lsid on commands, startSession, endSessions")

    coll = c.shop.get_collection("wc", write_concern=pymongo.WriteConcern(w=0))
    coll.insert_many([{"n": i} for i in range(10)])
    deadline = time.time() + 10
    while c.shop.wc.estimated_document_count() != 10 and time.time() < deadline:
        time.sleep(0.05)
    assert c.shop.wc.estimated_document_count() == 10
    j = c.shop.get_collection("wcj", write_concern=pymongo.WriteConcern(w=1, j=True))
    assert j.insert_one({"durable": True}).acknowledged
    step("writeConcern w:0 (moreToCome, no reply) and j:true")

    # getMore/killCursors are per connection: a cursor left open on a connection that closes
    # is killed with it.
    s = serve_fixture.connect(port)
    r = serve_fixture.command(s, {"find": "items", "batchSize": 2, "$db": "shop"})
    cursor_id = r["cursor"]["id"]
    assert cursor_id != 0
    more = serve_fixture.command(s, {"getMore": cursor_id, "collection": "items", "batchSize": 2,
                                     "$db": "shop"})
    assert more["ok"] == 1 and len(more["cursor"]["nextBatch"]) == 2
    s.close()
    deadline = time.time() + 10
    while True:
        try:
            c.shop.command("getMore", bson.int64.Int64(cursor_id), collection="items")
            assert time.time() < deadline, "the closed connection's cursor still exists"
            time.sleep(0.05)
        except OperationFailure as e:
            assert e.code == 43, e.details  # CursorNotFound
            break
    step("cursors of a closed connection are killed")


def compression(port):
    for name in ("zlib", "zstd", "snappy"):
        with client(port, compressors=name) as cc:
            coll = cc.shop.compressed
            coll.insert_many([{"i": i, "text": "x" * 500} for i in range(100)])
            assert len(list(coll.find({}).batch_size(10))) >= 100
        step("OP_COMPRESSED with %s" % name)


def auth(strata):
    with serve_fixture.Server(strata, "--auth") as server:
        with client(server.port) as anon:
            anon.admin.command("ping")
            anon.admin.command("createUser", "root", pwd="s3cret", roles=["root"])
            try:
                anon.shop.items.find_one()
                raise AssertionError("an unauthenticated find was served")
            except OperationFailure as e:
                assert e.code == 13, e.details  # Unauthorized
            try:
                anon.admin.command("createUser", "second", pwd="x", roles=[])
                raise AssertionError("createUser without auth after the first user")
            except OperationFailure as e:
                assert e.code == 13, e.details
        step("--auth: createUser through the localhost exception; unauthenticated commands refused")

        uri = "mongodb://root:s3cret@127.0.0.1:%d/?authSource=admin" % server.port
        with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as good:
            good.shop.items.insert_one({"a": 1})
            assert good.shop.items.find_one({}, {"_id": 0}) == {"a": 1}
            st = good.admin.command("connectionStatus")
            assert st["authInfo"]["authenticatedUsers"] == [{"user": "root", "db": "admin"}]
            good.admin.command("createUser", "app", pwd="pw2", roles=[])
            users = good.admin.command("usersInfo", "app")["users"]
            assert len(users) == 1 and "credentials" not in users[0]
            try:
                good.admin["strata.users"].find_one()
                raise AssertionError("the user store was readable as a collection")
            except OperationFailure as e:
                assert e.code == 13, e.details
        uri_mech = ("mongodb://app:pw2@127.0.0.1:%d/?authSource=admin&authMechanism=SCRAM-SHA-256"
                    % server.port)
        with pymongo.MongoClient(uri_mech, serverSelectionTimeoutMS=5000) as app:
            assert app.shop.items.estimated_document_count() == 1
        step("SCRAM-SHA-256 login (negotiated and explicit mechanism); usersInfo hides credentials")

        # Speculative authentication: hello carries the first SCRAM step and answers it.
        raw = serve_fixture.connect(server.port)
        hello = serve_fixture.command(raw, {
            "hello": 1, "$db": "admin", "speculativeAuthenticate": {
                "saslStart": 1, "mechanism": "SCRAM-SHA-256", "db": "admin",
                "payload": bson.binary.Binary(b"n,,n=root,r=clientnonce123"),
                "options": {"skipEmptyExchange": True}}})
        first = bytes(hello["speculativeAuthenticate"]["payload"])
        assert first.startswith(b"r=clientnonce123") and b",i=15000" in first, hello
        raw.close()
        step("speculativeAuthenticate in hello answers the first SCRAM step")

        bad = "mongodb://root:wrong@127.0.0.1:%d/?authSource=admin" % server.port
        with pymongo.MongoClient(bad, serverSelectionTimeoutMS=5000) as wrong:
            try:
                wrong.shop.items.find_one()
                raise AssertionError("a wrong password was accepted")
            except OperationFailure as e:
                assert e.code == 18, e.details  # AuthenticationFailed
        with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as good:
            good.admin.command("dropUser", "app")
            try:
                good.admin.command("dropUser", "app")
                raise AssertionError("dropUser of a missing user succeeded")
            except OperationFailure as e:
                assert e.code == 11, e.details  # UserNotFound
        assert "authentication failed" in server.log_text()
        step("wrong password refused (AuthenticationFailed, logged); dropUser")

    # Credentials persist: a restarted server on the same directory still knows the user.
    data = tempfile.mkdtemp(prefix="strata-auth-")
    try:
        with serve_fixture.Server(strata, "--auth", data_dir=os.path.join(data, "d")) as s1:
            with client(s1.port) as anon:
                anon.admin.command("createUser", "keep", pwd="pw", roles=[])
        with serve_fixture.Server(strata, "--auth", data_dir=os.path.join(data, "d")) as s2:
            uri = "mongodb://keep:pw@127.0.0.1:%d/?authSource=admin" % s2.port
            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as c2:
                c2.t.c.insert_one({"x": 1})
        step("users survive a restart (stored hashed in the data directory)")
    finally:
        import shutil
        shutil.rmtree(data, ignore_errors=True)


def durability(strata):
    data = tempfile.mkdtemp(prefix="strata-durable-")
    try:
        path = os.path.join(data, "d")
        s1 = serve_fixture.Server(strata, data_dir=path).start()
        try:
            with client(s1.port) as c:
                for i in range(200):
                    c.t.acked.insert_one({"_id": i})
                c.t.acked.update_one({"_id": 7}, {"$set": {"x": 1}})
        finally:
            s1.kill9()
            s1.cleanup()
        s2 = serve_fixture.Server(strata, data_dir=path).start()
        try:
            with client(s2.port) as c:
                assert c.t.acked.estimated_document_count() == 200
                assert c.t.acked.find_one({"_id": 7}) == {"_id": 7, "x": 1}
                c.t.acked.insert_one({"_id": 200})
        finally:
            s2.stop(sig=signal.SIGINT)
            s2.cleanup()
        step("acknowledged writes survive kill -9; SIGINT shuts down cleanly")
    finally:
        import shutil
        shutil.rmtree(data, ignore_errors=True)


def tls(strata):
    tmp = tempfile.mkdtemp(prefix="strata-tls-")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with serve_fixture.Server(strata, "--tls-cert", cert, "--tls-key", key) as server:
            with client(server.port, tls=True, tlsCAFile=cert, tlsAllowInvalidHostnames=True) as c:
                c.t.c.insert_one({"secure": True})
                assert c.t.c.find_one({}, {"_id": 0}) == {"secure": True}
            # A plaintext client on the TLS port gets its connection closed, the server lives on.
            plain = serve_fixture.connect(server.port)
            plain.sendall(serve_fixture.op_msg({"ping": 1, "$db": "admin"}))
            assert serve_fixture.is_closed(plain)
            with client(server.port, tls=True, tlsCAFile=cert, tlsAllowInvalidHostnames=True) as c:
                assert c.admin.command("ping")["ok"] == 1
            assert "TLS handshake failed" in server.log_text()
        step("TLS (--tls-cert/--tls-key): pymongo over TLS; a plaintext client is refused")
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


def aggregate_part(c):
    try:
        c.shop.command("aggregate", "nothing", pipeline=[], cursor={})
    except OperationFailure as e:
        if e.code == 59:
            print("AGGREGATE MISSING: this build has no `aggregate` command (CommandNotFound); "
                  "the aggregate-dependent steps cannot run", flush=True)
            sys.exit(77)
        raise
    db = c.shop
    db.orders.drop()
    db.customers.drop()
    db.customers.insert_many([{"_id": 1, "name": "Ann"}, {"_id": 2, "name": "Bob"}])
    db.orders.insert_many([
        {"cust": 1, "items": [1, 2, 3], "at": datetime.datetime(2021, 1, 1),
         "done": datetime.datetime(2021, 1, 11)},
        {"cust": 2, "items": [5], "at": datetime.datetime(2021, 2, 1),
         "done": datetime.datetime(2021, 2, 3)}])
    out = list(db.orders.aggregate([
        {"$addFields": {"doubled": {"$map": {"input": "$items", "as": "x",
                                              "in": {"$multiply": ["$$x", 2]}}},
                        "days": {"$dateDiff": {"startDate": "$at", "endDate": "$done",
                                               "unit": "day"}}}},
        {"$lookup": {"from": "customers", "localField": "cust", "foreignField": "_id",
                     "as": "customer"}},
        {"$sort": {"cust": 1}},
        {"$project": {"_id": 0, "doubled": 1, "days": 1, "name": {"$first": "$customer.name"}}},
    ]))
    assert out == [{"doubled": [2, 4, 6], "days": 10, "name": "Ann"},
                   {"doubled": [10], "days": 2, "name": "Bob"}], out
    step("aggregate with $addFields, $map, $dateDiff, $lookup (AGGREGATE-DEPENDENT)")
    assert db.orders.count_documents({}) == 2
    assert db.orders.count_documents({"cust": 2}) == 1
    step("count_documents (AGGREGATE-DEPENDENT: pymongo counts with an aggregate)")
    big = list(db.orders.aggregate([{"$match": {}}], batchSize=1))
    assert len(big) == 2
    step("aggregate cursor over several batches (AGGREGATE-DEPENDENT)")


def main():
    with serve_fixture.Server(STRATA) as server:
        with client(server.port) as c:
            if PART == "aggregate":
                aggregate_part(c)
            else:
                crud(c)
                server_commands(c, server.port)
                compression(server.port)
    if PART == "core":
        auth(STRATA)
        durability(STRATA)
        tls(STRATA)
    print("pymongo %s (%s): %d passed, 0 failed" % (pymongo.version, PART, len(steps)))


if __name__ == "__main__":
    main()
