// swift-tools-version: 6.1
// libFuzzer targets for Mimir's readers of untrusted input. A package of its own, so that `swift build`
// of the project and CI never see the fuzzer flags: `make fuzz` builds it into .build/fuzz with
// `-sanitize=fuzzer,address` and runs every target.
import PackageDescription

let package = Package(
    name: "mimir-fuzz",
    dependencies: [.package(name: "mimir", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .executableTarget(name: "fuzz-capture", dependencies: ["FuzzSupport", .product(name: "Capture", package: "mimir")]),
        .executableTarget(name: "fuzz-records", dependencies: ["FuzzSupport", .product(name: "Capture", package: "mimir")]),
        .executableTarget(name: "fuzz-parquet", dependencies: ["FuzzSupport", .product(name: "Table", package: "mimir"),
                                                             .product(name: "Contract", package: "mimir")]),
        .executableTarget(name: "fuzz-entity-logs", dependencies: ["FuzzSupport", .product(name: "Cluster", package: "mimir")]),
        .executableTarget(name: "fuzz-declarations", dependencies: ["FuzzSupport", .product(name: "Runner", package: "mimir")]),
        .executableTarget(name: "fuzz-policy", dependencies: ["FuzzSupport", .product(name: "Inject", package: "mimir")]),
        .executableTarget(name: "fuzz-model", dependencies: ["FuzzSupport", .product(name: "Contract", package: "mimir")]),
    ]
)
