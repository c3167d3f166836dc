import FuzzChecks

/// The libFuzzer entry point: one input, checked by `FuzzChecks.checkpoint`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzChecks.checkpoint(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
