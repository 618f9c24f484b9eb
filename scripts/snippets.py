#!/usr/bin/env python3
"""Writes a package that compiles every Swift snippet of the README and the DocC catalogues as a
user's package would: a path dependency on this repository (through a folder named GenerativeKit,
the identity the snippets' `package: "GenerativeKit"` expects), Swift 6 language mode.

Each page's snippets are one program, in order (a later snippet may use what an earlier one
defined): its executable target's main.swift. A snippet with `@Test` goes into the page's test
target instead, together with the page's declaration-only snippets (the types it tests). A snippet
that starts with `// swift-tools-version` is a package manifest: it is written as its own package,
with its GenerativeKit dependency pointed at the same folder.

usage: snippets.py REPOSITORY OUTPUT_FOLDER   (prints the manifest packages' folders, one per line)
"""
import os
import re
import sys

repo, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
pages = ["README.md"] + sorted(
    os.path.join(root, name)[len(repo) + 1:]
    for root, _, names in os.walk(os.path.join(repo, "Sources"))
    if ".docc" in root
    for name in names
    if name.endswith(".md"))

DECLARATION = re.compile(r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:public |private |fileprivate |internal |final |open )*"
                         r"(?:class|struct|enum|extension|protocol|func|actor|typealias)\b")


def is_declarations_only(code):
    """Whether every top-level line is an import, a comment, or inside a declaration."""
    depth = 0
    for line in code.splitlines():
        stripped = line.strip()
        if depth == 0 and stripped and not stripped.startswith(("import ", "//", "}", "@")) and not DECLARATION.match(stripped):
            return False
        depth += line.count("{") - line.count("}")
    return True


def split_imports(code):
    imports, body = [], []
    for line in code.splitlines():
        (imports if re.match(r"^(@testable )?import \w+", line) else body).append(line)
    return imports, "\n".join(body)


root = os.path.join(out, "GenerativeKit")
os.makedirs(out, exist_ok=True)
if os.path.islink(root):
    os.remove(root)
os.symlink(repo, root)
package = os.path.join(out, "Snippets")
targets, manifests = [], []
for page in pages:
    text = open(os.path.join(repo, page)).read()
    snippets = re.findall(r"```swift\n(.*?)```", text, re.S)
    if not snippets:
        continue
    name = re.sub(r"\W", "", os.path.splitext(page)[0].split("/")[-1].title())
    program, tests, declarations = [], [], []
    for index, code in enumerate(snippets):
        code = f"// {page}, snippet {index + 1}\n{code}"
        if code.split("\n", 2)[1].startswith("// swift-tools-version"):
            manifests.append((f"{name}Manifest{index + 1}", code.split("\n", 1)[1]))
        elif "@Test" in code:
            tests.append(code)
        else:
            program.append(code)
            if is_declarations_only(code):
                declarations.append(code)
    for kind, snippets_of_kind in [("", program), ("Tests", declarations + tests if tests else [])]:
        if not snippets_of_kind:
            continue
        imports, bodies = [], []
        for code in snippets_of_kind:
            found, body = split_imports(code)
            imports += [i for i in found if i not in imports]
            bodies.append(body)
        target = f"{name}{kind}"
        folder = os.path.join(package, "Sources" if not kind else "Tests", target)
        os.makedirs(folder, exist_ok=True)
        imported = sorted({re.sub(r"^(@testable )?import ", "", i) for i in imports} & {
            "GenerativeKit", "GenerativeKitData", "GenerativeKitMetrics", "GenerativeKitTraining",
            "GenerativeKitTesting", "GenerativeKitDistributed"})
        source = "\n".join(imports) + "\n\n" + "\n\n".join(bodies) + "\n"
        with open(os.path.join(folder, "main.swift" if not kind else f"{target}.swift"), "w") as f:
            f.write(source)
        targets.append((target, bool(kind), imported))

lines = ["// swift-tools-version: 6.1", "import PackageDescription", "", "let package = Package(",
         '  name: "Snippets",', '  platforms: [.macOS(.v15)],',
         f'  dependencies: [.package(path: "{root}")],', "  targets: ["]
for target, is_test, imported in targets:
    dependencies = ", ".join(f'.product(name: "{p}", package: "GenerativeKit")' for p in imported)
    kind = "testTarget" if is_test else "executableTarget"
    lines.append(f'    .{kind}(name: "{target}", dependencies: [{dependencies}]),')
lines += ["  ]", ")", ""]
with open(os.path.join(package, "Package.swift"), "w") as f:
    f.write("\n".join(lines))

for name, manifest in manifests:
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    manifest = re.sub(r'\.package\(url: "https://github\.com/generativekit/GenerativeKit"[^)]*\)',
                      f'.package(path: "{root}")', manifest)
    with open(os.path.join(folder, "Package.swift"), "w") as f:
        f.write(manifest)
    products = sorted(set(re.findall(r'\.product\(name: "(\w+)", package: "GenerativeKit"\)', manifest)))
    for target in re.findall(r'(?:executableTarget|target)\(\s*name: "(\w+)"', manifest):
        os.makedirs(os.path.join(folder, "Sources", target), exist_ok=True)
        with open(os.path.join(folder, "Sources", target, "main.swift"), "w") as f:
            f.write("".join(f"import {p}\n" for p in products) + 'print(BLAS.configuration.summary)\n')
    print(folder)
