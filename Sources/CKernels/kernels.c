#include "CKernels.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__ELF__)
#include <cpuid.h>
#include <immintrin.h>
#define X86_DISPATCH 1
#else
#define X86_DISPATCH 0
#endif

// ---------------------------------------------------------------------------------------
// Dispatch. Each public kernel exists in three versions (AVX-512, AVX2 with FMA, baseline);
// the first call picks one by the CPU's features and keeps it in a function pointer.
// Features, not CPU model names: `target_clones("arch=skylake-avx512")` resolves through
// `__builtin_cpu_is`, which is false on Cascade Lake, Ice Lake and the virtual CPUs of
// cloud machines, whose models it does not list, so the baseline copy ran there. Not an
// ifunc resolver either: it runs while the program is being relocated, before globals
// such as `__cpu_model` may be read (it crashed under the address sanitizer).

enum { LEVEL_BASELINE = 0, LEVEL_AVX2 = 1, LEVEL_AVX512 = 2 };

#if X86_DISPATCH
// The highest level this CPU runs.
static int cpu_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return LEVEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return LEVEL_AVX2;
    return LEVEL_BASELINE;
}
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define AVX2 __attribute__((target("avx2,fma")))
#else
static int cpu_level(void) { return LEVEL_BASELINE; }
#endif

const char *sqt_kernel_level(void) {
#if X86_DISPATCH
    static const char *names[] = {"baseline x86-64", "AVX2+FMA", "AVX-512"};
    return names[cpu_level()];
#else
    return "portable";
#endif
}

int sqt_kernel_level_count(void) { return cpu_level() + 1; }

int sqt_cpu_level(void) { return cpu_level(); }

void sqt_cpu_vendor(char vendor[13]) {
    memset(vendor, 0, 13);
#if X86_DISPATCH
    unsigned eax, ebx, ecx, edx;
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
        // The twelve characters are in EBX, EDX, ECX, in that order.
        memcpy(vendor, &ebx, 4);
        memcpy(vendor + 4, &edx, 4);
        memcpy(vendor + 8, &ecx, 4);
    }
#endif
}

// ---------------------------------------------------------------------------------------
// LSTM gate kernel.

// e^x for x clamped to [-87.3, 88.3]: x = n·ln2 + r, e^r by a degree-5 polynomial, 2^n
// from the exponent bits. Adding 1.5·2²³ rounds x·log2(e) to the integer n and leaves n
// in the low mantissa bits, so no float-to-integer conversion is needed.
static inline __attribute__((always_inline)) float exp_approx(float input) {
    float x = input < -87.3f ? -87.3f : input;
    x = x > 88.3f ? 88.3f : x;
    const float magic = 12582912.0f;
    float shifted = x * 1.44269504f + magic;
    float n = shifted - magic;
    float r = x - n * 0.693359375f;  // ln 2 in two parts, so that r stays exact
    r = r + n * 2.1219444e-4f;
    float r2 = r * r;
    float r4 = r2 * r2;
    float low = r * 1.66666655e-1f + 5.0000001e-1f;
    float middle = r * 8.3334519e-3f + 4.1665796e-2f;
    float high = r * 1.98756915e-4f + 1.39819995e-3f;
    float e = (low + middle * r2 + high * r4) * r2 + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    uint32_t exponent = (uint32_t)(bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &exponent, sizeof scale);
    return e * scale;
}

static inline __attribute__((always_inline)) float sigmoid(float x) {
    return 1.0f / (1.0f + exp_approx(-x));
}

// tanh x = 1 − 2 / (e^{2x} + 1): well conditioned for large |x|, absolute error below
// 1e-7 for small |x|.
static inline __attribute__((always_inline)) float tanh_approx(float x) {
    return 1.0f - 2.0f / (exp_approx(x + x) + 1.0f);
}

// Gate values a[j] = σ or tanh of p[j] + q[j] + bias[j] (without q when it is null), and
// the cell, for j in [start, end).
static inline __attribute__((always_inline)) void lstm_gates(
    long start, long end, int isTanh, const float *restrict p, const float *restrict q,
    const float *restrict bias, float *restrict a) {
    if (q) {
        if (isTanh)
            for (long j = start; j < end; j++) a[j] = tanh_approx(p[j] + q[j] + bias[j]);
        else
            for (long j = start; j < end; j++) a[j] = sigmoid(p[j] + q[j] + bias[j]);
    } else {
        if (isTanh)
            for (long j = start; j < end; j++) a[j] = tanh_approx(p[j] + bias[j]);
        else
            for (long j = start; j < end; j++) a[j] = sigmoid(p[j] + bias[j]);
    }
}

static inline __attribute__((always_inline)) void lstm_cell(
    long start, long end, long n, const float *restrict cPrev, float *restrict h,
    float *restrict c, float *restrict a) {
    for (long j = start; j < end; j++) {
        float cj = a[n + j] * cPrev[j] + a[j] * a[2 * n + j];
        float tc = tanh_approx(cj);
        c[j] = cj;
        h[j] = a[3 * n + j] * tc;
        a[4 * n + j] = tc;
    }
}

// `loop` over [start, end) in whole spans of 16 elements. A remainder of more than 4
// elements is run as the 16 elements that end at `end`, the overlap computed twice to the
// same values (no output of these loops is one of their inputs), so that it runs in vector
// code: the compiler's scalar remainder of the transcendental functions cost as much as all
// the vectors before it at 25 units (a shorter remainder is cheaper in scalar code).
#define LSTM_SPANS(start, end, loop)                                    \
    do {                                                                \
        long spanStart_ = (start), spanEnd_ = (end);                    \
        long whole_ = spanStart_ + ((spanEnd_ - spanStart_) & ~15L);    \
        if (whole_ == spanStart_ || spanEnd_ - whole_ <= 4) {           \
            loop(spanStart_, spanEnd_);                                 \
        } else {                                                        \
            loop(spanStart_, whole_);                                   \
            loop(spanEnd_ - 16, spanEnd_);                              \
        }                                                               \
    } while (0)

