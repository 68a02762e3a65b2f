// The Node.js `mongodb` driver against `strata serve`: what a Node.js user does.
//   node node_test.js URI core|aggregate|auth AUTH_URI
// Every step is asserted; exit 77 on `aggregate` when the server has no aggregate command.
'use strict';
const assert = require('assert');
const { MongoClient, ObjectId, MongoServerError } = require('mongodb');

const [uri, part] = process.argv.slice(2);
let passed = 0;
function ok(name) {
  passed++;
  console.log('  ok:', name);
}

async function core(client) {
  const db = client.db('nodeshop');
  await db.collection('items').drop().catch(() => {});
  const items = db.collection('items');
  const id = new ObjectId();
  const when = new Date('2021-03-04T05:06:07.123Z');
  const r1 = await items.insertOne({ _id: id, name: 'pen', price: 1.5, made: when, tags: ['office'] });
  assert.ok(r1.insertedId.equals(id));
  const pen = await items.findOne({ _id: id });
  assert.strictEqual(pen.made.getTime(), when.getTime());
  ok('insertOne with an ObjectId and a Date round-trips');

  const docs = [];
  for (let i = 1; i <= 300; i++) docs.push({ name: 'item' + i, price: i, qty: i % 7 });
  const r2 = await items.insertMany(docs);
  assert.strictEqual(r2.insertedCount, 300);
  ok('insertMany of 300 documents');

  const found = await items
    .find({ price: { $gte: 100, $lt: 200 }, qty: { $in: [1, 2] } }, { projection: { _id: 0, price: 1 } })
    .sort({ price: -1 })
    .batchSize(7)
    .toArray();
  const expected = [];
  for (let i = 199; i >= 100; i--) if (i % 7 === 1 || i % 7 === 2) expected.push({ price: i });
  assert.deepStrictEqual(found, expected);
  ok(`find with filter, projection, sort over several batches (${found.length} documents)`);

  let n = 0;
  for await (const d of items.find({}).batchSize(50)) n += d ? 1 : 0;
  assert.strictEqual(n, 301);
  const limited = await items.find({ price: { $gt: 10 } }).sort({ price: 1 }).limit(3).toArray();
  assert.deepStrictEqual(limited.map((d) => d.price), [11, 12, 13]);
  const cursor = items.find({}).batchSize(2);
  await cursor.next();
  await cursor.close();
  ok('cursor iteration (for await), limit, early close (killCursors)');

  const u = await items.updateOne({ name: 'pen' }, {
    $set: { color: 'blue' }, $inc: { price: 2 }, $rename: { tags: 'labels' }, $unset: { made: '' },
  });
  assert.strictEqual(u.modifiedCount, 1);
  await items.updateOne({ name: 'pen' }, { $addToSet: { labels: 'school' } });
  const pen2 = await items.findOne({ name: 'pen' }, { projection: { _id: 0 } });
  assert.deepStrictEqual(pen2, { name: 'pen', price: 3.5, labels: ['office', 'school'], color: 'blue' });
  ok('updateOne with $set $inc $rename $unset $addToSet');

  const rep = await items.replaceOne({ name: 'item1' }, { name: 'item1', replaced: true });
  assert.strictEqual(rep.modifiedCount, 1);
  const del = await items.deleteMany({ price: { $gt: 250 } });
  assert.strictEqual(del.deletedCount, 50);
  ok('replaceOne, deleteMany');

  assert.strictEqual(await items.createIndex({ price: 1 }), 'price_1');
  const indexes = await items.indexes();
  assert.ok(indexes.some((i) => i.name === 'price_1'));
  ok('createIndex, listIndexes');

  const qtys = await items.distinct('qty', { price: { $lte: 20 } });
  assert.deepStrictEqual(qtys.sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.strictEqual(await items.estimatedDocumentCount(), 251);
  ok('distinct, estimatedDocumentCount');

  await db.collection('people').drop().catch(() => {});
  await db.createCollection('people', {
    validator: { $jsonSchema: { bsonType: 'object', required: ['name'], properties: { name: { bsonType: 'string' } } } },
  });
  await db.collection('people').insertOne({ name: 'Ann' });
  await assert.rejects(db.collection('people').insertOne({ name: 42 }), (e) => e.code === 121);
  ok('createCollection with $jsonSchema; a bad document gets code 121');

  const admin = client.db('admin');
  assert.strictEqual((await admin.command({ ping: 1 })).ok, 1);
  const hello = await admin.command({ hello: 1 });
  assert.strictEqual(hello.isWritablePrimary, true);
  assert.ok((await admin.command({ buildInfo: 1 })).version);
  const dbs = await client.db().admin().listDatabases();
  assert.ok(dbs.databases.some((d) => d.name === 'nodeshop'));
  ok('ping, hello, buildInfo, listDatabases');

  const session = client.startSession();
  await items.insertOne({ name: 'in-session' }, { session });
  assert.ok(await items.findOne({ name: 'in-session' }, { session }));
  await session.endSession();
  const w0 = db.collection('w0', { writeConcern: { w: 0 } });
  await w0.insertOne({ fire: 'and forget' });
  const deadline = Date.now() + 10000;
  while ((await db.collection('w0').estimatedDocumentCount()) !== 1) {
    assert.ok(Date.now() < deadline, 'the w:0 insert never landed');
    await new Promise((r) => setTimeout(r, 50));
  }
  await db.collection('wj', { writeConcern: { w: 1, j: true } }).insertOne({ durable: true });
  ok('explicit session, writeConcern w:0 and j:true');
}

async function aggregate(client) {
  const db = client.db('nodeshop');
  try {
    await db.command({ aggregate: 'nothing', pipeline: [], cursor: {} });
  } catch (e) {
    if (e.code === 59) {
      console.log('AGGREGATE MISSING: this build has no `aggregate` command (CommandNotFound)');
      process.exit(77);
    }
    throw e;
  }
  await db.collection('orders').drop().catch(() => {});
  await db.collection('customers').drop().catch(() => {});
  await db.collection('customers').insertMany([{ _id: 1, name: 'Ann' }, { _id: 2, name: 'Bob' }]);
  await db.collection('orders').insertMany([
    { cust: 1, items: [1, 2, 3], at: new Date('2021-01-01'), done: new Date('2021-01-11') },
    { cust: 2, items: [5], at: new Date('2021-02-01'), done: new Date('2021-02-03') },
  ]);
  const out = await db.collection('orders').aggregate([
    { $addFields: {
      doubled: { $map: { input: '$items', as: 'x', in: { $multiply: ['$$x', 2] } } },
      days: { $dateDiff: { startDate: '$at', endDate: '$done', unit: 'day' } } } },
    { $lookup: { from: 'customers', localField: 'cust', foreignField: '_id', as: 'customer' } },
    { $sort: { cust: 1 } },
    { $project: { _id: 0, doubled: 1, days: 1, name: { $first: '$customer.name' } } },
  ]).toArray();
  assert.deepStrictEqual(out, [
    { doubled: [2, 4, 6], days: 10, name: 'Ann' },
    { doubled: [10], days: 2, name: 'Bob' },
  ]);
  ok('aggregate with $addFields, $map, $dateDiff, $lookup (AGGREGATE-DEPENDENT)');
  assert.strictEqual(await db.collection('orders').countDocuments({ cust: 2 }), 1);
  ok('countDocuments (AGGREGATE-DEPENDENT)');
}

async function auth(client, authUri) {
  // `client` is unauthenticated against a server started with --auth.
  await client.db('admin').command({ createUser: 'nodeuser', pwd: 'n0de', roles: ['root'] });
  await assert.rejects(client.db('x').collection('c').findOne({}), (e) => e.code === 13);
  const authed = new MongoClient(authUri, { serverSelectionTimeoutMS: 5000 });
  await authed.connect();
  await authed.db('x').collection('c').insertOne({ a: 1 });
  assert.strictEqual(await authed.db('x').collection('c').estimatedDocumentCount(), 1);
  const st = await authed.db('admin').command({ connectionStatus: 1 });
  assert.deepStrictEqual(st.authInfo.authenticatedUsers, [{ user: 'nodeuser', db: 'admin' }]);
  await authed.close();
  const wrong = new MongoClient(authUri.replace('n0de', 'wrong'), { serverSelectionTimeoutMS: 5000 });
  await assert.rejects(wrong.connect(), (e) => /Authentication failed/.test(e.message));
  await wrong.close();
  ok('SCRAM-SHA-256 with the Node.js driver (first step speculative, in hello); wrong password refused');
}

(async () => {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, compressors: part === 'core' ? ['zlib'] : [] });
  await client.connect();
  try {
    if (part === 'core') await core(client);
    else if (part === 'aggregate') await aggregate(client);
    else if (part === 'auth') await auth(client, process.argv[4]);
    else throw new Error('unknown part ' + part);
  } finally {
    await client.close();
  }
  console.log(`node mongodb driver (${part}): ${passed} passed, 0 failed`);
})().catch((e) => {
  console.error('FAILED:', e);
  process.exit(1);
});
