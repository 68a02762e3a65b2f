// mongosh against `strata serve` (run with --file; `part` is set by --eval before it).
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}
let passed = 0;
function ok(name) {
  passed++;
  print('  ok: ' + name);
}

if (part === 'core') {
  const s = db.getSiblingDB('shelltest');
  s.things.drop();
  s.things.insertOne({ _id: 1, name: 'one', at: ISODate('2020-01-02T03:04:05Z') });
  s.things.insertMany([...Array(150).keys()].map((i) => ({ _id: i + 2, n: i, id: ObjectId() })));
  ok('insertOne / insertMany with ISODate and ObjectId');
  const got = s.things.find({ n: { $gte: 100 } }, { _id: 0, n: 1 }).sort({ n: -1 }).batchSize(10).toArray();
  check(got.length === 50 && got[0].n === 149 && got[49].n === 100, 'find sort/batches ' + got.length);
  check(s.things.find().limit(5).toArray().length === 5, 'limit');
  ok('find with filter, projection, sort, limit over several batches');
  s.things.updateOne({ _id: 1 }, { $set: { a: 1 }, $inc: { c: 5 }, $rename: { name: 'title' }, $addToSet: { t: 'x' } });
  const one = s.things.findOne({ _id: 1 });
  check(one.a === 1 && one.c === 5 && one.title === 'one' && one.t[0] === 'x', 'update ' + JSON.stringify(one));
  s.things.replaceOne({ _id: 2 }, { replaced: true });
  check(s.things.deleteMany({ n: { $gte: 120 } }).deletedCount === 30, 'deleteMany');
  ok('updateOne, replaceOne, deleteMany');
  check(s.things.createIndex({ n: 1 }) === 'n_1', 'createIndex');
  check(s.things.getIndexes().length === 2, 'getIndexes');
  check(s.things.distinct('n', { n: { $lt: 5 } }).length === 4, 'distinct'); // n: 0 was replaced
  check(s.things.estimatedDocumentCount() === 121, 'estimatedDocumentCount');
  ok('createIndex, getIndexes, distinct, estimatedDocumentCount');
  s.createCollection('v', { validator: { $jsonSchema: { required: ['x'] } } });
  let code = 0;
  try {
    s.v.insertOne({ y: 1 });
  } catch (e) {
    code = e.code;
  }
  check(code === 121, 'validator error code ' + code);
  ok('createCollection with $jsonSchema; DocumentValidationFailure');
  check(db.adminCommand({ ping: 1 }).ok === 1, 'ping');
  check(db.hello().isWritablePrimary === true, 'hello');
  check(db.adminCommand({ listDatabases: 1 }).databases.some((d) => d.name === 'shelltest'), 'listDatabases');
  check(s.getCollectionNames().includes('things'), 'listCollections');
  check(typeof db.version() === 'string', 'buildInfo');
  check(db.hostInfo().system.numCores >= 1, 'hostInfo');
  ok('ping, hello, listDatabases, getCollectionNames, version, hostInfo');
} else if (part === 'aggregate') {
  const s = db.getSiblingDB('shelltest');
  let probe = {};
  try {
    probe = s.runCommand({ aggregate: 'x', pipeline: [], cursor: {} });
  } catch (e) {
    probe = { code: e.code };
  }
  if (probe.code === 59) {
    print('AGGREGATE MISSING: this build has no `aggregate` command (CommandNotFound)');
    quit(77);
  }
  s.a.drop();
  s.a.insertMany([{ v: [1, 2] }, { v: [3] }]);
  const out = s.a.aggregate([{ $addFields: { w: { $map: { input: '$v', in: { $add: ['$$this', 1] } } } } },
                             { $project: { _id: 0, w: 1 } }]).toArray();
  check(JSON.stringify(out) === JSON.stringify([{ w: [2, 3] }, { w: [4] }]), 'aggregate ' + JSON.stringify(out));
  check(s.a.countDocuments({}) === 2, 'countDocuments');
  ok('aggregate with $addFields/$map, countDocuments (AGGREGATE-DEPENDENT)');
}
print('mongosh (' + part + '): ' + passed + ' passed, 0 failed');