// The body, inlined into each target-specific version and vectorised there for its
// registers. Short loops, one per kind of gate, rather than one long body: five dependent
// transcendental chains in one iteration would not overlap across iterations.
static inline __attribute__((always_inline)) void lstm_forward_row_body(
    long n, const float *restrict p, const float *restrict q, const float *restrict bias,
    const float *restrict cPrev, float *restrict h, float *restrict c, float *restrict a) {
#define SIGMOID_GATES(s, e) lstm_gates(s, e, 0, p, q, bias, a)
#define TANH_GATES(s, e) lstm_gates(s, e, 1, p, q, bias, a)
#define CELL(s, e) lstm_cell(s, e, n, cPrev, h, c, a)
    LSTM_SPANS(0, 2 * n, SIGMOID_GATES);
    LSTM_SPANS(2 * n, 3 * n, TANH_GATES);
    LSTM_SPANS(3 * n, 4 * n, SIGMOID_GATES);
    LSTM_SPANS(0, n, CELL);
#undef SIGMOID_GATES
#undef TANH_GATES
#undef CELL
}

#define LSTM_PARAMETERS                                                                   \
    long n, const float *restrict p, const float *restrict q, const float *restrict bias, \
        const float *restrict cPrev, float *restrict h, float *restrict c, float *restrict a

static void lstm_forward_row_baseline(LSTM_PARAMETERS) {
    lstm_forward_row_body(n, p, q, bias, cPrev, h, c, a);
}

#if X86_DISPATCH
AVX2 static void lstm_forward_row_avx2(LSTM_PARAMETERS) {
    lstm_forward_row_body(n, p, q, bias, cPrev, h, c, a);
}

AVX512 static void lstm_forward_row_avx512(LSTM_PARAMETERS) {
    lstm_forward_row_body(n, p, q, bias, cPrev, h, c, a);
}
#endif

typedef void lstm_forward_row_function(LSTM_PARAMETERS);

// The version of `level`, or of the highest level below it that this CPU runs.
static lstm_forward_row_function *lstm_forward_row_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return lstm_forward_row_avx512;
    if (level >= LEVEL_AVX2) return lstm_forward_row_avx2;
#endif
    return lstm_forward_row_baseline;
}

// Threads racing on the first call store the same pointer.
static _Atomic(lstm_forward_row_function *) lstm_forward_row_chosen;

void sqt_lstm_forward_row(LSTM_PARAMETERS) {
    lstm_forward_row_function *f =
        atomic_load_explicit(&lstm_forward_row_chosen, memory_order_relaxed);
    if (!f) {
        f = lstm_forward_row_at(LEVEL_AVX512);
        atomic_store_explicit(&lstm_forward_row_chosen, f, memory_order_relaxed);
    }
    f(n, p, q, bias, cPrev, h, c, a);
}

void sqt_lstm_forward_row_at_level(int level, LSTM_PARAMETERS) {
    lstm_forward_row_at(level)(n, p, q, bias, cPrev, h, c, a);
}

// ---------------------------------------------------------------------------------------
// LSTM gate kernel, backward.

// Products and sums in the order of the Swift code this replaced, never fused into FMA:
// every level gives the same bits, so training does not depend on the CPU's level.
static inline __attribute__((always_inline)) void lstm_backward_row_body(
    long n, const float *restrict a, const float *restrict cPrev, const float *restrict dh,
    float *restrict dc, float *restrict dz) {
#pragma clang fp contract(off)
    for (long j = 0; j < n; j++) {
        float i = a[j], f = a[n + j], g = a[2 * n + j], o = a[3 * n + j], tc = a[4 * n + j];
        float d = dh[j];
        float dcj = dc[j] + d * o * (1.0f - tc * tc);
        dz[j] = dcj * g * i * (1.0f - i);
        dz[n + j] = dcj * cPrev[j] * f * (1.0f - f);
        dz[2 * n + j] = dcj * i * (1.0f - g * g);
        dz[3 * n + j] = d * tc * o * (1.0f - o);
        dc[j] = dcj * f;
    }
}

#define LSTM_BACKWARD_PARAMETERS                                                            \
    long n, const float *restrict a, const float *restrict cPrev, const float *restrict dh, \
        float *restrict dc, float *restrict dz

static void lstm_backward_row_baseline(LSTM_BACKWARD_PARAMETERS) {
    lstm_backward_row_body(n, a, cPrev, dh, dc, dz);
}

#if X86_DISPATCH
AVX2 static void lstm_backward_row_avx2(LSTM_BACKWARD_PARAMETERS) {
    lstm_backward_row_body(n, a, cPrev, dh, dc, dz);
}

AVX512 static void lstm_backward_row_avx512(LSTM_BACKWARD_PARAMETERS) {
    lstm_backward_row_body(n, a, cPrev, dh, dc, dz);
}
#endif

typedef void lstm_backward_row_function(LSTM_BACKWARD_PARAMETERS);

static lstm_backward_row_function *lstm_backward_row_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return lstm_backward_row_avx512;
    if (level >= LEVEL_AVX2) return lstm_backward_row_avx2;
#endif
    return lstm_backward_row_baseline;
}

static _Atomic(lstm_backward_row_function *) lstm_backward_row_chosen;

