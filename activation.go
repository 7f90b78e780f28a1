package segloss

import "math"

// sigmoid returns 1/(1+e^-x) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus returns log(1+e^x) without overflow; -softplus(-x) is log sigmoid(x).
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// powZero returns base^exp for base >= 0 with 0^e = 0 for e < 0 too: every
// caller multiplies the result by a factor that vanishes there, and the
// limit of the product is 0.
func powZero(base, exp float64) float64 {
	if base <= 0 {
		if exp == 0 {
			return 1
		}
		return 0
	}
	return math.Pow(base, exp)
}

// softmaxPixel writes the probabilities and log-probabilities of the C
// channels of one pixel (input x[off + c*stride]) into p and logp.
func softmaxPixel[T Float](p, logp []float64, x []T, off, stride int) {
	m := math.Inf(-1)
	for c := range p {
		if v := float64(x[off+c*stride]); v > m {
			m = v
		}
	}
	var z float64
	for c := range p {
		e := math.Exp(float64(x[off+c*stride]) - m)
		p[c] = e
		z += e
	}
	lz := math.Log(z)
	inv := 1 / z
	for c := range p {
		p[c] *= inv
		logp[c] = float64(x[off+c*stride]) - m - lz
	}
}

// probabilities writes the activated input (sigmoid, softmax over
// channels, or a copy when the input holds probabilities) into dst.
func probabilities[T Float](dst []float64, o *Options, g geom, x []T, scratch []float64) {
	switch {
	case !o.FromLogits:
		for i, v := range x {
			dst[i] = float64(v)
		}
	case o.Mode == Multiclass:
		p, lp := scratch[:g.c], scratch[g.c:2*g.c]
		for n := 0; n < g.n; n++ {
			base := n * g.c * g.s
			for s := 0; s < g.s; s++ {
				softmaxPixel(p, lp, x, base+s, g.s)
				for c, v := range p {
					dst[base+c*g.s+s] = v
				}
			}
		}
	default:
		for i, v := range x {
			dst[i] = sigmoid(float64(v))
		}
	}
}

// chainActivation turns dp, the gradient with respect to the
// probabilities, into the gradient with respect to the input, writing grad.
func chainActivation[T Float](grad []T, dp, p []float64, o *Options, g geom) {
	switch {
	case !o.FromLogits:
		for i, v := range dp {
			grad[i] = T(v)
		}
	case o.Mode == Multiclass:
		for n := 0; n < g.n; n++ {
			base := n * g.c * g.s
			for s := 0; s < g.s; s++ {
				var dot float64
				for c := 0; c < g.c; c++ {
					i := base + c*g.s + s
					dot += p[i] * dp[i]
				}
				for c := 0; c < g.c; c++ {
					i := base + c*g.s + s
					grad[i] = T(p[i] * (dp[i] - dot))
				}
			}
		}
	default:
		for i, v := range dp {
			grad[i] = T(v * p[i] * (1 - p[i]))
		}
	}
}
