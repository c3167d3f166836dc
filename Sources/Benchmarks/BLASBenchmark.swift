import CBLAS
import LinearAlgebra
import NeuralNetwork

/// Compares `Matrix.gemm` with a direct `cblas_sgemm` call on the same operands, and both
/// with the packed C kernel (`Float.gemmPacked`), which the recurrent steps run instead of
/// OpenBLAS: the two can differ several times over (OpenBLAS on a core below the CPU, see
/// `OpenBLASCore`), so a rate the product code is compared against takes the better one.
///
/// The three are timed in alternation so that a change in machine speed during the run
/// affects them alike.
public struct BLASBenchmark {
    /// One measured shape: `C[m, n] = A[m, k] · B[k, n]`.
    public struct Result: Sendable, Codable {
        /// Rows of `A` and `C`.
        public var m: Int
        /// Columns of `B` and `C`.
        public var n: Int
        /// The inner dimension.
        public var k: Int
        /// GFLOP/s of a direct `cblas_sgemm` call.
        public var rawGFLOPS: Double
        /// GFLOP/s of `Matrix.gemm` on the same operands.
        public var wrapperGFLOPS: Double
        /// GFLOP/s of `Float.gemmPacked` on the same operands, B packed once beforehand (as
        /// a recurrent layer packs its weights once per pass).
        public var packedGFLOPS: Double
        /// `wrapperGFLOPS / rawGFLOPS`.
        public var ratio: Double { wrapperGFLOPS / rawGFLOPS }
        /// The better of `rawGFLOPS` and `packedGFLOPS`.
        public var bestGFLOPS: Double { max(rawGFLOPS, packedGFLOPS) }
    }

    /// The shapes of the reference measurements, `(m, n, k)`: a large square product; the
    /// input side of the reference BiLSTM over a batch of 32 × 40 tokens
    /// (`[1280, 1024] × [1024, 150]`, the gradient of the input); a backward recurrent step
    /// (`[32, 512] × [512, 128]`); a forward one (`[32, 128] × [128, 512]`), which the
    /// product code runs in the packed kernel.
    public static let standardShapes = [
        (2048, 2048, 2048), (1280, 150, 1024), (32, 128, 512), (32, 512, 128),
    ]

    /// Number of BLAS threads used during the measurement.
    public var threads: Int
    /// Minimum seconds spent timing each of the three sides of each shape.
    public var secondsPerShape: Double

    /// A benchmark with the given BLAS thread count and time budget per shape.
    public init(threads: Int = 1, secondsPerShape: Double = 1) {
        self.threads = threads
        self.secondsPerShape = secondsPerShape
    }

    /// Measures one shape.
    public func measure(m: Int, n: Int, k: Int) -> Result {
        BLASThreads.set(threads)
        var random = SeededRandom(seed: 1)
        let a: Matrix<Float> = Initializer.uniform(rows: m, columns: k, limit: 1, using: &random)
        let b: Matrix<Float> = Initializer.uniform(rows: k, columns: n, limit: 1, using: &random)
        var c = Matrix<Float>(rows: m, columns: n)
        var rawC = [Float](repeating: 0, count: m * n)
        var packedC = [Float](repeating: 0, count: m * n)
        var packed = [Float](repeating: 0, count: Float.packedCount(k: k, n: n))
        b.withUnsafePointer {
            Float.pack(k: k, n: n, b: $0, ldb: n, transposed: false, into: &packed)
        }
        let flops = 2.0 * Double(m) * Double(n) * Double(k)

        // Calls per timed batch so that one batch lasts about 20 ms.
        let probe = Stopwatch.now()
        Matrix.gemm(a, b, into: &c)
        let single = max(Stopwatch.now() - probe, 1e-7)
        let callsPerBatch = max(1, Int(0.02 / single))

        var rawTimes: [Double] = []
        var wrapperTimes: [Double] = []
        var packedTimes: [Double] = []
        let deadline = Stopwatch.now() + 3 * secondsPerShape
        repeat {
            let start = Stopwatch.now()
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    rawC.withUnsafeMutableBufferPointer { pc in
                        for _ in 0..<callsPerBatch {
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n),
                                Int32(k), 1, pa.baseAddress, Int32(k), pb.baseAddress, Int32(n), 0,
                                pc.baseAddress, Int32(n))
                        }
                    }
                }
            }
            let middle = Stopwatch.now()
            for _ in 0..<callsPerBatch { Matrix.gemm(a, b, into: &c) }
            let end = Stopwatch.now()
            a.scalars.withUnsafeBufferPointer { pa in
                packed.withUnsafeBufferPointer { pb in
                    packedC.withUnsafeMutableBufferPointer { pc in
                        for _ in 0..<callsPerBatch {
                            Float.gemmPacked(
                                m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                                packed: pb.baseAddress!, accumulate: false, c: pc.baseAddress!,
                                ldc: n)
                        }
                    }
                }
            }
            let last = Stopwatch.now()
            rawTimes.append((middle - start) / Double(callsPerBatch))
            wrapperTimes.append((end - middle) / Double(callsPerBatch))
            packedTimes.append((last - end) / Double(callsPerBatch))
        } while Stopwatch.now() < deadline || rawTimes.count < 3
        // The best batch is the least disturbed by other processes.
        return Result(
            m: m, n: n, k: k, rawGFLOPS: flops / rawTimes.min()! / 1e9,
            wrapperGFLOPS: flops / wrapperTimes.min()! / 1e9,
            packedGFLOPS: flops / packedTimes.min()! / 1e9)
    }
}