void sqt_lstm_backward_row(LSTM_BACKWARD_PARAMETERS) {
    lstm_backward_row_function *f =
        atomic_load_explicit(&lstm_backward_row_chosen, memory_order_relaxed);
    if (!f) {
        f = lstm_backward_row_at(LEVEL_AVX512);
        atomic_store_explicit(&lstm_backward_row_chosen, f, memory_order_relaxed);
    }
    f(n, a, cPrev, dh, dc, dz);
}

void sqt_lstm_backward_row_at_level(int level, LSTM_BACKWARD_PARAMETERS) {
    lstm_backward_row_at(level)(n, a, cPrev, dh, dc, dz);
}

// ---------------------------------------------------------------------------------------
// Adam step.

// Products and sums in the order of the Swift code this replaced, never fused into FMA;
// the root and the division are correctly rounded at every width, so every level (and the
// scalar tail) gives the same bits.
static inline __attribute__((always_inline)) void adam_step_scalar(
    long from, long count, float *restrict w, const float *restrict g, float *restrict m,
    float *restrict v, const struct sqt_adam_coefficients *k) {
#pragma clang fp contract(off)
    for (long j = from; j < count; j++) {
        float gi = g[j];
        float mi = k->beta1 * m[j] + k->oneMinusBeta1 * gi;
        float vi = k->beta2 * v[j] + k->oneMinusBeta2 * gi * gi;
        m[j] = mi;
        v[j] = vi;
        w[j] = k->decay * w[j] -
               k->stepSize * mi / (__builtin_sqrtf(vi) * k->inverseRootCorrection + k->epsilon);
    }
}

#define ADAM_PARAMETERS                                                                 \
    long count, float *restrict w, const float *restrict g, float *restrict m,          \
        float *restrict v, const struct sqt_adam_coefficients *k

static void adam_step_baseline(ADAM_PARAMETERS) { adam_step_scalar(0, count, w, g, m, v, k); }

#if X86_DISPATCH
AVX2 static void adam_step_avx2(ADAM_PARAMETERS) {
    const __m256 b1 = _mm256_set1_ps(k->beta1), a1 = _mm256_set1_ps(k->oneMinusBeta1);
    const __m256 b2 = _mm256_set1_ps(k->beta2), a2 = _mm256_set1_ps(k->oneMinusBeta2);
    const __m256 step = _mm256_set1_ps(k->stepSize);
    const __m256 correction = _mm256_set1_ps(k->inverseRootCorrection);
    const __m256 eps = _mm256_set1_ps(k->epsilon), decay = _mm256_set1_ps(k->decay);
    long j = 0;
    for (; j + 8 <= count; j += 8) {
        __m256 gi = _mm256_loadu_ps(g + j);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + j)), _mm256_mul_ps(a1, gi));
        __m256 vi = _mm256_add_ps(
            _mm256_mul_ps(b2, _mm256_loadu_ps(v + j)), _mm256_mul_ps(_mm256_mul_ps(a2, gi), gi));
        _mm256_storeu_ps(m + j, mi);
        _mm256_storeu_ps(v + j, vi);
        __m256 denominator = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), correction), eps);
        __m256 updated = _mm256_sub_ps(
            _mm256_mul_ps(decay, _mm256_loadu_ps(w + j)),
            _mm256_div_ps(_mm256_mul_ps(step, mi), denominator));
        _mm256_storeu_ps(w + j, updated);
    }
    adam_step_scalar(j, count, w, g, m, v, k);
}

AVX512 static void adam_step_avx512(ADAM_PARAMETERS) {
    const __m512 b1 = _mm512_set1_ps(k->beta1), a1 = _mm512_set1_ps(k->oneMinusBeta1);
    const __m512 b2 = _mm512_set1_ps(k->beta2), a2 = _mm512_set1_ps(k->oneMinusBeta2);
    const __m512 step = _mm512_set1_ps(k->stepSize);
    const __m512 correction = _mm512_set1_ps(k->inverseRootCorrection);
    const __m512 eps = _mm512_set1_ps(k->epsilon), decay = _mm512_set1_ps(k->decay);
    long j = 0;
    for (; j + 16 <= count; j += 16) {
        __m512 gi = _mm512_loadu_ps(g + j);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + j)), _mm512_mul_ps(a1, gi));
        __m512 vi = _mm512_add_ps(
            _mm512_mul_ps(b2, _mm512_loadu_ps(v + j)), _mm512_mul_ps(_mm512_mul_ps(a2, gi), gi));
        _mm512_storeu_ps(m + j, mi);
        _mm512_storeu_ps(v + j, vi);
        __m512 denominator = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vi), correction), eps);
        __m512 updated = _mm512_sub_ps(
            _mm512_mul_ps(decay, _mm512_loadu_ps(w + j)),
            _mm512_div_ps(_mm512_mul_ps(step, mi), denominator));
        _mm512_storeu_ps(w + j, updated);
    }
    adam_step_scalar(j, count, w, g, m, v, k);
}
#endif

typedef void adam_step_function(ADAM_PARAMETERS);

static adam_step_function *adam_step_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return adam_step_avx512;
    if (level >= LEVEL_AVX2) return adam_step_avx2;
#endif
    return adam_step_baseline;
}

static _Atomic(adam_step_function *) adam_step_chosen;

void sqt_adam_step(ADAM_PARAMETERS) {
    adam_step_function *f = atomic_load_explicit(&adam_step_chosen, memory_order_relaxed);
    if (!f) {
        f = adam_step_at(LEVEL_AVX512);
        atomic_store_explicit(&adam_step_chosen, f, memory_order_relaxed);
    }
    f(count, w, g, m, v, k);
}

void sqt_adam_step_at_level(int level, ADAM_PARAMETERS) { adam_step_at(level)(count, w, g, m, v, k); }

// ---------------------------------------------------------------------------------------
// Dropout masks.

