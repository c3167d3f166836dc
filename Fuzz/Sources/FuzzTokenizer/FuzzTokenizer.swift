import FuzzChecks

/// The libFuzzer entry point: one input, checked by `FuzzChecks.tokenizer`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzChecks.tokenizer(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
