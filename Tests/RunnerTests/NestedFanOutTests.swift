import Foundation
import Testing
import TestSupport

/// Fan-outs that nest, as a capture per node is cut per node and then counted per node and shard:
/// `top` cuts the source into two parts (a table with a `node` column), `mid` cuts each part into
/// three (tables without it, each with its own origin), `leaf` runs once per part of a part and takes
/// the earliest origin of every `mid` table and the node of its `top` row; `all` reads every leaf.
@Suite struct NestedFanOutTests {
    static let enabled = RunnerFixture.available && CrossCheck.python != nil

    /// A cutting stage in Python (pyarrow writes the shard table): part i holds the input and i; its
    /// table's origin is 100 plus the input's length, so every cut has its own.
    static func cutter(python: String) -> String {
        """
        #!\(python)
        import argparse, os, pyarrow as pa, pyarrow.parquet as pq
        parser = argparse.ArgumentParser()
        parser.add_argument("--out"); parser.add_argument("--parts", type=int); parser.add_argument("--label", default="")
        parser.add_argument("source", nargs="+")
        arguments = parser.parse_args()
        os.makedirs(arguments.out, exist_ok=True)
        text = open(arguments.source[-1]).read()
        names = [f"part-{i}.txt" for i in range(arguments.parts)]
        for i, name in enumerate(names):
            open(os.path.join(arguments.out, name), "w").write(f"{text}part {i}\\n")
        columns = {"shard": pa.array(range(arguments.parts), pa.int32()), "file_name": names}
        if arguments.label:
            columns["node"] = [f"{arguments.label}{i}" for i in range(arguments.parts)]
        table = pa.table(columns).replace_schema_metadata({"mimir.origin": str(100 + len(text))})
        pq.write_table(table, os.path.join(arguments.out, "table.parquet"), compression="zstd")
        """
    }

    static let leaf = """
        #!/bin/sh
        # Writes its shard's text, the origin and the node it was given.
        set -e
        out=""; origin=""; node="none"
        while [ $# -gt 0 ]; do
          case "$1" in
            --out) out="$2"; shift 2 ;;
            --origin) origin="$2"; shift 2 ;;
            --node) node="$2"; shift 2 ;;
            --) shift; input="$1"; break ;;
            *) echo "unknown argument $1" >&2; exit 2 ;;
          esac
        done
        mkdir -p "$out"
        { cat < "$input"; echo "origin=$origin node=$node"; } > "$out/out.txt"
        """

    static let pipeline = """
        pipeline: nest
        inputs:
          source: source.txt
        steps:
          top:
            stage: cut
            inputs: {source: source}
            params: {parts: 2, label: node-}
          mid:
            stage: cut
            shards: top
            params: {parts: 3}
          leaf:
            shards: mid
          all:
            stage: tool
            inputs: {in: leaf.out}
        """

    func fixture() throws -> RunnerFixture {
        let fixture = try RunnerFixture(pipeline: Self.pipeline)
        try fixture.write("cut.py", Self.cutter(python: CrossCheck.python!))
        try fixture.write("leaf.sh", Self.leaf)
        chmod(fixture.root + "/cut.py", 0o755)
        chmod(fixture.root + "/leaf.sh", 0o755)
        try fixture.write("stages/cut.yaml", """
            stage: cut
            executable: \(fixture.root)/cut.py
            version: "1"
            inputs:
              source: {positional: true, help: "The file to cut."}
            outputs:
              table: table.parquet
            shard_table: table
            params:
              parts: {type: int, help: "How many parts."}
              label: {type: string, help: "Name the parts' nodes LABEL0, LABEL1, ..."}
            per_shard:
              input: source
            """)
        try fixture.write("stages/leaf.yaml", """
            stage: leaf
            executable: \(fixture.root)/leaf.sh
            version: "1"
            inputs:
              input: {positional: true, help: "A part."}
            outputs:
              out: out.txt
            params:
              origin: {type: string, help: "The earliest origin."}
              node: {type: string, help: "The part's node."}
            per_shard:
              input: input
              params:
                origin: earliest metadata mimir.origin
                node: optional column node
            """)
        return fixture
    }

    @Test(.needs(enabled, "needs the built runner and Python with pyarrow"))
    func everyNodeAndShardRuns_withTheEarliestOriginAndItsNode() throws {
        let fixture = try fixture()
        let run = try fixture.mimir(["run", "chain.yaml", "-j", "2"])
        #expect(run.status == 0, "\(run.output)")
        // top, two mids, six leaves, all.
        #expect(RunnerFixture.counts(run.output)?.ran == 10, "\(run.output)")
        // The mid tables' origins are 100 + the length of "source\npart 0\n" (14) and of "...part 1\n": both 114.
        let leaf = fixture.read("artifacts/nest/leaf/00001/00002/out.txt")
        #expect(leaf == "source\npart 1\npart 2\norigin=114 node=node-1\n", "\(leaf ?? "nothing")")
        let all = fixture.read("artifacts/nest/all/out.txt") ?? ""
        #expect(all.components(separatedBy: "origin=114").count == 7, "\(all)")
        #expect(all.range(of: "part 0\npart 2")!.lowerBound < all.range(of: "part 1\npart 0")!.lowerBound, "node 0's leaves come first: \(all)")
        let status = try fixture.mimir(["status", "chain.yaml"]).output
        for job in ["mid#0", "mid#1", "leaf#0.0", "leaf#1.2"] { #expect(status.contains(job), "\(status)") }
        #expect(RunnerFixture.counts(try fixture.mimir(["run", "chain.yaml"]).output)?.ran == 0)
        let command = try fixture.mimir(["command", "chain.yaml", "leaf#0.1"]).output
        #expect(command.contains("--origin 114 --node node-0") && command.contains("mid/00000/part-1.txt"), "\(command)")
    }

    @Test(.needs(enabled, "needs the built runner and Python with pyarrow"))
    func oneNodeChanging_rerunsItsBranchAndWhatReadsIt() throws {
        let fixture = try fixture()
        try #require(try fixture.mimir(["run", "chain.yaml"]).status == 0)
        // A longer source moves every origin (so every leaf's key) and every part.
        try fixture.write("source.txt", "source, longer\n")
        let rerun = try fixture.mimir(["run", "chain.yaml"])
        #expect(RunnerFixture.counts(rerun.output)?.ran == 10, "\(rerun.output)")
        #expect(fixture.read("artifacts/nest/leaf/00000/00000/out.txt") == "source, longer\npart 0\npart 0\norigin=122 node=node-0\n")
        let only = try fixture.mimir(["run", "chain.yaml", "--shard", "1.2", "--force", "leaf"])
        #expect(RunnerFixture.counts(only.output)?.ran == 1 && only.output.contains("leaf#1.2"), "\(only.output)")
        let bad = try fixture.mimir(["run", "chain.yaml", "--shard", "1.x"])
        #expect(bad.status == 2 && bad.output.contains("--shard takes I or N.I"), "\(bad.output)")
    }
}
