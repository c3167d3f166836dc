#ifndef SEQUENCE_TAGGING_CKERNELS_H
#define SEQUENCE_TAGGING_CKERNELS_H

#include <stdint.h>

/// Kernels in C, each compiled for several x86-64 instruction-set levels (AVX-512, AVX2
/// with FMA, baseline SSE2) and chosen at the first call by the features of the
/// CPU at hand; on other architectures, one portable version.
///
/// Swift has no per-function target attribute, and building the whole package for AVX2
/// would stop it from running on older CPUs, so the two costs of a recurrent step that
/// BLAS does not serve well live here: the LSTM gate kernel (five transcendental functions
/// per unit) and the product of a few rows by a weight matrix packed once for all steps,
/// and the element-wise loops of training whose square roots, divisions and 64-bit
/// products the baseline Swift build runs one lane at a time (Adam's step, dropout masks).

/// The instruction-set level the kernels chose on this CPU ("AVX-512", "AVX2+FMA",
/// "baseline x86-64" or "portable").
const char *sqt_kernel_level(void);

/// One step of an LSTM for one sequence, gate order i f g o, `n` hidden units:
/// `a[0..<4n] = (σ, σ, tanh, σ)(p + q + bias)` (`q` may be NULL: `p + bias`),
/// `c = f ⊙ cPrev + i ⊙ g`, `h = o ⊙ tanh(c)`, `a[4n..<5n] = tanh(c)`. The exponential is
/// the same range-reduced polynomial as `VectorKernels.exp` (relative error below 2e-7).
/// No pointer may overlap another, except that `p` and `q` may be read-only aliases.
void sqt_lstm_forward_row(
    long n, const float *p, const float *q, const float *bias, const float *cPrev,
    float *h, float *c, float *a);

/// One step of an LSTM backward for one sequence, `n` hidden units, from the activations
/// `a` that `sqt_lstm_forward_row` wrote (`[i f g o tanh(c)]`): with `dh` the whole
/// gradient of `h` and `dc` that of `c` from later steps, `dc' = dc + dh ⊙ o ⊙ (1 − tanh²c)`;
/// writes `dz[0..<4n]`, the gradient of the pre-activations `i f g o`, and `dc = dc' ⊙ f`
/// (the gradient of `cPrev`). Multiplications and additions are never fused, so every
/// level gives the same bits. No pointer may overlap another.
void sqt_lstm_backward_row(
    long n, const float *a, const float *cPrev, const float *dh, float *dc, float *dz);

/// `sqt_lstm_backward_row` in the version of level `level`, like `sqt_gemm_packed_at_level`.
void sqt_lstm_backward_row_at_level(
    int level, long n, const float *a, const float *cPrev, const float *dh, float *dc,
    float *dz);

/// The coefficients of one Adam step (see `sqt_adam_step`).
struct sqt_adam_coefficients {
    float beta1, oneMinusBeta1, beta2, oneMinusBeta2;
    /// `lr / (1 − β1ᵗ)`.
    float stepSize;
    /// `1 / √(1 − β2ᵗ)`.
    float inverseRootCorrection;
    float epsilon;
    /// `1 − lr · weightDecay`.
    float decay;
};

/// One Adam step over `count` parameters `w` with gradients `g` and moments `m`, `v`:
/// `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g·g`,
/// `w = decay·w − stepSize·m / (√v · inverseRootCorrection + ε)`, evaluated in that order
/// without fused multiply-adds, so every level gives the same bits. No pointer may overlap
/// another.
void sqt_adam_step(
    long count, float *w, const float *g, float *m, float *v,
    const struct sqt_adam_coefficients *k);

/// `sqt_adam_step` in the version of level `level`, like `sqt_gemm_packed_at_level`.
void sqt_adam_step_at_level(
    int level, long count, float *w, const float *g, float *m, float *v,
    const struct sqt_adam_coefficients *k);

/// A dropout mask of `count` floats: element `2k` (`2k + 1`) is `scale` when the low
/// (high) 32 bits of the `(k+1)`-th output of the SplitMix64 stream whose state starts at
/// `state` are below `threshold`, and `0` otherwise.
void sqt_dropout_mask(long count, uint64_t state, uint64_t threshold, float scale, float *mask);

/// `sqt_dropout_mask` in the version of level `level`, like `sqt_gemm_packed_at_level`.
void sqt_dropout_mask_at_level(
    int level, long count, uint64_t state, uint64_t threshold, float scale, float *mask);