// Pair k of the mask comes from the (k+1)-th output of a SplitMix64 stream started at
// `state`: computed from k alone, so the loop has no carried dependency and vectorises
// (64-bit products need AVX-512DQ; the other levels run it one pair at a time).
static inline __attribute__((always_inline)) uint64_t splitmix_output(uint64_t state, long k) {
    uint64_t z = state + (uint64_t)(k + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline __attribute__((always_inline)) void dropout_mask_body(
    long count, uint64_t state, uint64_t threshold, float scale, float *restrict mask) {
    long pairs = count / 2;
    for (long k = 0; k < pairs; k++) {
        uint64_t z = splitmix_output(state, k);
        mask[2 * k] = (z & 0xFFFFFFFFull) < threshold ? scale : 0.0f;
        mask[2 * k + 1] = (z >> 32) < threshold ? scale : 0.0f;
    }
    if (count & 1) {
        uint64_t z = splitmix_output(state, pairs);
        mask[count - 1] = (z & 0xFFFFFFFFull) < threshold ? scale : 0.0f;
    }
}

#define DROPOUT_PARAMETERS \
    long count, uint64_t state, uint64_t threshold, float scale, float *restrict mask

static void dropout_mask_baseline(DROPOUT_PARAMETERS) {
    dropout_mask_body(count, state, threshold, scale, mask);
}

#if X86_DISPATCH
AVX2 static void dropout_mask_avx2(DROPOUT_PARAMETERS) {
    dropout_mask_body(count, state, threshold, scale, mask);
}

AVX512 static void dropout_mask_avx512(DROPOUT_PARAMETERS) {
    dropout_mask_body(count, state, threshold, scale, mask);
}
#endif

typedef void dropout_mask_function(DROPOUT_PARAMETERS);

static dropout_mask_function *dropout_mask_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return dropout_mask_avx512;
    if (level >= LEVEL_AVX2) return dropout_mask_avx2;
#endif
    return dropout_mask_baseline;
}

static _Atomic(dropout_mask_function *) dropout_mask_chosen;

void sqt_dropout_mask(DROPOUT_PARAMETERS) {
    dropout_mask_function *f = atomic_load_explicit(&dropout_mask_chosen, memory_order_relaxed);
    if (!f) {
        f = dropout_mask_at(LEVEL_AVX512);
        atomic_store_explicit(&dropout_mask_chosen, f, memory_order_relaxed);
    }
    f(count, state, threshold, scale, mask);
}

void sqt_dropout_mask_at_level(int level, DROPOUT_PARAMETERS) {
    dropout_mask_at(level)(count, state, threshold, scale, mask);
}

// ---------------------------------------------------------------------------------------
// Reductions in a fixed order.
//
// Each sum is taken in an order fixed by the code, not by the instruction set: column j of
// a column sum adds its rows first to last, and a sum of squares adds element i into lane
// i mod 16, then the lanes in a fixed tree. A compiler vectorises either without
// reordering the additions, and neither fuses a multiply-add, so every level gives the
// same bits. (BLAS gemv and dot sum in orders that depend on the core OpenBLAS runs, so a
// trained model's bits did.)

static inline __attribute__((always_inline)) void column_sums_body(
    long rows, long columns, const float *restrict a, long lda, int accumulate,
    float *restrict y) {
    if (!accumulate) {
        for (long j = 0; j < columns; j++) y[j] = 0.0f;
    }
    for (long r = 0; r < rows; r++) {
        const float *restrict row = a + r * lda;
        for (long j = 0; j < columns; j++) y[j] += row[j];
    }
}

#define SUM_LANES 16

static inline __attribute__((always_inline)) float sum_of_squares_body(
    long count, const float *restrict x) {
    // No fused multiply-add where the CPU has one: the same bits at every level.
#pragma clang fp contract(off)
    float lanes[SUM_LANES] = {0};
    long whole = count - count % SUM_LANES;
    for (long i = 0; i < whole; i += SUM_LANES) {
        for (int l = 0; l < SUM_LANES; l++) lanes[l] += x[i + l] * x[i + l];
    }
    for (long i = whole; i < count; i++) lanes[i - whole] += x[i] * x[i];
    for (int width = SUM_LANES / 2; width > 0; width /= 2) {
        for (int l = 0; l < width; l++) lanes[l] += lanes[l + width];
    }
    return lanes[0];
}

#define COLUMN_SUMS_PARAMETERS \
    long rows, long columns, const float *restrict a, long lda, int accumulate, float *restrict y
#define SUM_OF_SQUARES_PARAMETERS long count, const float *restrict x

static void column_sums_baseline(COLUMN_SUMS_PARAMETERS) {
    column_sums_body(rows, columns, a, lda, accumulate, y);
}
static float sum_of_squares_baseline(SUM_OF_SQUARES_PARAMETERS) {
    return sum_of_squares_body(count, x);
}

#if X86_DISPATCH
AVX2 static void column_sums_avx2(COLUMN_SUMS_PARAMETERS) {
    column_sums_body(rows, columns, a, lda, accumulate, y);
}
AVX2 static float sum_of_squares_avx2(SUM_OF_SQUARES_PARAMETERS) {
    return sum_of_squares_body(count, x);
}
AVX512 static void column_sums_avx512(COLUMN_SUMS_PARAMETERS) {
    column_sums_body(rows, columns, a, lda, accumulate, y);
}
AVX512 static float sum_of_squares_avx512(SUM_OF_SQUARES_PARAMETERS) {
    return sum_of_squares_body(count, x);
}
#endif

typedef void column_sums_function(COLUMN_SUMS_PARAMETERS);
typedef float sum_of_squares_function(SUM_OF_SQUARES_PARAMETERS);

static column_sums_function *column_sums_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return column_sums_avx512;
    if (level >= LEVEL_AVX2) return column_sums_avx2;
#endif
    return column_sums_baseline;
}

