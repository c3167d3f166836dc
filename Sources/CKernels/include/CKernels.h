#ifndef SEQUENCE_TAGGING_CKERNELS_H
#define SEQUENCE_TAGGING_CKERNELS_H

/// Element-wise recurrent-cell kernels in C, compiled for several x86-64 instruction-set
/// levels (AVX-512, AVX2 with FMA, baseline SSE2) and chosen by the loader for the CPU at
/// hand; on other architectures, one portable version.
///
/// Swift has no per-function target attribute, and building the whole package for AVX2
/// would stop it from running on older CPUs, so the kernel whose cost is the five
/// transcendental functions per LSTM unit lives here. The exponential is the same
/// range-reduced polynomial as `VectorKernels.exp` (relative error below 2e-7).

/// One step of an LSTM for one sequence, gate order i f g o, `n` hidden units:
/// `a[0..<4n] = (σ, σ, tanh, σ)(p + q + bias)` (`q` may be NULL: `p + bias`),
/// `c = f ⊙ cPrev + i ⊙ g`, `h = o ⊙ tanh(c)`, `a[4n..<5n] = tanh(c)`.
/// No pointer may overlap another, except that `p` and `q` may be read-only aliases.
void sqt_lstm_forward_row(
    long n, const float *p, const float *q, const float *bias, const float *cPrev,
    float *h, float *c, float *a);

#endif
