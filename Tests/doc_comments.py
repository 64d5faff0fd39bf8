#!/usr/bin/env python3
"""Every public symbol of the contract libraries (Contract, Table, StageSupport) has a doc comment.

A declaration counts as documented when the lines above it (past attributes such as @inline) start
with `///`. Members that implement a protocol requirement (`description`, `==`, `errorClass`, ...)
are documented by the protocol; enum cases are their enum's. Exit 1 with the undocumented symbols.
"""
import pathlib
import re
import sys

LIBRARIES = ["Contract", "Table", "StageSupport"]
DECLARATION = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*public\s+(?:(?:static|final|mutating|nonisolated|override|indirect|private\(set\)|internal\(set\))\s+)*"
                         r"(func|var|let|struct|enum|class|protocol|init|subscript|typealias)\b[\s?!]*(`?[\w<>=!+\-*/]*`?)")
REQUIREMENTS = {"description", "errorClass", "==", "<", "hash", "encode", "rawValue", "count"}


def undocumented(path: pathlib.Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = DECLARATION.match(line)
        if not match or line.lstrip().startswith("//"):
            continue
        kind, name = match.group(1), match.group(2).strip("`")
        if name in REQUIREMENTS or (kind == "init" and re.search(r"init\?*\((argument|from decoder|rawValue)", line)):
            continue
        above = number - 1
        while above >= 0 and (lines[above].strip().startswith("@") or lines[above].strip().startswith("#")):
            above -= 1
        if above < 0 or not lines[above].strip().startswith("///"):
            yield f"{path}:{number + 1}: public {kind} {name or ''} has no doc comment"


def main(root: pathlib.Path) -> int:
    problems = [problem for library in LIBRARIES for path in sorted((root / "Sources" / library).rglob("*.swift"))
                for problem in undocumented(path)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"doc_comments.py: {len(problems)} public symbols of {', '.join(LIBRARIES)} without a doc comment", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
