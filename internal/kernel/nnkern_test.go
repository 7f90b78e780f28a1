package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// nnSizes covers empty input, tails below, at and above the lane counts
// (8, 16) and longer vectors.
var nnSizes = []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 100, 255, 1000, 4099}

// nnVec returns n values with some exact zeros, negative zeros, large and
// tiny magnitudes.
func nnVec(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch r.IntN(10) {
		case 0:
			x[i] = 0
		case 1:
			x[i] = float32(math.Copysign(0, -1))
		case 2:
			x[i] = float32(r.NormFloat64() * 1e4)
		case 3:
			x[i] = float32(r.NormFloat64() * 1e-4)
		default:
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

// refFactor is the activation's derivative written with branches.
func refFactor(v, slope float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return slope
	}
	return 0
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d of %d is %g, want %g", what, i, len(want), got[i], want[i])
		}
	}
}

// closeSum checks a float64 sum of n terms against the one-accumulator
// reference: the kernels add the same float64 terms in another order, so
// they differ by at most the summation error bound, (n−1)·2^-53 of the
// sum of magnitudes per sum (twice that here).
func closeSum(t *testing.T, what string, n int, got, want, mag float64) {
	t.Helper()
	if d := math.Abs(got - want); !(d <= float64(n)*0x1p-52*mag+1e-300) {
		t.Fatalf("%s = %.17g, want %.17g (diff %g, magnitude %g)", what, got, want, d, mag)
	}
}

func TestNNStats(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range nnSizes {
			x := nnVec(r, n)
			var s, sa float64
			for _, v := range x {
				s += float64(v)
				sa += math.Abs(float64(v))
			}
			closeSum(t, fmt.Sprintf("Sum64 n=%d", n), n, Sum64(x), s, sa)
			mean := s / math.Max(1, float64(n))
			var q float64
			for _, v := range x {
				d := float64(v) - mean
				q += d * d
			}
			closeSum(t, fmt.Sprintf("SqDev64 n=%d", n), n, SqDev64(x, mean), q, q)
		}
	})
}

func TestNNNormAct(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range nnSizes {
			for _, slope := range []float32{0, 0.01, 0.9} {
				z := nnVec(r, n)
				mean, rs := float32(r.NormFloat64()*0.1), float32(0.5+r.Float64())
				if n%3 == 0 {
					mean, rs = 0, 1 // no normalization
				}
				wz, wa := make([]float32, n), make([]float32, n)
				for i, v := range z {
					v = (v - mean) * rs
					wz[i], wa[i] = v, v*refFactor(v, slope)
				}
				a := make([]float32, n+5)
				NormAct(z, a, mean, rs, slope)
				sameBits(t, fmt.Sprintf("NormAct z n=%d slope %g", n, slope), z, wz)
				sameBits(t, fmt.Sprintf("NormAct a n=%d slope %g", n, slope), a, wa)
				for _, v := range a[n:] {
					if v != 0 {
						t.Fatalf("NormAct wrote past len(z)")
					}
				}

				g := nnVec(r, n)
				wg := make([]float32, n)
				var s1, s2, m1, m2 float64
				for i, v := range g {
					wg[i] = v * refFactor(z[i], slope)
					s1 += float64(wg[i])
					s2 += float64(wg[i]) * float64(z[i])
					m1 += math.Abs(float64(wg[i]))
					m2 += math.Abs(float64(wg[i]) * float64(z[i]))
				}
				g1, g2 := ActGradDots(g, z, slope)
				sameBits(t, fmt.Sprintf("ActGradDots g n=%d", n), g, wg)
				closeSum(t, fmt.Sprintf("ActGradDots sum g n=%d", n), n, g1, s1, m1)
				closeSum(t, fmt.Sprintf("ActGradDots sum gz n=%d", n), n, g2, s2, m2)

				c1, c2 := float32(s1/float64(max(n, 1))), float32(s2/float64(max(n, 1)))
				for i := range wg {
					wg[i] = rs * (wg[i] - c1 - z[i]*c2)
				}
				NormGrad(g, z, rs, c1, c2)
				sameBits(t, fmt.Sprintf("NormGrad n=%d", n), g, wg)
			}
		}
		if ActFactor(0, 0.5) != 0 || ActFactor(-2, 0.5) != 0.5 || ActFactor(3, 0.5) != 1 || ActFactor(float32(math.Copysign(0, -1)), 0.5) != 0 {
			t.Fatal("ActFactor")
		}
	})
}

