"""The Node.js `mongodb` driver and `mongosh` (from npm) against `strata serve`.

  /usr/bin/python3 npm_clients_test.py STRATA_BINARY core|aggregate

Installs the pinned packages into $STRATA_NPM_CACHE (default $HOME/.cache/strata-npm, outside
the repository) when missing. If npm or the registry cannot be reached the test FAILS: it never
passes without having run the clients. The aggregate part exits 77 (skipped) while the server
has no aggregate command.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture  # noqa: E402

STRATA = sys.argv[1]
PART = sys.argv[2] if len(sys.argv) > 2 else "core"
HERE = os.path.dirname(os.path.abspath(__file__))
# Versions that run on Node.js 20 (mongodb 7 wants a newer Node).
PACKAGES = {"mongodb": "6.22.0", "mongosh": "2.12.0"}
CACHE = os.environ.get("STRATA_NPM_CACHE", os.path.join(os.path.expanduser("~"), ".cache",
                                                        "strata-npm"))


def fail(message):
    print("FAILED: " + message, flush=True)
    sys.exit(1)


def installed_version(name):
    try:
        with open(os.path.join(CACHE, "node_modules", name, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_packages():
    if shutil.which("node") is None or shutil.which("npm") is None:
        fail("node/npm are not installed: the Node.js driver and mongosh tests cannot run")
    if all(installed_version(n) == v for n, v in PACKAGES.items()):
        return
    os.makedirs(CACHE, exist_ok=True)
    if not os.path.exists(os.path.join(CACHE, "package.json")):
        with open(os.path.join(CACHE, "package.json"), "w") as f:
            f.write('{"name": "strata-npm-cache", "private": true}\n')
    specs = ["%s@%s" % kv for kv in PACKAGES.items()]
    print("installing %s into %s" % (" ".join(specs), CACHE), flush=True)
    try:
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"] + specs,
                           cwd=CACHE, timeout=900)
    except subprocess.TimeoutExpired:
        fail("npm install timed out (is the npm registry reachable?)")
    if r.returncode != 0 or not all(installed_version(n) == v for n, v in PACKAGES.items()):
        fail("npm install of %s failed (is the npm registry reachable?)" % " ".join(specs))


def run(args, env=None):
    print("$ " + " ".join(args), flush=True)
    r = subprocess.run(args, env=env, timeout=240)
    return r.returncode


def main():
    ensure_packages()
    env = dict(os.environ, NODE_PATH=os.path.join(CACHE, "node_modules"))
    mongosh = os.path.join(CACHE, "node_modules", ".bin", "mongosh")
    codes = []
    with serve_fixture.Server(STRATA) as server:
        uri = "mongodb://127.0.0.1:%d/test" % server.port
        codes.append(run(["node", os.path.join(HERE, "node_test.js"), uri, PART], env=env))
        codes.append(run([mongosh, uri, "--quiet", "--norc", "--eval", "var part = %s;" %
                          json.dumps(PART), "--file", os.path.join(HERE, "mongosh_test.js")],
                         env=env))
    if PART == "core":
        with serve_fixture.Server(STRATA, "--auth") as server:
            uri = "mongodb://127.0.0.1:%d/test" % server.port
            auth_uri = "mongodb://nodeuser:n0de@127.0.0.1:%d/?authSource=admin" % server.port
            codes.append(run(["node", os.path.join(HERE, "node_test.js"), uri, "auth", auth_uri],
                             env=env))
    if PART == "aggregate" and all(c == 77 for c in codes):
        sys.exit(77)
    if any(c != 0 for c in codes):
        fail("a client script failed (exit codes %s)" % codes)
    print("npm clients (%s): %d passed, 0 failed" % (PART, len(codes)))


if __name__ == "__main__":
    main()
