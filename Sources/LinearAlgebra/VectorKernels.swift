import CKernels

#if canImport(Glibc)
    import Glibc
#endif

/// Element-wise activation kernels for `Float` that the compiler can vectorise.
///
/// The exponential is a Cephes-style polynomial on four lanes at once (one SSE register:
/// the package is built for baseline x86-64, where eight lanes spill registers): range
/// reduction by `ln 2`, a degree-5 polynomial, and the power of two built from the
/// exponent bits. Its relative error is below 2e-7 over the whole finite range,
/// which is as good as `expf` for training and an order of magnitude faster.
enum VectorKernels {
    typealias Lanes = SIMD4<Float>
    typealias IntegerLanes = SIMD4<Int32>

    @inline(__always)
    static func exp(_ input: Lanes) -> Lanes {
        // Clamped with masks: `clamped(lowerBound:upperBound:)` is an out-of-line call.
        var x = input
        x.replace(with: Lanes(repeating: -87.3), where: x .< -87.3)
        x.replace(with: Lanes(repeating: 88.3), where: x .> 88.3)
        // Adding 1.5·2²³ rounds x·log2(e) to the nearest integer n (|n| ≤ 127) and leaves
        // n in the low mantissa bits, so neither a rounding call nor a float-to-integer
        // conversion (both slow per-lane paths for SIMD8) is needed.
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        // r = x − n·ln2 in two steps so that r stays exact.
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        // The degree-5 polynomial by Estrin's scheme: independent pairs, then powers of
        // r², so the dependency chain is about half as long as Horner's.
        let r2 = r * r
        let r4 = r2 * r2
        let low = r * 1.666_666_55e-1 + 5.000_000_1e-1
        let middle = r * 8.333_451_9e-3 + 4.166_579_6e-2
        let high = r * 1.987_569_15e-4 + 1.398_199_95e-3
        let p = low + middle * r2 + high * r4
        let e = p * r2 + r + 1
        let integer = unsafeBitCast(shifted, to: IntegerLanes.self) &- 0x4B40_0000
        let exponent = (integer &+ 127) &<< 23
        return e * unsafeBitCast(exponent, to: Lanes.self)
    }

    @inline(__always)
    static func sigmoid(_ x: Lanes) -> Lanes {
        1 / (1 + exp(-x))
    }

    @inline(__always)
    static func tanh(_ x: Lanes) -> Lanes {
        // tanh x = 1 − 2 / (e^{2x} + 1); well conditioned for |x| large, and for
        // small |x| the absolute error stays below 1e-7.
        1 - 2 / (exp(x + x) + 1)
    }

    /// Applies `transform` to `count` floats in place, a lane group at a time.
    @inline(__always)
    static func apply(
        _ x: UnsafeMutablePointer<Float>, count: Int, _ transform: (Lanes) -> Lanes
    ) {
        var i = 0
        while i + Lanes.scalarCount <= count {
            let raw = UnsafeMutableRawPointer(x + i)
            let v = raw.loadUnaligned(as: Lanes.self)
            raw.storeBytes(of: transform(v), as: Lanes.self)
            i += Lanes.scalarCount
        }
        if i < count {
            var tail = Lanes(repeating: 0)
            for j in 0..<(count - i) { tail[j] = x[i + j] }
            let result = transform(tail)
            for j in 0..<(count - i) { x[i + j] = result[j] }
        }
    }

    static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count, sigmoid)
    }

    static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count, tanh)
    }

    static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count, exp)
    }
}

// MARK: - Fused recurrent-cell kernels
//
// Each kernel runs a SIMD loop over whole lane groups with unconditional loads and
// stores (a per-load bounds branch made the optimizer spill and tripled the instruction
// count), then a scalar loop over the last `hidden mod 4` units with libm functions.

