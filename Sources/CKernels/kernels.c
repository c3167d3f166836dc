#include "CKernels.h"

#include <stdint.h>
#include <string.h>

// target_clones makes one copy of each function per listed target plus an ifunc that
// picks the best the CPU supports when the library is loaded; each copy is vectorised by
// the compiler for its own register width.
#if defined(__x86_64__) && defined(__ELF__)
#define MULTIVERSIONED \
    __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define MULTIVERSIONED
#endif

// e^x for x clamped to [-87.3, 88.3]: x = n·ln2 + r, e^r by a degree-5 polynomial, 2^n
// from the exponent bits. Adding 1.5·2²³ rounds x·log2(e) to the integer n and leaves n
// in the low mantissa bits, so no float-to-integer conversion is needed.
static inline float exp_approx(float input) {
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

static inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

// tanh x = 1 − 2 / (e^{2x} + 1): well conditioned for large |x|, absolute error below
// 1e-7 for small |x|.
static inline float tanh_approx(float x) { return 1.0f - 2.0f / (exp_approx(x + x) + 1.0f); }

MULTIVERSIONED
void sqt_lstm_forward_row(
    long n, const float *restrict p, const float *restrict q, const float *restrict bias,
    const float *restrict cPrev, float *restrict h, float *restrict c, float *restrict a) {
    // Short loops, one per kind of gate, rather than one long body: five dependent
    // transcendental chains in one iteration would not overlap across iterations.
    if (q) {
        for (long j = 0; j < 2 * n; j++) a[j] = sigmoid(p[j] + q[j] + bias[j]);
        for (long j = 2 * n; j < 3 * n; j++) a[j] = tanh_approx(p[j] + q[j] + bias[j]);
        for (long j = 3 * n; j < 4 * n; j++) a[j] = sigmoid(p[j] + q[j] + bias[j]);
    } else {
        for (long j = 0; j < 2 * n; j++) a[j] = sigmoid(p[j] + bias[j]);
        for (long j = 2 * n; j < 3 * n; j++) a[j] = tanh_approx(p[j] + bias[j]);
        for (long j = 3 * n; j < 4 * n; j++) a[j] = sigmoid(p[j] + bias[j]);
    }
    for (long j = 0; j < n; j++) {
        float cj = a[n + j] * cPrev[j] + a[j] * a[2 * n + j];
        float tc = tanh_approx(cj);
        c[j] = cj;
        h[j] = a[3 * n + j] * tc;
        a[4 * n + j] = tc;
    }
}
