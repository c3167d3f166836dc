// swift-tools-version:6.0
import PackageDescription

// Modules import downward only:
// CBLAS, CKernels → LinearAlgebra → NeuralNetwork, ModelStorage;
// CUtf8proc → Text → Corpora → Tokenization; Text → Evaluation;
// all of these → Tagging → LanguageModel, Pipeline → SequenceTagging (the umbrella),
// Benchmarks → tagger.
let package = Package(
    name: "SequenceTagging",
    products: [
        .library(
            name: "SequenceTagging",
            targets: ["SequenceTagging"]),
        .executable(name: "tagger", targets: ["tagger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CUtf8proc", pkgConfig: "libutf8proc",
            providers: [.apt(["libutf8proc-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // Recurrent-step kernels in C, compiled for AVX-512, AVX2 and baseline x86-64 and
        // chosen at the first call (see Sources/CKernels/include/CKernels.h).
        .target(name: "CKernels"),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "NeuralNetwork", dependencies: ["LinearAlgebra"]),
        .target(name: "Text", dependencies: ["CUtf8proc"]),
        .target(name: "Corpora", dependencies: ["Text"]),
        .target(
            name: "Tokenization", dependencies: ["Text", "Corpora"],
            resources: [.copy("Resources/tokenizer-en.tsv")]),
        .target(name: "Evaluation", dependencies: ["Text"]),
        .target(name: "ModelStorage", dependencies: ["LinearAlgebra", "NeuralNetwork", "Text"]),
        .target(
            name: "Tagging",
            dependencies: [
                "CBLAS", "CZlib", "LinearAlgebra", "NeuralNetwork", "Text", "Corpora", "Tokenization",
                "Evaluation", "ModelStorage",
            ]),
        .target(
            name: "LanguageModel",
            dependencies: ["LinearAlgebra", "NeuralNetwork", "Text", "ModelStorage", "Tagging"]),
        .target(
            name: "Pipeline",
            dependencies: [
                "Tagging", "Text", "Corpora", "Tokenization", "Evaluation", "ModelStorage",
            ]),
        // The pipeline as an HTTP JSON service (`tagger serve`), batching across requests.
        .target(
            name: "Serving",
            dependencies: [
                "Pipeline", "Tagging", "Text", "Tokenization",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        // The umbrella: `import SequenceTagging` brings the whole public API.
        .target(
            name: "SequenceTagging",
            dependencies: [
                "LinearAlgebra", "NeuralNetwork", "Text", "Corpora", "Tokenization", "Evaluation",
                "ModelStorage", "Tagging", "LanguageModel", "Pipeline",
            ]),
        // Speed measurements of the building blocks, the reference tagger and the pipeline.
        .target(
            name: "Benchmarks",
            dependencies: [
                "CBLAS", "LinearAlgebra", "NeuralNetwork", "Text", "Corpora", "Tokenization",
                "Tagging", "Pipeline",
            ]),
        .executableTarget(
            name: "tagger",
            dependencies: [
                "LinearAlgebra", "Tagging", "Tokenization", "Evaluation", "ModelStorage", "LanguageModel", "Pipeline",
                "Benchmarks", "Serving",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "TestSupport", dependencies: ["LinearAlgebra", "NeuralNetwork"],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "CKernels", "TestSupport"]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "TestSupport"]),
        .testTarget(name: "TextTests", dependencies: ["Text", "TestSupport"]),
        .testTarget(name: "CorporaTests", dependencies: ["Corpora", "TestSupport"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Text"]),
        .testTarget(
            name: "TaggingTests",
            dependencies: [
                "Tagging", "Tokenization", "Evaluation", "ModelStorage", "LanguageModel", "TestSupport",
            ]),
        .testTarget(
            name: "LanguageModelTests", dependencies: ["LanguageModel", "ModelStorage", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["SequenceTagging", "TestSupport"]),
        .testTarget(name: "TaggerCLITests", dependencies: ["tagger"]),
        // The fuzz checks (shared with the libFuzzer targets of the package in Fuzz/) over the
        // seed corpora and every saved crasher.
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: [
                "LinearAlgebra", "NeuralNetwork", "Tagging", "Corpora", "Text", "Tokenization",
                "ModelStorage", "LanguageModel",
            ],
            path: "Fuzz/Checks"),
    ],
    swiftLanguageModes: [.v5]
)
