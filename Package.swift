// swift-tools-version: 6.1
// Mimir: data-exfiltration, port-scan and lateral-movement detection from Kubernetes node captures.
// Libraries hold the logic (see shared/design/ARCHITECTURE.md, "Libraries"); each stage executable is a
// thin `main` over them. Only targets with real code exist; later issues add the others.
import PackageDescription

let package = Package(
    name: "mimir",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Table", targets: ["Table"]),
        .library(name: "Contract", targets: ["Contract"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "Cluster", targets: ["Cluster"]),
        .library(name: "Sim", targets: ["Sim"]),
        .library(name: "Graph", targets: ["Graph"]),
        .library(name: "Inject", targets: ["Inject"]),
        .library(name: "Learn", targets: ["Learn"]),
        .library(name: "Runner", targets: ["Runner"]),
        .executable(name: "mimir-split", targets: ["mimir-split"]),
        .executable(name: "mimir-flows", targets: ["mimir-flows"]),
        .executable(name: "mimir-records", targets: ["mimir-records"]),
        .executable(name: "mimir-simulate", targets: ["mimir-simulate"]),
        .executable(name: "mimir-record-entities", targets: ["mimir-record-entities"]),
        .executable(name: "mimir-truth", targets: ["mimir-truth"]),
        .executable(name: "mimir-merge", targets: ["mimir-merge"]),
        .executable(name: "mimir-graph", targets: ["mimir-graph"]),
        .executable(name: "mimir-features", targets: ["mimir-features"]),
        .executable(name: "mimir-inject", targets: ["mimir-inject"]),
        .executable(name: "mimir-fit", targets: ["mimir-fit"]),
        .executable(name: "mimir-score", targets: ["mimir-score"]),
        .executable(name: "mimir-report", targets: ["mimir-report"]),
        .executable(name: "mimir", targets: ["mimir"]),
        .executable(name: "mimir-table-bench", targets: ["TableBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libzstd from Debian's libzstd-dev; only Sources/SystemSupport/Zstd.swift imports it.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // libpcap (BPF filters) and zlib (gzip captures), from Debian's libpcap-dev and zlib1g-dev;
        // each is imported by one Swift file of Capture.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // What the Glibc module leaves out (mallopt); part of libc, nothing to install.
        .systemLibrary(name: "CGlibcExtras"),

        // The runner's content digests (XXH3-128, Debian's libxxhash-dev) and its ledger (libsqlite3-dev).
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // What is not Parquet but every library needs from the system: atomic output files, mapped and
        // positioned input, zstd streams, the allocator policy, EINTR retries, exit-code classes.
        .target(name: "SystemSupport", dependencies: ["CZstd", "CGlibcExtras"]),
        // Parquet+ZSTD tables: the format every stage reads and writes.
        .target(name: "Table", dependencies: ["SystemSupport"]),
        // The stage contract: windows and time, addresses, every inter-stage table's schema with typed,
        // checked readers, model.json's schema, typed provenance. What stages agree on, in one place.
        .target(name: "Contract", dependencies: ["Table", "SystemSupport"]),

        // Captures: pcap/pcapng reading and writing, dissection, windows, flows, splitting.
        .target(name: "Capture", dependencies: ["SystemSupport", "Table", "Contract", "CPcap", "CZlib"]),
        // Entity logs (ours; kubectl's and the original's come with the graph stage), cluster settings
        // (cluster.yaml) and the ground-truth table.
        .target(name: "Cluster", dependencies: ["SystemSupport", "Table", "Contract", "Yams"]),
        // One seed, every draw: the random generator the simulator and injection share.
        .target(name: "Seeded"),
        // The simulator: application and cluster models, workload, attacks, packet synthesis.
        .target(name: "Sim", dependencies: ["SystemSupport", "Capture", "Cluster", "Contract", "Table", "Seeded", "Yams"]),
        // Per-window pod and service graphs (address ownership over time, outside and gateway rules) and
        // their features.
        .target(name: "Graph", dependencies: ["SystemSupport", "Cluster", "Contract", "Table"]),
        // Scaling, LASSO, thresholds and detection metrics.
        .target(name: "Learn", dependencies: ["Table", "Contract"]),
        // Synthetic exfiltration: reachability, attack paths, schedules, edge edits, labels.
        .target(name: "Inject", dependencies: ["SystemSupport", "Graph", "Contract", "Table", "Seeded"]),
        // The report: SVG figures, the HTML page, PDF through a headless Chromium.
        .target(name: "Report", dependencies: ["SystemSupport", "Contract", "Table"]),
        // The runner: stage and pipeline declarations, run keys, the ledger, executors. It knows stages only
        // through stages/*.yaml and runs them as processes.
        .target(name: "Runner", dependencies: ["SystemSupport", "Table", "CXXHash", "CSQLite", "Yams"]),
        // Shared command-line plumbing of the stage executables.
        .target(name: "StageSupport", dependencies: ["SystemSupport", "Table", "Contract", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "mimir-split", dependencies: ["Contract", "Capture", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-flows", dependencies: ["Contract", "Capture", "Cluster", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-records", dependencies: ["Contract", "Capture", "Cluster", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-simulate", dependencies: ["Capture", "Cluster", "Sim", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "mimir-graph", dependencies: ["Table", "Contract", "Cluster", "Graph", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-features", dependencies: ["Table", "Contract", "Cluster", "Graph", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-inject", dependencies: ["Table", "Contract", "Cluster", "Inject", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-fit", dependencies: ["SystemSupport", "Table", "Contract", "Learn", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-score", dependencies: ["SystemSupport", "Table", "Contract", "Cluster", "Learn", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-report", dependencies: ["Table", "Report", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir", dependencies: ["Runner", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-record-entities", dependencies: ["Cluster", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mimir-truth", dependencies: ["Table", "Contract", "Cluster", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "mimir-merge", dependencies: ["Capture", "Cluster", "StageSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // `make bench`: our writer and reader on the benchmark table (Benchmarks/table_bench.py drives it).
        .executableTarget(name: "TableBench", dependencies: ["SystemSupport", "Table"], path: "Benchmarks/TableBench"),

        // Helpers shared by the test targets (temporary directories, the Python cross-check environment).
        .target(name: "TestSupport", dependencies: ["Seeded"], path: "Tests/TestSupport"),
        // The layer graph docs/development.md draws, checked against every import in Sources.
        .testTarget(name: "ArchitectureTests", dependencies: ["TestSupport"]),
        .testTarget(name: "SystemSupportTests", dependencies: ["SystemSupport", "TestSupport"]),
        .testTarget(name: "TableTests", dependencies: ["SystemSupport", "Table", "Contract", "TestSupport"]),
        .testTarget(name: "CaptureTests", dependencies: ["Table", "Contract", "Capture", "Seeded", "TestSupport"]),
        .testTarget(name: "GraphTests", dependencies: ["Table", "Contract", "Capture", "Cluster", "Graph", "TestSupport"]),
        .testTarget(name: "LearnTests", dependencies: ["SystemSupport", "Table", "Contract", "Learn", "TestSupport"]),
        .testTarget(name: "InjectTests", dependencies: ["Table", "Contract", "Capture", "Cluster", "Seeded", "Graph", "Inject", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Table", "Contract", "Capture", "Cluster", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Contract", "Report", "TestSupport"]),
        .testTarget(name: "RunnerTests", dependencies: ["Table", "Runner", "TestSupport"]),
        .testTarget(name: "SimTests", dependencies: ["Contract", "Capture", "Cluster", "Sim", "TestSupport"]),
        .testTarget(name: "StageSupportTests", dependencies: ["StageSupport", "TestSupport"]),
    ]
)