extension VectorKernels {
    /// The lane group at `p + j`; `j + Lanes.scalarCount` must not pass the end.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ j: Int) -> Lanes {
        UnsafeRawPointer(p + j).loadUnaligned(as: Lanes.self)
    }

    /// Stores a lane group at `p + j`.
    @inline(__always)
    static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ j: Int) {
        UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: Lanes.self)
    }

    /// The number of leading units handled in whole lane groups.
    @inline(__always)
    static func wholeGroups(_ n: Int) -> Int { n - n % Lanes.scalarCount }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + Glibc.expf(-x)) }

    /// `out = σ(p + q + b)` over `count` elements (`q == nil`: `σ(p + b)`).
    @inline(__always)
    static func sigmoidOfSum(
        _ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>?, _ b: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>, count: Int
    ) {
        let whole = wholeGroups(count)
        var j = 0
        if let q {
            while j < whole {
                store(sigmoid(load(p, j) + load(q, j) + load(b, j)), out, j)
                j += Lanes.scalarCount
            }
            for j in whole..<count { out[j] = sigmoid(p[j] + q[j] + b[j]) }
        } else {
            while j < whole {
                store(sigmoid(load(p, j) + load(b, j)), out, j)
                j += Lanes.scalarCount
            }
            for j in whole..<count { out[j] = sigmoid(p[j] + b[j]) }
        }
    }

    /// `out = tanh(p + q + b)` over `count` elements (`q == nil`: `tanh(p + b)`).
    @inline(__always)
    static func tanhOfSum(
        _ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>?, _ b: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>, count: Int
    ) {
        let whole = wholeGroups(count)
        var j = 0
        if let q {
            while j < whole {
                store(tanh(load(p, j) + load(q, j) + load(b, j)), out, j)
                j += Lanes.scalarCount
            }
            for j in whole..<count { out[j] = Glibc.tanhf(p[j] + q[j] + b[j]) }
        } else {
            while j < whole {
                store(tanh(load(p, j) + load(b, j)), out, j)
                j += Lanes.scalarCount
            }
            for j in whole..<count { out[j] = Glibc.tanhf(p[j] + b[j]) }
        }
    }
}

extension Float {
    /// See `BLASScalar.lstmForwardRow`: the C kernel `sqt_lstm_forward_row`, vectorised for
    /// the widest registers the CPU has (its five transcendental functions per unit are
    /// the cost of the cell).
    @inline(__always)
    public static func lstmForwardRow(
        hidden n: Int, p: UnsafePointer<Float>, q: UnsafePointer<Float>?,
        bias: UnsafePointer<Float>,
        cPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
        activations a: UnsafeMutablePointer<Float>
    ) {
        sqt_lstm_forward_row(n, p, q, bias, cPrev, h, c, a)
    }

    /// A dropout mask of `count` floats into `mask`: element `2k` (`2k + 1`) is `scale`
    /// when the low (high) 32 bits of the `(k+1)`-th output of the SplitMix64 stream whose
    /// state starts at `state` are below `threshold`, else `0`. The C kernel
    /// `sqt_dropout_mask`, eight pairs at a time where the CPU has AVX-512.
    @inline(__always)
    public static func dropoutMask(
        count: Int, state: UInt64, threshold: UInt64, scale: Float,
        mask: UnsafeMutablePointer<Float>
    ) {
        sqt_dropout_mask(count, state, threshold, scale, mask)
    }

    /// One Adam step over `count` parameters `w` with gradients `g` and moments `m` and `v`:
    /// `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g·g`,
    /// `w = decay·w − stepSize·m / (√v · inverseRootCorrection + ε)`, in that order. The C
    /// kernel `sqt_adam_step`, vectorised for the widest registers the CPU has, with the
    /// same bits at every level. No buffer may overlap another.
    @inline(__always)
    public static func adamStep(
        count: Int, w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, beta1: Float,
        beta2: Float, stepSize: Float, inverseRootCorrection: Float, epsilon: Float,
        decay: Float
    ) {
        var coefficients = sqt_adam_coefficients(
            beta1: beta1, oneMinusBeta1: 1 - beta1, beta2: beta2, oneMinusBeta2: 1 - beta2,
            stepSize: stepSize, inverseRootCorrection: inverseRootCorrection, epsilon: epsilon,
            decay: decay)
        sqt_adam_step(count, w, g, m, v, &coefficients)
    }

    /// See `BLASScalar.lstmBackwardRow`: the C kernel `sqt_lstm_backward_row`, vectorised
    /// for the widest registers the CPU has, with the same bits at every level.
    @inline(__always)
    public static func lstmBackwardRow(
        hidden n: Int, activations a: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
        dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>
    ) {
        sqt_lstm_backward_row(n, a, cPrev, dh, dc, dz)
    }

