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
        .executable(name: "mimir-table-bench", targets: ["TableBench"]),
    ],
    targets: [
        // libzstd from Debian's libzstd-dev; only Sources/Table/IO/Zstd.swift imports it.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // Parquet+ZSTD tables: the format every stage reads and writes.
        .target(name: "Table", dependencies: ["CZstd"]),

        // `make bench`: our writer and reader on the benchmark table (Benchmarks/table_bench.py drives it).
        .executableTarget(name: "TableBench", dependencies: ["Table"], path: "Benchmarks/TableBench"),

        .testTarget(name: "TableTests", dependencies: ["Table"]),
    ]
)