/// `y[j] = Σ_r a[r·lda + j]` for `j < columns` (added to `y` when `accumulate`), each
/// column summed over its rows first to last, at every level.
void sqt_column_sums(
    long rows, long columns, const float *a, long lda, int accumulate, float *y);

/// `sqt_column_sums` in the version of level `level`, like `sqt_gemm_packed_at_level`.
void sqt_column_sums_at_level(
    int level, long rows, long columns, const float *a, long lda, int accumulate, float *y);

/// `Σ x[i]²` over `count` floats, element i added into lane i mod 16 and the lanes then
/// added in a fixed tree, without fused multiply-adds: the same bits at every level.
float sqt_sum_of_squares(long count, const float *x);

/// `sqt_sum_of_squares` in the version of level `level`, like `sqt_gemm_packed_at_level`.
float sqt_sum_of_squares_at_level(int level, long count, const float *x);

/// Columns per panel of a packed matrix.
#define SQT_PANEL 32

/// The number of floats `sqt_pack` writes for a `[k, n]` matrix: n rounded up to a whole
/// number of panels, times k.
long sqt_packed_count(long k, long n);

/// Packs the `[k, n]` matrix B into panels of SQT_PANEL columns (each panel k rows of
/// SQT_PANEL contiguous floats, zero beyond column n). B is row-major with leading
/// dimension `ldb`, or, when `transposed` is nonzero, given as its transpose: `b` is the
/// row-major `[n, k]` matrix Bᵀ with leading dimension `ldb`.
void sqt_pack(long k, long n, const float *b, long ldb, int transposed, float *packed);

/// `C = A · B` (or `C += A · B` when `accumulate` is nonzero) for the row-major `[m, k]`
/// matrix A (leading dimension `lda`), B packed by `sqt_pack`, and the row-major `[m, n]`
/// matrix C (leading dimension `ldc`). C must not overlap A or the packed B.
void sqt_gemm_packed(
    long m, long n, long k, const float *a, long lda, const float *packed, int accumulate,
    float *c, long ldc);

/// `C = Aᵀ · B` (or `C += Aᵀ · B` when `accumulate` is nonzero) for the row-major `[k, m]`
/// matrix A (leading dimension `lda`), the row-major `[k, n]` matrix B (`ldb`) and the
/// row-major `[m, n]` matrix C (`ldc`): the weight gradient `Xᵀ · dY` of a layer, read
/// without packing. Each element of C sums over p in increasing order, in slices of 128.
/// C must not overlap A or B.
void sqt_gemm_tn(
    long m, long n, long k, const float *a, long lda, const float *b, long ldb, int accumulate,
    float *c, long ldc);

/// `sqt_gemm_tn` in the version of level `level`, like `sqt_gemm_packed_at_level`.
void sqt_gemm_tn_at_level(
    int level, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
    int accumulate, float *c, long ldc);

/// The number of instruction-set levels this CPU runs (1 to 3: baseline, then AVX2+FMA,
/// then AVX-512), for tests of every version.
int sqt_kernel_level_count(void);

/// The highest instruction-set level this CPU runs, as the kernels count them: 0 baseline
/// (or not x86-64), 1 AVX2 with FMA, 2 AVX-512 (F, BW, DQ and VL). The features are read
/// with CPUID and the operating system's saved-state mask, so a level the system does not
/// enable (AVX-512 under a hypervisor that hides it) is not counted.
int sqt_cpu_level(void);

/// Writes the CPU's vendor string from CPUID leaf 0 ("GenuineIntel", "AuthenticAMD",
/// "HygonGenuine", ...) to `vendor`, NUL-terminated; empty where there is no CPUID.
void sqt_cpu_vendor(char vendor[13]);

/// `sqt_gemm_packed` in the version of level `level` (0 baseline, 1 AVX2+FMA, 2 AVX-512),
/// or the highest below it that the CPU supports.
void sqt_gemm_packed_at_level(
    int level, long m, long n, long k, const float *a, long lda, const float *packed,
    int accumulate, float *c, long ldc);

/// `sqt_lstm_forward_row` in the version of level `level`, like `sqt_gemm_packed_at_level`.
void sqt_lstm_forward_row_at_level(
    int level, long n, const float *p, const float *q, const float *bias, const float *cPrev,
    float *h, float *c, float *a);

#endif
