import CBLAS
import LinearAlgebra
import NeuralNetwork

/// Compares `Matrix.gemm` with a direct `cblas_sgemm` call on the same operands.
///
/// Raw and wrapped calls are timed in alternation so that a change in machine
/// speed during the run affects both sides alike.
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
        /// `wrapperGFLOPS / rawGFLOPS`.
        public var ratio: Double { wrapperGFLOPS / rawGFLOPS }
    }

    /// The shapes of the reference measurements: a large square product, a BiLSTM
    /// input projection and one recurrent step.
    public static let standardShapes = [(2048, 2048, 2048), (1280, 150, 1024), (32, 128, 512)]

    /// Number of BLAS threads used during the measurement.
    public var threads: Int
    /// Minimum seconds spent timing each side of each shape.
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
        let flops = 2.0 * Double(m) * Double(n) * Double(k)

        // Calls per timed batch so that one batch lasts about 20 ms.
        let probe = Stopwatch.now()
        Matrix.gemm(a, b, into: &c)
        let single = max(Stopwatch.now() - probe, 1e-7)
        let callsPerBatch = max(1, Int(0.02 / single))

        var rawTimes: [Double] = []
        var wrapperTimes: [Double] = []
        let deadline = Stopwatch.now() + 2 * secondsPerShape
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
            rawTimes.append((middle - start) / Double(callsPerBatch))
            wrapperTimes.append((end - middle) / Double(callsPerBatch))
        } while Stopwatch.now() < deadline || rawTimes.count < 3
        // The best batch is the least disturbed by other processes.
        return Result(
            m: m, n: n, k: k, rawGFLOPS: flops / rawTimes.min()! / 1e9,
            wrapperGFLOPS: flops / wrapperTimes.min()! / 1e9)
    }
}
