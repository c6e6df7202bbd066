// swift-tools-version:6.1
// Vigil — a camera appliance: V4L2/ALSA in, H.264/H.263 + G.711 over RTP/RTSP out.
//
// The frame path is the folder path: Capture → Encode → Serve, joined only through the
// vocabulary in MediaCore. ServeWire is the pure, I/O-free wire code (RTP, RTCP, RTSP,
// SDP, payload formats); Serve is the sockets and sessions that use it. Each C library
// enters through one system-library target and is imported by one module only.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The HTTP status API and /metrics. No default traits: Vigil needs neither
        // swift-configuration nor the full-Foundation extras, and they cost build time.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // Hashes, HMAC and PBKDF2 for access control (never hand-written).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // SQLite for state that must survive restarts and kill -9 (the token store).
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // TLS for the HTTP server (`[http] tls_certificate`, `tls_key`): Hummingbird's TLS
        // channel setup over swift-nio-ssl (BoringSSL inside; no system OpenSSL).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Vocabulary shared by every stage: instants, raw frames, PCM chunks, encoded units.
        .target(name: "MediaCore", swiftSettings: swiftSettings),

        // libx264, entered once, imported only by Encode.
        .systemLibrary(name: "CX264", pkgConfig: "x264", providers: [.apt(["libx264-dev"])]),
        // libopus, entered once, imported only by Encode.
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        // libturbojpeg (snapshots), entered once, imported only by Encode.
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),

        // libv4l2 (cameras) and libasound (microphones), entered once, imported only by Capture.
        .systemLibrary(name: "CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),

        .target(
            name: "Capture",
            dependencies: ["MediaCore", "CV4L2", "CALSA", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Always optimized: the H.263 encoder is pure Swift, and unoptimized it is an order of
        // magnitude too slow for live CIF — in a debug build and in the debug test suite too.
        .target(
            name: "Encode", dependencies: ["MediaCore", "CX264", "COpus", "CTurboJPEG"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"])]
        ),
        .target(
            name: "ServeWire",
            dependencies: ["MediaCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Pure ISO BMFF: boxes, the fragmented MP4 writer and reader (recording, clips, HLS).
        .target(
            name: "Container", dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // Loop recording: the recorder (fMP4 segments made durable part by part), its SQLite
        // index, the recovery scan, retention and clips. Files and threads; no sockets.
        .target(
            name: "Record",
            dependencies: [
                "MediaCore", "Container",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP Live Streaming: playlists (RFC 8216 and its low-latency revision) and the live
        // window of segments and parts, cut by the recorder's muxer. No sockets.
        .target(
            name: "HLS",
            dependencies: ["MediaCore", "Container", "Record", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // ICE for WebRTC viewers: STUN messages (RFC 8489) with MESSAGE-INTEGRITY through
        // swift-crypto. Pure: bytes in, bytes out.
        .target(
            name: "ICE",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // OpenSSL (DTLS 1.2) and libsrtp2 (SRTP) for WebRTC viewers, each entered once, imported
        // only by SecureMedia.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        // The secure media path of WebRTC: the DTLS-SRTP handshake (RFC 5763/5764) with the
        // peer checked by its SDP fingerprint (RFC 8122), and SRTP/SRTCP (RFC 3711, RFC 7714).
        // Pure: datagrams in, datagrams out, through memory BIOs; no sockets, no clock.
        .target(
            name: "SecureMedia",
            dependencies: [
                "COpenSSL", "CSRTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The media library: files played by name (MP4, H.264 Annex B, H.263 elementary
        // streams), read as stored media, with the name checks that keep requests inside it.
        .target(
            name: "Library",
            dependencies: ["MediaCore", "Container", "ServeWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Serve",
            dependencies: [
                "MediaCore", "ServeWire", "Access", "ICE", "SecureMedia",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Access control in one place: users and their permissions, password hashes, RFC 7616
        // digest and Basic authentication, failure back-off. Pure: no sockets, no files; clocks
        // and randomness are injected.
        .target(
            name: "Access",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // UMAS-style tokens (a lifetime and a use count) kept in SQLite through GRDB.
        .target(
            name: "Tokens",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The composition root: builds the whole daemon from its settings; used by main and tests.
        .target(
            name: "VigilKit",
            dependencies: [
                "MediaCore", "Capture", "Encode", "Serve", "Access", "Tokens", "Record", "Container", "Library", "HLS", "SecureMedia",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The browser's side, served from the binary: no files beside it to lose.
            resources: [
                .embedInCode("Web/llhls.js"), .embedInCode("Web/index.html"), .embedInCode("Web/vigil.js"),
                .embedInCode("Web/vigil.css"), .embedInCode("Web/login.html"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilKit", "Encode", "MediaCore", "Access",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Seeded randomness for the test targets: one generator, one way to replay a seed.
        .target(name: "TestSeeds", path: "Tests/TestSeeds"),

        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore"]),
        .testTarget(
            name: "LibraryTests",
            dependencies: ["Library", "Container", "MediaCore", "ServeWire", "TestSeeds", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "ContainerTests",
            dependencies: ["Container", "Encode", "Capture", "MediaCore", "TestSeeds", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "RecordTests",
            dependencies: [
                "Record", "Container", "Encode", "Capture", "MediaCore", "TestSeeds",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ICETests", dependencies: ["ICE", "TestSeeds"]),
        .testTarget(
            name: "SecureMediaTests",
            dependencies: ["SecureMedia", "TestSeeds", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "AccessTests", dependencies: ["Access", "TestSeeds"]),
        .testTarget(name: "TokensTests", dependencies: ["Tokens", "TestSeeds"]),
        .testTarget(
            name: "CaptureTests",
            dependencies: ["Capture", "MediaCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "EncodeTests", dependencies: ["Encode", "Capture", "MediaCore", "TestSeeds"]),
        .testTarget(
            name: "ServeWireTests",
            dependencies: ["ServeWire", "MediaCore", "TestSeeds", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "ServeTests",
            dependencies: [
                "Serve", "ServeWire", "MediaCore", "TestSeeds",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "VigilTests",
            dependencies: [
                "VigilKit", "Serve", "ServeWire", "MediaCore", "Capture", "Encode", "TestSeeds", "Access", "Tokens", "Record",
                "Container", "HLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
