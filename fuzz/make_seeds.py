#!/usr/bin/python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (run once; the files are committed).

Sources: the bsondump test files of the MongoDB Database Tools (../shared/testdata, copied
documents) and hand-written filters/updates covering each operator family. Needs pymongo's
`bson` (Debian's python3-pymongo, so /usr/bin/python3)."""
import hashlib
import os
import sys

import bson
from bson import json_util

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/testdata/mongo-tools/bsondump/testdata'


def write(target, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def split(raw):
    docs, pos = [], 0
    while pos + 4 <= len(raw):
        n = int.from_bytes(raw[pos:pos + 4], 'little')
        if n < 5 or pos + n > len(raw):
            docs.append(raw[pos:])
            break
        docs.append(raw[pos:pos + n])
        pos += n
    return docs


valid_docs = []
for name in sorted(os.listdir(TESTDATA)):
    path = os.path.join(TESTDATA, name)
    with open(path, 'rb') as f:
        raw = f.read()
    if name.endswith('.json'):
        for line in raw.splitlines()[:10]:
            write('extended_json', line)
        continue
    for doc in split(raw)[:12]:
        write('bson_validate', doc)
        try:
            bson.decode(doc)
            if len(doc) < 4000:
                valid_docs.append(doc)
        except Exception:
            pass

for doc in valid_docs:
    write('extended_json', json_util.dumps(bson.decode(doc),
                                           json_options=json_util.CANONICAL_JSON_OPTIONS).encode())

for i, a in enumerate(valid_docs[:10]):
    for b in valid_docs[i:i + 3]:
        write('key_string', a + b)

enc = bson.encode
docs = [enc({'_id': 1, 'a': 1, 'b': [1, 2, {'c': 'x'}], 's': 'hello', 'd': {'e': 2.5}}),
        enc({'_id': 2, 'a': [[1], {'x': None}], 'n': bson.int64.Int64(5), 'r': bson.regex.Regex('^a', 'i')})]
docs += [d for d in valid_docs[:4]]
for d in docs:
    write('key_string', d + d)
filters = [
    {}, {'a': 1}, {'a': {'$gt': 0, '$lt': 5}}, {'b.c': 'x'}, {'b': {'$elemMatch': {'c': 'x'}}},
    {'$or': [{'a': 1}, {'s': {'$regex': '^h'}}]}, {'$and': [{'a': {'$in': [1, 2]}}, {'d.e': {'$gte': 2}}]},
    {'a': {'$not': {'$eq': 3}}}, {'b': {'$size': 3}}, {'b': {'$all': [1, 2]}}, {'a': {'$exists': True}},
    {'a': {'$type': 'number'}}, {'a': {'$mod': [2, 1]}}, {'$nor': [{'a': 2}]}, {'s': bson.regex.Regex('l+', 'm')},
    {'a': {'$bitsAllSet': 1}}, {'b.2.c': {'$ne': None}}, {'a': {'$nin': [[1], None]}},
]
updates = [
    {'$set': {'a': 2}}, {'$inc': {'a': 1, 'n': 2}}, {'$unset': {'s': ''}}, {'$push': {'b': {'$each': [3, 4], '$slice': -2}}},
    {'$addToSet': {'b': 9}}, {'$pop': {'b': 1}}, {'$pull': {'b': 1}}, {'$rename': {'s': 't'}},
    {'$set': {'b.$': 5}}, {'$set': {'b.$[]': 0}}, {'$min': {'a': 0}}, {'$max': {'d.e': 9}}, {'$mul': {'a': 3}},
    {'$currentDate': {'t': True}}, {'$setOnInsert': {'z': 1}}, {'$bit': {'a': {'or': 4}}}, {'x': 1, 'y': [1]},
    {'$set': {'p.q.r': {'s': 1}}}, {'$pullAll': {'b': [1, 2]}}, {'$push': {'b': {'$each': [{'c': 'a'}], '$sort': {'c': 1}}}},
]
for f in filters:
    for d in docs[:3]:
        write('match', enc(f) + d)
for u in updates:
    for d in docs[:3]:
        write('update', enc(u) + d)
for s in [b'{"a": {"$numberDecimal": "1.5E+3"}}', b'{"$regex": "x"}', b'{"d": {"$date": {"$numberLong": "-1"}}}',
          b'{"b": {"$binary": {"base64": "AQI=", "subType": "04"}}, "t": {"$timestamp": {"t": 1, "i": 2}}}',
          b'{"x": [1, 2.5, true, null, {"$minKey": 1}, {"$maxKey": 1}, {"$symbol": "s"}, {"$code": "c"}]}']:
    write('extended_json', s)