static sum_of_squares_function *sum_of_squares_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return sum_of_squares_avx512;
    if (level >= LEVEL_AVX2) return sum_of_squares_avx2;
#endif
    return sum_of_squares_baseline;
}

static _Atomic(column_sums_function *) column_sums_chosen;
static _Atomic(sum_of_squares_function *) sum_of_squares_chosen;

void sqt_column_sums(COLUMN_SUMS_PARAMETERS) {
    column_sums_function *f = atomic_load_explicit(&column_sums_chosen, memory_order_relaxed);
    if (!f) {
        f = column_sums_at(LEVEL_AVX512);
        atomic_store_explicit(&column_sums_chosen, f, memory_order_relaxed);
    }
    f(rows, columns, a, lda, accumulate, y);
}

void sqt_column_sums_at_level(int level, COLUMN_SUMS_PARAMETERS) {
    column_sums_at(level)(rows, columns, a, lda, accumulate, y);
}

float sqt_sum_of_squares(SUM_OF_SQUARES_PARAMETERS) {
    sum_of_squares_function *f =
        atomic_load_explicit(&sum_of_squares_chosen, memory_order_relaxed);
    if (!f) {
        f = sum_of_squares_at(LEVEL_AVX512);
        atomic_store_explicit(&sum_of_squares_chosen, f, memory_order_relaxed);
    }
    return f(count, x);
}

float sqt_sum_of_squares_at_level(int level, SUM_OF_SQUARES_PARAMETERS) {
    return sum_of_squares_at(level)(count, x);
}

// ---------------------------------------------------------------------------------------
// Products with a packed right-hand matrix.
//
// A recurrent step multiplies a few dozen rows by the same weight matrix at every step. A
// general GEMM re-packs that matrix on every call (OpenBLAS's copy routines took a tenth
// of the encoder's time); here it is packed once per sequence batch into panels of
// SQT_PANEL columns, each panel `k` rows of SQT_PANEL contiguous floats (zero-padded past
// column n), so the kernels stream it in order and keep a tile of C in registers.

long sqt_packed_count(long k, long n) {
    return ((n + SQT_PANEL - 1) / SQT_PANEL) * SQT_PANEL * (k > 0 ? k : 1);
}

void sqt_pack(long k, long n, const float *b, long ldb, int transposed, float *packed) {
    long panels = (n + SQT_PANEL - 1) / SQT_PANEL;
    for (long panel = 0; panel < panels; panel++) {
        long first = panel * SQT_PANEL;
        long width = n - first < SQT_PANEL ? n - first : SQT_PANEL;
        float *out = packed + panel * k * SQT_PANEL;
        if (transposed && width == SQT_PANEL) {
            // Bᵀ's rows first..<first+32 read in blocks of 8 columns, so each read is 32
            // contiguous bytes rather than one float per row.
            long i = 0;
            for (; i + 8 <= k; i += 8) {
                for (int j = 0; j < SQT_PANEL; j++) {
                    const float *source = b + (first + j) * ldb + i;
                    for (int u = 0; u < 8; u++) out[(i + u) * SQT_PANEL + j] = source[u];
                }
            }
            for (; i < k; i++) {
                for (int j = 0; j < SQT_PANEL; j++) out[i * SQT_PANEL + j] = b[(first + j) * ldb + i];
            }
            continue;
        }
        for (long i = 0; i < k; i++) {
            float *row = out + i * SQT_PANEL;
            if (transposed) {
                for (long j = 0; j < width; j++) row[j] = b[(first + j) * ldb + i];
            } else {
                memcpy(row, b + i * ldb + first, (size_t)width * sizeof(float));
            }
            for (long j = width; j < SQT_PANEL; j++) row[j] = 0;
        }
    }
}

#define GEMM_PARAMETERS                                                                 \
    long m, long n, long k, const float *restrict a, long lda, const float *restrict packed, \
        int accumulate, float *restrict c, long ldc

// Baseline: one row at a time, a panel's 32 sums in a local array the compiler keeps in
// vector registers.
static void gemm_packed_baseline(GEMM_PARAMETERS) {
    long panels = (n + SQT_PANEL - 1) / SQT_PANEL;
    for (long panel = 0; panel < panels; panel++) {
        long first = panel * SQT_PANEL;
        long width = n - first < SQT_PANEL ? n - first : SQT_PANEL;
        const float *bp = packed + panel * k * SQT_PANEL;
        for (long r = 0; r < m; r++) {
            float sum[SQT_PANEL] = {0};
            const float *ar = a + r * lda;
            for (long i = 0; i < k; i++) {
                float x = ar[i];
                for (int j = 0; j < SQT_PANEL; j++) sum[j] += x * bp[i * SQT_PANEL + j];
            }
            float *cr = c + r * ldc + first;
            if (accumulate) {
                for (long j = 0; j < width; j++) cr[j] += sum[j];
            } else {
                for (long j = 0; j < width; j++) cr[j] = sum[j];
            }
        }
    }
}

