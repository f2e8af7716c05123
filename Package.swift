// swift-tools-version: 6.0
import PackageDescription

/// Release builds skip Swift's dynamic exclusivity checks in the hot engine targets: their
/// classes are confined to one thread (the engine is single-threaded by design) and the checks
/// cost ~12 % of per-event time (measured with perf on `weir run`). Debug builds, which the
/// tests use, keep the checks.
let hotPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Weir",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weir", targets: ["weir"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // System libraries: thin shims over the C libraries, no Swift.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // CRC-32C with the CPU's instruction where there is one (C: Swift has no intrinsics for it).
        .target(name: "CCRC32C"),
        .target(name: "CFileSync"),

        // Pure logic: specs, windows, aggregates, the engine. No I/O, no clock.
        .target(
            name: "WeirCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Collections", package: "swift-collections"),
            ],
            swiftSettings: hotPathSettings
        ),
        // Bytes <-> values: NDJSON scanner, zstd frames, recording format, checksums. No files, no threads.
        .target(name: "WeirCodec", dependencies: ["WeirCore", "CZstd", "CCRC32C"], swiftSettings: hotPathSettings),
        // Files on disk: reads by offset, durable writes, recordings read (frames decompressed on
        // background threads) and written. WeirCodec stays bytes in, values out.
        .target(name: "WeirFiles", dependencies: ["WeirCodec", "CZstd"], swiftSettings: hotPathSettings),
        // LMDB environment and transactions.
        .target(name: "WeirStore", dependencies: ["CLMDB", "CFileSync", "WeirCodec"]),
        // The deliberately naive single-threaded reference implementation.
        .target(name: "WeirReference", dependencies: ["WeirCore"]),
        // SwiftNIO framing between processes, bridged to async code.
        .target(name: "WeirWire", dependencies: [
            "WeirCodec",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // The coordinator process: ingest, partition logs, leases, job registry, query fan-out, metrics.
        .target(name: "WeirCoordinator", dependencies: [
            "WeirCore", "WeirCodec", "WeirStore", "WeirWire",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Collections", package: "swift-collections"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // The worker process: leases, partition runners, checkpoints, partial aggregates for queries.
        .target(name: "WeirWorker", dependencies: [
            "WeirCore", "WeirCodec", "WeirStore", "WeirWire",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // The HTTP API (Hummingbird), against an injected `ClusterAPI`.
        .target(name: "WeirHTTP", dependencies: [
            "WeirCore", "WeirCodec",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Local pipelines with file I/O: `weir run`, `weir gen`.
        .target(name: "WeirRunner", dependencies: ["WeirCore", "WeirCodec", "WeirFiles", "WeirReference"]),
        // The programs around the engine, as a library the CLI and the tests call: the local
        // cluster's supervisor (`up`), `verify` with its chaos driver, crash sweeps and report,
        // the replay and record clients, the HTTP client.
        .target(name: "WeirTools", dependencies: [
            "WeirCore", "WeirCodec", "WeirFiles", "WeirWire", "WeirRunner",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirTools", "WeirRunner", "WeirCore", "WeirCodec", "WeirFiles", "WeirStore", "WeirWire", "WeirCoordinator", "WeirWorker", "WeirHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Scratch directories the tests remove when they exit (not shipped: no product uses it).
        .target(name: "WeirTestSupport", dependencies: ["WeirCore", "WeirCoordinator", "WeirWire"], path: "Tests/WeirTestSupport"),
        .testTarget(name: "WeirCoreTests", dependencies: ["WeirCore", "WeirCodec"]),
        .testTarget(name: "WeirCodecTests", dependencies: ["WeirCodec", "WeirCore", "WeirTestSupport"]),
        .testTarget(name: "WeirFilesTests", dependencies: ["WeirFiles", "WeirCodec", "WeirCore", "WeirTestSupport"]),
        .testTarget(name: "WeirStoreTests", dependencies: ["WeirStore", "WeirCodec", "WeirCore", "WeirTestSupport"]),
        // One real worker against a coordinator the test plays over TCP (no processes).
        .testTarget(name: "WeirWorkerTests", dependencies: [
            "WeirWorker", "WeirWire", "WeirStore", "WeirCodec", "WeirCore", "WeirTestSupport",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
        ]),
        // Real `weir` processes on loopback (the tests start the built executable).
        .testTarget(name: "WeirClusterTests", dependencies: ["weir", "WeirTestSupport"]),
        // A real coordinator in the test process, driven over its wire protocol.
        .testTarget(name: "WeirCoordinatorTests", dependencies: [
            "WeirCoordinator", "WeirWire", "WeirCodec", "WeirCore", "WeirTestSupport", .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // The wire layer's request correlator, on a manual clock.
        .testTarget(name: "WeirWireTests", dependencies: ["WeirWire", "WeirCore", "WeirTestSupport"]),
        .testTarget(name: "WeirHTTPTests", dependencies: ["WeirHTTP", "WeirCore", .product(name: "Yams", package: "Yams")]),
        // The tools as a library: verify's parts, and the replay client against an in-process coordinator.
        .testTarget(name: "WeirToolsTests", dependencies: ["WeirTools", "WeirCoordinator", "WeirStore", "WeirWire", "WeirCore", "WeirTestSupport"]),
        .testTarget(name: "WeirRunnerTests", dependencies: ["WeirRunner", "WeirReference", "WeirCodec", "WeirCore", "WeirTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
