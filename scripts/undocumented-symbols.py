#!/usr/bin/env python3
"""Lists the public symbols a module declares without a /// comment.

Reads a symbol graph (swiftc -emit-symbol-graph) and prints `path  file:line` for every public
symbol whose declaration lies under SOURCE_ROOT and has no doc comment. Implementations of a
protocol requirement (a layer's `forward`, a type's `description`) are left out: DocC shows the
requirement's documentation for them. Exits 1 when it printed anything.

usage: undocumented-symbols.py MODULE.symbols.json SOURCE_ROOT
"""
import collections
import json
import sys

graph = json.load(open(sys.argv[1]))
root = sys.argv[2].rstrip("/") + "/"
symbols = {s["identifier"]["precise"]: s for s in graph["symbols"]}
parent = {}
protocols_of = collections.defaultdict(set)
requirements_of = collections.defaultdict(set)
for relation in graph["relationships"]:
    kind, source, target = relation["kind"], relation["source"], relation["target"]
    if kind == "memberOf":
        parent[source] = target
    elif kind == "conformsTo":
        protocols_of[source].add(target)
    elif kind == "requirementOf" and source in symbols:
        requirements_of[target].add(symbols[source]["pathComponents"][-1])

# Requirements of the standard library's protocols, which the graph does not describe.
standard = {"description", "debugDescription", "==(_:_:)", "<(_:_:)", "hash(into:)", "hashValue",
            "makeIterator()", "next()", "underestimatedCount", "encode(to:)", "init(from:)",
            "init(rawValue:)", "rawValue", "errorDescription"}

missing = []
for symbol in graph["symbols"]:
    uri = symbol.get("location", {}).get("uri", "")
    if root not in uri or symbol.get("docComment"):
        continue
    name = symbol["pathComponents"][-1]
    owner = parent.get(symbol["identifier"]["precise"])
    inherited = set(standard)
    for protocol in protocols_of.get(owner, ()):
        inherited |= requirements_of.get(protocol, set())
    if name in inherited:
        continue
    line = symbol["location"]["position"]["line"] + 1
    missing.append(f"{'/'.join(symbol['pathComponents'])}  {uri.split(root)[1]}:{line}")

for entry in sorted(missing):
    print(entry)
sys.exit(1 if missing else 0)