#if X86_DISPATCH
// AVX-512: tiles of up to 8 rows × 32 columns, 16 accumulators; each step of the inner
// loop loads two vectors of the panel and does one broadcast FMA per accumulator.
// Row r of A's tile is read at `a + r * lda + i * astep`: `astep` 1 for a row-major A, the
// tile's height for a slice packed tile by tile (the weight gradients, `gemm_tn`).
// `half` (a constant at each call) skips the panel's second 16 columns, for a last panel
// of at most 16 columns: a product of 100 columns then does 112 columns' work, not 128.
// Each element's sum is the same either way.
AVX512 static inline __attribute__((always_inline)) void tile_columns_avx512(
    int rows, int half, long k, const float *restrict a, long lda, long astep,
    const float *restrict bp, int accumulate, float *restrict c, long ldc, __mmask16 mask0,
    __mmask16 mask1) {
    __m512 sum0[8], sum1[8];
#pragma clang loop unroll(full)
    for (int r = 0; r < 8; r++) {
        if (r < rows) {
            if (accumulate) {
                sum0[r] = _mm512_maskz_loadu_ps(mask0, c + r * ldc);
                if (!half) sum1[r] = _mm512_maskz_loadu_ps(mask1, c + r * ldc + 16);
            } else {
                sum0[r] = _mm512_setzero_ps();
                if (!half) sum1[r] = _mm512_setzero_ps();
            }
        }
    }
    for (long i = 0; i < k; i++) {
        __m512 b0 = _mm512_loadu_ps(bp + i * SQT_PANEL);
        __m512 b1 = half ? b0 : _mm512_loadu_ps(bp + i * SQT_PANEL + 16);
#pragma clang loop unroll(full)
        for (int r = 0; r < 8; r++) {
            if (r < rows) {
                __m512 x = _mm512_set1_ps(a[r * lda + i * astep]);
                sum0[r] = _mm512_fmadd_ps(x, b0, sum0[r]);
                if (!half) sum1[r] = _mm512_fmadd_ps(x, b1, sum1[r]);
            }
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 8; r++) {
        if (r < rows) {
            _mm512_mask_storeu_ps(c + r * ldc, mask0, sum0[r]);
            if (!half) _mm512_mask_storeu_ps(c + r * ldc + 16, mask1, sum1[r]);
        }
    }
}

// A tile of `rows` rows (a constant at each call), on half a panel when its second 16
// columns are all past the end (`mask1` empty).
AVX512 static inline __attribute__((always_inline)) void tile_avx512(
    int rows, long k, const float *restrict a, long lda, long astep, const float *restrict bp,
    int accumulate, float *restrict c, long ldc, __mmask16 mask0, __mmask16 mask1) {
    if (mask1 == 0)
        tile_columns_avx512(rows, 1, k, a, lda, astep, bp, accumulate, c, ldc, mask0, mask1);
    else
        tile_columns_avx512(rows, 0, k, a, lda, astep, bp, accumulate, c, ldc, mask0, mask1);
}

// Panels of k ≤ KC rows (16 KB) stay in the 32 KB level-1 cache while every row tile of
// A passes over them; longer products are cut into such slices along k.
#define KC 128

AVX512 static void gemm_packed_avx512(GEMM_PARAMETERS) {
    long panels = (n + SQT_PANEL - 1) / SQT_PANEL;
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = k - k0 < KC ? k - k0 : KC;
        int add = accumulate || k0 > 0;
        for (long panel = 0; panel < panels; panel++) {
            long first = panel * SQT_PANEL;
            long width = n - first < SQT_PANEL ? n - first : SQT_PANEL;
            __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
            __mmask16 mask1 = width >= 32   ? 0xFFFF
                              : width <= 16 ? 0
                                            : (__mmask16)((1u << (width - 16)) - 1);
            const float *bp = packed + panel * k * SQT_PANEL + k0 * SQT_PANEL;
            const float *ak = a + k0;
            float *cp = c + first;
            long r = 0;
            for (; r + 8 <= m; r += 8)
                tile_avx512(8, kc, ak + r * lda, lda, 1, bp, add, cp + r * ldc, ldc, mask0, mask1);
            switch (m - r) {
#define REMAINDER(R)                                                                       \
    case R: tile_avx512(R, kc, ak + r * lda, lda, 1, bp, add, cp + r * ldc, ldc, mask0, mask1); \
        break;
                REMAINDER(1)
                REMAINDER(2)
                REMAINDER(3)
                REMAINDER(4)
                REMAINDER(5)
                REMAINDER(6)
                REMAINDER(7)
#undef REMAINDER
            default: break;
            }
        }
    }
}

