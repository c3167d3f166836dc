import FuzzChecks

/// The libFuzzer entry point: one input, checked by `FuzzChecks.coNLLU`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCoNLLU(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzChecks.coNLLU(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