// TestNNAdam checks AdamStep on every set against the float32 formula
// written out (bit for bit) and against a float64 evaluation of PyTorch's
// formula (relative 1e-5 of the step), for Adam with and without weight
// decay and AdamW, over several steps.
func TestNNAdam(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, n := range nnSizes {
			for _, mode := range []string{"adam", "adam-wd", "adamw"} {
				p := nnVec(r, n)
				m, v := make([]float32, n), make([]float32, n)
				wp, wm, wv := append([]float32(nil), p...), make([]float32, n), make([]float32, n)
				lr, b1, b2, eps, wd := 3e-3, 0.9, 0.999, 1e-8, 0.0
				if mode != "adam" {
					wd = 0.01
				}
				for step := 1; step <= 3; step++ {
					g := nnVec(r, n)
					bc1, bc2s := 1-math.Pow(b1, float64(step)), math.Sqrt(1-math.Pow(b2, float64(step)))
					h := AdamHyper{B1: float32(b1), B2: float32(b2), C1: float32(1 - b1), C2: float32(1 - b2),
						Eps: float32(eps), BC2S: float32(bc2s), Step: float32(lr / bc1), Shrink: 1}
					if mode == "adamw" {
						h.Shrink = float32(1 - lr*wd)
					} else {
						h.WD = float32(wd)
					}
					// float64 PyTorch formula from the previous float32 state
					want64 := make([]float64, n)
					for i := range p {
						pi, gi := float64(p[i]), float64(g[i])
						if mode == "adamw" {
							pi *= 1 - lr*wd
						} else {
							gi += wd * pi
						}
						mi := b1*float64(m[i]) + (1-b1)*gi
						vi := b2*float64(v[i]) + (1-b2)*gi*gi
						want64[i] = pi - lr/bc1*mi/(math.Sqrt(vi)/bc2s+eps)
					}
					for i := range wp {
						pi := wp[i] * h.Shrink
						gi := g[i] + h.WD*pi
						wm[i] = wm[i]*h.B1 + h.C1*gi
						wv[i] = wv[i]*h.B2 + h.C2*gi*gi
						wp[i] = pi - h.Step*(wm[i]/(float32(math.Sqrt(float64(wv[i])))/h.BC2S+h.Eps))
					}
					old := append([]float32(nil), p...)
					AdamStep(p, g, m, v, &h)
					what := fmt.Sprintf("%s n=%d step %d", mode, n, step)
					sameBits(t, what+" p", p, wp)
					sameBits(t, what+" m", m, wm)
					sameBits(t, what+" v", v, wv)
					for i := range p {
						d := math.Abs(float64(p[i]) - want64[i])
						stepMag := math.Abs(want64[i] - float64(old[i]))
						if !(d <= 1e-5*stepMag+4e-7*math.Abs(want64[i])+1e-30) {
							t.Fatalf("%s: p[%d] = %.9g, float64 formula %.9g", what, i, p[i], want64[i])
						}
					}
				}
			}
		}
	})
}

// BenchmarkNN times the kernels on 1<<16 elements per kernel set.
func BenchmarkNN(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	x, y, g, m, v := nnVec(r, n), make([]float32, n), nnVec(r, n), make([]float32, n), make([]float32, n)
	h := AdamHyper{B1: 0.9, B2: 0.999, C1: 0.1, C2: 0.001, Eps: 1e-8, BC2S: 0.03, Step: 0.03, Shrink: 1}
	forEachSetB(b, func(b *testing.B) {
		b.Run("Sum64+SqDev64", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				SqDev64(x, Sum64(x))
			}
		})
		b.Run("NormAct", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				NormAct(x, y, 0, 1, 0.01)
			}
		})
		b.Run("ActGradDots+NormGrad", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ActGradDots(g, x, 0.01)
				NormGrad(g, x, 1, 0, 0)
			}
		})
		b.Run("AdamStep", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				AdamStep(x, g, m, v, &h)
			}
		})
	})
}