// AVX2: 16 registers, so tiles of up to 6 rows × 16 columns (half a panel) and 12
// accumulators.
AVX2 static inline __attribute__((always_inline)) void tile_avx2(
    int rows, long k, const float *restrict a, long lda, long astep, const float *restrict bp,
    int accumulate, float *restrict c, long ldc) {
    __m256 sum0[6], sum1[6];
#pragma clang loop unroll(full)
    for (int r = 0; r < 6; r++) {
        if (r < rows) {
            sum0[r] = accumulate ? _mm256_loadu_ps(c + r * ldc) : _mm256_setzero_ps();
            sum1[r] = accumulate ? _mm256_loadu_ps(c + r * ldc + 8) : _mm256_setzero_ps();
        }
    }
    for (long i = 0; i < k; i++) {
        __m256 b0 = _mm256_loadu_ps(bp + i * SQT_PANEL);
        __m256 b1 = _mm256_loadu_ps(bp + i * SQT_PANEL + 8);
#pragma clang loop unroll(full)
        for (int r = 0; r < 6; r++) {
            if (r < rows) {
                __m256 x = _mm256_broadcast_ss(a + r * lda + i * astep);
                sum0[r] = _mm256_fmadd_ps(x, b0, sum0[r]);
                sum1[r] = _mm256_fmadd_ps(x, b1, sum1[r]);
            }
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 6; r++) {
        if (r < rows) {
            _mm256_storeu_ps(c + r * ldc, sum0[r]);
            _mm256_storeu_ps(c + r * ldc + 8, sum1[r]);
        }
    }
}

// Rows `0..<rows` (at most 6) of a half panel; a partial one (`width` < 16) goes through a
// full-width scratch tile.
AVX2 static void rows_avx2(
    int rows, long k, const float *restrict a, long lda, long astep, const float *restrict bp,
    int accumulate, float *restrict c, long ldc, long width) {
    if (width == 16) {
        switch (rows) {
#define ROWS(R) \
    case R: tile_avx2(R, k, a, lda, astep, bp, accumulate, c, ldc); break;
            ROWS(1)
            ROWS(2)
            ROWS(3)
            ROWS(4)
            ROWS(5)
            ROWS(6)
#undef ROWS
        default: break;
        }
        return;
    }
    float tile[6 * 16];
    for (int r = 0; r < rows; r++)
        for (long j = 0; j < 16; j++) tile[r * 16 + j] = accumulate && j < width ? c[r * ldc + j] : 0;
    rows_avx2(rows, k, a, lda, astep, bp, 1, tile, 16, 16);
    for (int r = 0; r < rows; r++)
        for (long j = 0; j < width; j++) c[r * ldc + j] = tile[r * 16 + j];
}

AVX2 static void gemm_packed_avx2(GEMM_PARAMETERS) {
    long panels = (n + SQT_PANEL - 1) / SQT_PANEL;
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = k - k0 < KC ? k - k0 : KC;
        int add = accumulate || k0 > 0;
        for (long panel = 0; panel < panels; panel++) {
            for (long half = 0; half < 2; half++) {
                long first = panel * SQT_PANEL + half * 16;
                if (first >= n) break;
                long width = n - first < 16 ? n - first : 16;
                const float *bp = packed + panel * k * SQT_PANEL + k0 * SQT_PANEL + half * 16;
                for (long r = 0; r < m; r += 6) {
                    int rows = m - r < 6 ? (int)(m - r) : 6;
                    rows_avx2(
                        rows, kc, a + r * lda + k0, lda, 1, bp, add, c + r * ldc + first, ldc,
                        width);
                }
            }
        }
    }
}

#endif

typedef void gemm_packed_function(GEMM_PARAMETERS);

// The version of `level`, or of the highest level below it that this CPU runs.
static gemm_packed_function *gemm_packed_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return gemm_packed_avx512;
    if (level >= LEVEL_AVX2) return gemm_packed_avx2;
#endif
    return gemm_packed_baseline;
}

static _Atomic(gemm_packed_function *) gemm_packed_chosen;

void sqt_gemm_packed(GEMM_PARAMETERS) {
    gemm_packed_function *f = atomic_load_explicit(&gemm_packed_chosen, memory_order_relaxed);
    if (!f) {
        f = gemm_packed_at(LEVEL_AVX512);
        atomic_store_explicit(&gemm_packed_chosen, f, memory_order_relaxed);
    }
    f(m, n, k, a, lda, packed, accumulate, c, ldc);
}

void sqt_gemm_packed_at_level(int level, GEMM_PARAMETERS) {
    gemm_packed_at(level)(m, n, k, a, lda, packed, accumulate, c, ldc);
}

// ---------------------------------------------------------------------------------------
// Weight gradients: C = Aᵀ · B with A `[k, m]` and B `[k, n]` both row-major, k the
// (long) time × batch dimension, by the packed product's own tiles (`tile_avx512`,
// `tile_avx2`) over slices of KC rows copied into their layout. OpenBLAS copies both
// operands into its own layout too, but runs whatever core it was given.

#define GEMM_TN_PARAMETERS                                                                \
    long m, long n, long k, const float *restrict a, long lda, const float *restrict b,     \
        long ldb, int accumulate, float *restrict c, long ldc

static void gemm_tn_baseline(GEMM_TN_PARAMETERS) {
    for (long i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        if (!accumulate)
            for (long j = 0; j < n; j++) ci[j] = 0;
    }
    for (long p = 0; p < k; p++) {
        const float *ap = a + p * lda;
        const float *bp = b + p * ldb;
        for (long i = 0; i < m; i++) {
            float x = ap[i];
            float *ci = c + i * ldc;
            for (long j = 0; j < n; j++) ci[j] += x * bp[j];
        }
    }
}

#if X86_DISPATCH
// Both operands are read at a stride of a whole row (the gate deltas of two directions side
// by side: 4 KB), so uncopied, the rows of a slice would fall into a few sets of the
// level-1 cache and evict each other. The copies cost about 1/m and 1/n of the
// multiplication.

// Thread-local scratch of at least `count` floats, kept for the next call.
static float *tn_scratch(long count) {
    static _Thread_local float *buffer;
    static _Thread_local long capacity;
    if (count > capacity) {
        free(buffer);
        capacity = count < 4096 ? 4096 : count;
        buffer = malloc((size_t)capacity * sizeof(float));
    }
    return buffer;
}

// A's rows k0..<k0+kc, columns 0..<m, as tiles of `rows` columns, zero past column m.
// Full tiles of 8 or 6 columns are copied with a copy of constant size, which the compiler
// inlines: the loop below, on a variable width, became a call to `memmove` for every
// 24 or 32 bytes (2.5% of a training step).
static void pack_a_tiles(
    const float *restrict a, long lda, long m, long kc, int rows, float *restrict out) {
    for (long t = 0; t < m; t += rows) {
        long width = m - t < rows ? m - t : rows;
        float *tile = out + (t / rows) * kc * rows;
        if (width == 8 && rows == 8) {
            for (long p = 0; p < kc; p++) memcpy(tile + p * 8, a + p * lda + t, 8 * sizeof(float));
            continue;
        }
        if (width == 6 && rows == 6) {
            for (long p = 0; p < kc; p++) memcpy(tile + p * 6, a + p * lda + t, 6 * sizeof(float));
            continue;
        }
        for (long p = 0; p < kc; p++) {
            const float *src = a + p * lda + t;
            float *dst = tile + p * rows;
            long j = 0;
            for (; j < width; j++) dst[j] = src[j];
            for (; j < rows; j++) dst[j] = 0;
        }
    }
}