    /// See `BLASScalar.gruForwardRow`; gates `r u` in one short loop, then the candidate.
    public static func gruForwardRow(
        hidden n: Int, p: UnsafePointer<Float>, q: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
        activations a: UnsafeMutablePointer<Float>
    ) {
        typealias K = VectorKernels
        K.sigmoidOfSum(p, q, bias, a, count: 2 * n)
        let whole = K.wholeGroups(n)
        var j = 0
        while j < whole {
            let r = K.load(a, j)
            let u = K.load(a + n, j)
            let qn = K.load(q + 2 * n, j)
            let c = K.tanh(K.load(p + 2 * n, j) + K.load(bias + 2 * n, j) + r * qn)
            K.store((1 - u) * c + u * K.load(hPrev, j), h, j)
            K.store(c, a + 2 * n, j)
            K.store(qn, a + 3 * n, j)
            j += K.Lanes.scalarCount
        }
        for j in whole..<n {
            let (r, u) = (a[j], a[n + j])
            let qn = q[2 * n + j]
            let c = Glibc.tanhf(p[2 * n + j] + bias[2 * n + j] + r * qn)
            h[j] = (1 - u) * c + u * hPrev[j]
            (a[2 * n + j], a[3 * n + j]) = (c, qn)
        }
    }

    /// See `BLASScalar.gruBackwardRow`.
    public static func gruBackwardRow(
        hidden n: Int, activations a: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
        dh: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, dq: UnsafeMutablePointer<Float>,
        dhPrev: UnsafeMutablePointer<Float>
    ) {
        typealias K = VectorKernels
        let whole = K.wholeGroups(n)
        var j = 0
        while j < whole {
            let r = K.load(a, j)
            let u = K.load(a + n, j)
            let c = K.load(a + 2 * n, j)
            let qn = K.load(a + 3 * n, j)
            let d = K.load(dh, j)
            let dzn = d * (1 - u) * (1 - c * c)
            let dzr = dzn * qn * r * (1 - r)
            let dzu = d * (K.load(hPrev, j) - c) * u * (1 - u)
            K.store(dzr, dp, j)
            K.store(dzu, dp + n, j)
            K.store(dzn, dp + 2 * n, j)
            K.store(dzr, dq, j)
            K.store(dzu, dq + n, j)
            K.store(dzn * r, dq + 2 * n, j)
            K.store(d * u, dhPrev, j)
            j += K.Lanes.scalarCount
        }
        for j in whole..<n {
            let (r, u, c, qn) = (a[j], a[n + j], a[2 * n + j], a[3 * n + j])
            let d = dh[j]
            let dzn = d * (1 - u) * (1 - c * c)
            let dzr = dzn * qn * r * (1 - r)
            let dzu = d * (hPrev[j] - c) * u * (1 - u)
            (dp[j], dp[n + j], dp[2 * n + j]) = (dzr, dzu, dzn)
            (dq[j], dq[n + j], dq[2 * n + j]) = (dzr, dzu, dzn * r)
            dhPrev[j] = d * u
        }
    }

    /// See `BLASScalar.rnnForwardRow`.
    public static func rnnForwardRow(
        hidden n: Int, p: UnsafePointer<Float>, q: UnsafePointer<Float>?,
        bias: UnsafePointer<Float>,
        h: UnsafeMutablePointer<Float>
    ) {
        VectorKernels.tanhOfSum(p, q, bias, h, count: n)
    }

    /// See `BLASScalar.rnnBackwardRow`.
    public static func rnnBackwardRow(
        hidden n: Int, h: UnsafePointer<Float>, dh: UnsafePointer<Float>,
        dz: UnsafeMutablePointer<Float>
    ) {
        typealias K = VectorKernels
        let whole = K.wholeGroups(n)
        var j = 0
        while j < whole {
            let hj = K.load(h, j)
            K.store(K.load(dh, j) * (1 - hj * hj), dz, j)
            j += K.Lanes.scalarCount
        }
        for j in whole..<n { dz[j] = dh[j] * (1 - h[j] * h[j]) }
    }
}
