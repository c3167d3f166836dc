// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets for the parsers of untrusted input: the tokenizer (with the line reader),
// the CoNLL-U reader, the column and sentiment readers, the model loader and the training checkpoint reader. Build and run
// them with `make fuzz` from the repository root; each target is a plain executable whose
// `LLVMFuzzerTestOneInput` calls a check in `FuzzChecks`.
//
// The main package is a dependency by path; its identity is the name of its directory.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let main = root.lastPathComponent
let library = Target.Dependency.product(name: "SequenceTagging", package: main)

let package = Package(
    name: "Fuzz",
    dependencies: [.package(path: root.path)],
    targets: [
        .target(
            name: "FuzzChecks", dependencies: [library], path: "Checks",
            exclude: ["FuzzRegressionTests.swift"]),
        .executableTarget(name: "FuzzTokenizer", dependencies: ["FuzzChecks"]),
        .executableTarget(name: "FuzzCoNLLU", dependencies: ["FuzzChecks"]),
        .executableTarget(name: "FuzzColumns", dependencies: ["FuzzChecks"]),
        .executableTarget(name: "FuzzModelFile", dependencies: ["FuzzChecks"]),
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["FuzzChecks"]),
    ],
    swiftLanguageModes: [.v5]
)