// A's slice packed tile by tile (`[tile][p][rows]`, so row r of a tile at step p is
// `tile[p * rows + r]`) and B's slice into one panel (`[p][32]`, as `sqt_pack` lays out a
// panel, zero past `width`) feed the packed product's own tiles.

// B's rows 0..<kc, columns 0..<width (at most 32) of a row-major slice, as one panel.
AVX512 static void panel_avx512(
    const float *restrict b, long ldb, long kc, long width, float *restrict panel) {
    __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
    __mmask16 mask1 = width >= 32 ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
    for (long p = 0; p < kc; p++) {
        _mm512_store_ps(panel + p * SQT_PANEL, _mm512_maskz_loadu_ps(mask0, b + p * ldb));
        _mm512_store_ps(
            panel + p * SQT_PANEL + 16, _mm512_maskz_loadu_ps(mask1, b + p * ldb + 16));
    }
}

AVX512 static void gemm_tn_avx512(GEMM_TN_PARAMETERS) {
    float *ap = tn_scratch(((m + 7) / 8) * 8 * KC);
    float bp[KC * SQT_PANEL] __attribute__((aligned(64)));
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = k - k0 < KC ? k - k0 : KC;
        int add = accumulate || k0 > 0;
        pack_a_tiles(a + k0 * lda, lda, m, kc, 8, ap);
        for (long first = 0; first < n; first += SQT_PANEL) {
            long width = n - first < SQT_PANEL ? n - first : SQT_PANEL;
            panel_avx512(b + k0 * ldb + first, ldb, kc, width, bp);
            __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
            __mmask16 mask1 = width >= 32   ? 0xFFFF
                              : width <= 16 ? 0
                                            : (__mmask16)((1u << (width - 16)) - 1);
            for (long r = 0; r < m; r += 8) {
                const float *tile = ap + (r / 8) * kc * 8;
                float *cr = c + r * ldc + first;
                switch (m - r < 8 ? m - r : 8) {
#define ROWS(R)                                                                             \
    case R: tile_avx512(R, kc, tile, 1, 8, bp, add, cr, ldc, mask0, mask1); break;
                    ROWS(1)
                    ROWS(2)
                    ROWS(3)
                    ROWS(4)
                    ROWS(5)
                    ROWS(6)
                    ROWS(7)
                    ROWS(8)
#undef ROWS
                default: break;
                }
            }
        }
    }
}

// B's rows 0..<kc, columns 0..<width (at most 32) as one panel, with AVX2 masked loads.
AVX2 static void panel_avx2(
    const float *restrict b, long ldb, long kc, long width, float *restrict panel) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i masks[4];
    for (int q = 0; q < 4; q++)
        masks[q] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(width - 8 * q)), index);
    for (long p = 0; p < kc; p++)
        for (int q = 0; q < 4; q++)
            _mm256_store_ps(
                panel + p * SQT_PANEL + 8 * q, _mm256_maskload_ps(b + p * ldb + 8 * q, masks[q]));
}

AVX2 static void gemm_tn_avx2(GEMM_TN_PARAMETERS) {
    float *ap = tn_scratch(((m + 5) / 6) * 6 * KC);
    float bp[KC * SQT_PANEL] __attribute__((aligned(32)));
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = k - k0 < KC ? k - k0 : KC;
        int add = accumulate || k0 > 0;
        pack_a_tiles(a + k0 * lda, lda, m, kc, 6, ap);
        for (long panel = 0; panel < n; panel += SQT_PANEL) {
            long panelWidth = n - panel < SQT_PANEL ? n - panel : SQT_PANEL;
            panel_avx2(b + k0 * ldb + panel, ldb, kc, panelWidth, bp);
            for (long half = 0; half < 2; half++) {
                long first = panel + half * 16;
                if (first >= n) break;
                long width = n - first < 16 ? n - first : 16;
                for (long r = 0; r < m; r += 6) {
                    int rows = m - r < 6 ? (int)(m - r) : 6;
                    rows_avx2(
                        rows, kc, ap + (r / 6) * kc * 6, 1, 6, bp + half * 16, add,
                        c + r * ldc + first, ldc, width);
                }
            }
        }
    }
}
#endif

typedef void gemm_tn_function(GEMM_TN_PARAMETERS);

static gemm_tn_function *gemm_tn_at(int level) {
    if (level > cpu_level()) level = cpu_level();
#if X86_DISPATCH
    if (level >= LEVEL_AVX512) return gemm_tn_avx512;
    if (level >= LEVEL_AVX2) return gemm_tn_avx2;
#endif
    return gemm_tn_baseline;
}

static _Atomic(gemm_tn_function *) gemm_tn_chosen;

void sqt_gemm_tn(GEMM_TN_PARAMETERS) {
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    gemm_tn_function *f = atomic_load_explicit(&gemm_tn_chosen, memory_order_relaxed);
    if (!f) {
        f = gemm_tn_at(LEVEL_AVX512);
        atomic_store_explicit(&gemm_tn_chosen, f, memory_order_relaxed);
    }
    f(m, n, k, a, lda, b, ldb, accumulate, c, ldc);
}

void sqt_gemm_tn_at_level(int level, GEMM_TN_PARAMETERS) {
    if (k <= 0) {
        sqt_gemm_tn(m, n, k, a, lda, b, ldb, accumulate, c, ldc);
        return;
    }
    gemm_tn_at(level)(m, n, k, a, lda, b, ldb, accumulate, c, ldc);
}
