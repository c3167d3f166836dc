import FuzzChecks

/// The libFuzzer entry point: one input, checked by `FuzzChecks.columns`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzColumns(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzChecks.columns(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
