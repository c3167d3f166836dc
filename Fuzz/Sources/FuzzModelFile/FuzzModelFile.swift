import FuzzChecks

/// The libFuzzer entry point: one input, checked by `FuzzChecks.modelFile`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzChecks.modelFile(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
