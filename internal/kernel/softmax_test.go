package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randMulti(C, S int, seed uint64, ignore bool) ([]float32, []int32) {
	r := rand.New(rand.NewPCG(seed, 9))
	x := make([]float32, C*S)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 2)
	}
	lab := make([]int32, S)
	for i := range lab {
		lab[i] = int32(r.IntN(C))
		if ignore && r.Float64() < 0.05 {
			lab[i] = 255
		}
	}
	return x, lab
}

func softmax64(x []float32, C, S, s int) (p []float64, lse float64) {
	m := math.Inf(-1)
	for c := 0; c < C; c++ {
		m = math.Max(m, float64(x[c*S+s]))
	}
	p = make([]float64, C)
	var z float64
	for c := 0; c < C; c++ {
		p[c] = math.Exp(float64(x[c*S+s]) - m)
		z += p[c]
	}
	for c := range p {
		p[c] /= z
	}
	return p, m + math.Log(z)
}

func TestSoftmaxKernels(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, C := range []int{1, 2, 4, 7, MaxSoftmaxC} {
			for _, ignore := range []bool{false, true} {
				S := 1000 + 7
				x, lab := randMulti(C, S, uint64(C), ignore)
				var w []float32
				if ignore {
					w = make([]float32, C)
					for c := range w {
						w[c] = 0.5 + float32(c)
					}
				}
				o := Softmax{C: C, S: S, S0: 3, S1: S, Ignore: ignore, IgnoreIndex: 255, Weights: w, Smooth: 0.1, Scale: 0.25}
				// cross-entropy
				grad := make([]float32, C*S)
				pl := make([]float32, S)
				for i := range pl {
					pl[i] = 7 // outside [S0, S1): untouched
				}
				o.PixLoss = pl
				s := SoftmaxCE(grad, x, lab, &o)
				pl0 := make([]float32, S) // the same without a gradient
				o.PixLoss = pl0
				SoftmaxCE(nil, x, lab, &o)
				o.PixLoss = nil
				s2 := SoftmaxCE(grad, x, lab, &o)
				if s2 != s {
					t.Errorf("C=%d: sums with PixLoss %+v, without %+v", C, s, s2)
				}
				var loss, den float64
				wg := make([]float64, C*S)
				for px := 0; px < o.S0; px++ {
					if pl[px] != 7 {
						t.Errorf("C=%d: PixLoss[%d] = %v written outside [S0, S1)", C, px, pl[px])
					}
				}
				for px := o.S0; px < S; px++ {
					if pl0[px] != pl[px] {
						t.Errorf("C=%d: PixLoss[%d] = %v without gradient, %v with", C, px, pl0[px], pl[px])
					}
					y := int(lab[px])
					if ignore && y == 255 {
						if pl[px] != -1 {
							t.Errorf("C=%d: PixLoss[%d] = %v for an ignored pixel, want -1", C, px, pl[px])
						}
						continue
					}
					before := loss
					p, lse := softmax64(x, C, S, px)
					wt := make([]float64, C)
					var sw float64
					for c := 0; c < C; c++ {
						tc := 0.1 / float64(C)
						if c == y {
							tc += 0.9
						}
						if w != nil {
							tc *= float64(w[c])
						}
						wt[c] = tc
						sw += tc
						loss += tc * (lse - float64(x[c*S+px]))
					}
					if want := loss - before; math.Abs(float64(pl[px])-want) > 1e-5*want+1e-6 {
						t.Errorf("C=%d: PixLoss[%d] = %v, want %v", C, px, pl[px], want)
					}
					if w != nil {
						den += float64(w[y])
					} else {
						den++
					}
					for c := 0; c < C; c++ {
						wg[c*S+px] = 0.25 * (p[c]*sw - wt[c])
					}
				}
				closeRel(t, "ce loss", s.Loss, loss, 1e-6)
				closeRel(t, "ce den", s.Den, den, 1e-12)
				gradClose(t, fmt.Sprintf("C=%d ignore=%v ce grad", C, ignore), grad[3:], wg[3:], 1e-5)
				if s.Bad {
					t.Errorf("C=%d: flagged bad", C)
				}
				// stats
				out := make([]Sums, C)
				o.Extra, o.CE = true, true
				SoftmaxStats(out, x, lab, &o)
				for c := 0; c < C; c++ {
					var tp, sp, sg, sp2, sa, cnt, ce, ced float64
					for px := o.S0; px < S; px++ {
						y := int(lab[px])
						if ignore && y == 255 {
							continue
						}
						p, lse := softmax64(x, C, S, px)
						g := 0.0
						if y == c {
							g = 1
						}
						cnt++
						tp += p[c] * g
						sp += p[c]
						sg += g
						sp2 += p[c] * p[c]
						sa += math.Abs(p[c] - g)
						if c == 0 {
							wy := 1.0
							if w != nil {
								wy = float64(w[y])
							}
							ce += wy * (lse - float64(x[y*S+px]))
							ced += wy
						}
					}
					r := out[c]
					closeRel(t, "tp", r.TP, tp, 1e-6)
					closeRel(t, "sp", r.SP, sp, 1e-6)
					closeRel(t, "sg", r.SG, sg, 0)
					closeRel(t, "sp2", r.SP2, sp2, 1e-6)
					closeRel(t, "abs", r.Abs, sa, 1e-6)
					closeRel(t, "cnt", r.Cnt, cnt, 0)
					if c == 0 {
						closeRel(t, "stats ce", r.Loss, ce, 1e-6)
						closeRel(t, "stats ce den", r.Den, ced, 1e-12)
					}
				}
				// region gradient
				o.DSP, o.DSP2, o.DTP, o.DAbs, o.D1 = make([]float32, C), make([]float32, C), make([]float32, C), make([]float32, C), make([]float32, C)
				for c := 0; c < C; c++ {
					o.DSP[c], o.DSP2[c], o.DTP[c], o.DAbs[c] = 0.1*float32(c+1), -0.05, -0.7, 0.02*float32(c)
					o.D1[c] = o.DSP[c] + o.DTP[c]
				}
				o.CEScale = 0.3
				SoftmaxGrad(grad, x, lab, &o)
				for px := o.S0; px < S; px++ {
					y := int(lab[px])
					if ignore && y == 255 {
						for c := 0; c < C; c++ {
							wg[c*S+px] = 0
						}
						continue
					}
					p, _ := softmax64(x, C, S, px)
					dp := make([]float64, C)
					var dot float64
					for c := 0; c < C; c++ {
						g := 0.0
						if c == y {
							g = 1
						}
						d := float64(o.DSP[c]) + 2*float64(o.DSP2[c])*p[c] + float64(o.DTP[c])*g
						if p[c] > g {
							d += float64(o.DAbs[c])
						} else if p[c] < g {
							d -= float64(o.DAbs[c])
						}
						dp[c] = d
						dot += p[c] * d
					}
					wy := 1.0
					if w != nil {
						wy = float64(w[y])
					}
					for c := 0; c < C; c++ {
						g := 0.0
						if c == y {
							g = 1
						}
						wg[c*S+px] = p[c]*(dp[c]-dot) + 0.3*wy*(p[c]-g)
					}
				}
				gradClose(t, "region grad", grad[3:], wg[3:], 1e-5)
				// the same with the probabilities kept in the gradient
				// buffer between the passes: the same sums and bits
				kept := make([]float32, C*S)
				o.Keep = kept
				outK := make([]Sums, C)
				SoftmaxStats(outK, x, lab, &o)
				SoftmaxGrad(kept, x, lab, &o)
				o.Keep = nil
				for c := range outK {
					if outK[c] != out[c] {
						t.Errorf("C=%d: stats with Keep %+v, without %+v", C, outK[c], out[c])
					}
				}
				for i := 0; i < C*S; i++ {
					if px := i % S; px >= o.S0 && math.Float32bits(kept[i]) != math.Float32bits(grad[i]) {
						t.Fatalf("C=%d: grad[%d] with Keep %g, without %g", C, i, kept[i], grad[i])
					}
				}
				// probabilities
				probs := make([]float32, C*S)
				if s := SoftmaxProbs(probs, x, lab, &o); s.Bad {
					t.Errorf("probs flagged bad")
				}
				for px := o.S0; px < S; px++ {
					p, _ := softmax64(x, C, S, px)
					for c := 0; c < C; c++ {
						if math.Abs(float64(probs[c*S+px])-p[c]) > 1e-6 {
							t.Fatalf("prob %d %d: %g want %g", c, px, probs[c*S+px], p[c])
						}
					}
				}
				// bad values
				lab2 := append([]int32(nil), lab...)
				lab2[S-20] = int32(C)
				if s := SoftmaxCE(nil, x, lab2, &o); !s.Bad {
					t.Errorf("label C not flagged")
				}
				x2 := append([]float32(nil), x...)
				x2[(C-1)*S+S-20] = float32(math.Inf(-1))
				out2 := make([]Sums, C)
				if SoftmaxStats(out2, x2, lab, &o); !out2[0].Bad {
					t.Errorf("-Inf not flagged")
				}
			}
		}
	})
}

func TestSoftmaxChain(t *testing.T) {
	paths(t, func(t *testing.T) {
		C, S := 3, 1000+5
		p, _ := randMulti(C, S, 4, false)
		d, _ := randMulti(C, S, 5, false)
		g := append([]float32(nil), d...)
		SoftmaxChain(g, p, C, S, 2, S, 0.5)
		for s := 2; s < S; s++ {
			var dot float64
			for c := 0; c < C; c++ {
				dot += float64(p[c*S+s]) * float64(d[c*S+s])
			}
			for c := 0; c < C; c++ {
				want := float32(float64(p[c*S+s]) * (float64(d[c*S+s]) - dot) * 0.5)
				if math.Abs(float64(g[c*S+s]-want)) > 1e-7 {
					t.Fatalf("chain[%d,%d] = %v, want %v", c, s, g[c*S+s], want)
				}
			}
		}
		if g[0] != d[0] || g[1] != d[1] {
			t.Errorf("pixels outside [s0, s1) changed")
		}
	})
}

// TestSoftmaxFlagBadValues puts a non-finite logit or a bad label at
// several positions of the vector span: every softmax kernel flags it.
func TestSoftmaxFlagBadValues(t *testing.T) {
	paths(t, func(t *testing.T) {
		const C, S = 4, 100
		for _, pos := range []int{0, 7, 20, 63} {
			for _, ignore := range []bool{false, true} {
				o := Softmax{C: C, S: S, S0: 0, S1: S, Ignore: ignore, IgnoreIndex: 255, Scale: 1}
				out := make([]Sums, C)
				x, lab := randMulti(C, S, 5, false)
				grad := make([]float32, C*S)
				if s := SoftmaxCE(grad, x, lab, &o); s.Bad {
					t.Fatalf("clean batch flagged bad (ignore %v)", ignore)
				}
				for _, y := range []int32{-1, C, 254} {
					lab[pos] = y
					if s := SoftmaxCE(grad, x, lab, &o); !s.Bad {
						t.Errorf("SoftmaxCE: label %d at %d not flagged", y, pos)
					}
					clear(out)
					SoftmaxStats(out, x, lab, &o)
					if !out[0].Bad {
						t.Errorf("SoftmaxStats: label %d at %d not flagged", y, pos)
					}
					if s := SoftmaxProbs(grad, x, lab, &o); !s.Bad {
						t.Errorf("SoftmaxProbs: label %d at %d not flagged", y, pos)
					}
				}
				lab[pos] = 255
				if s := SoftmaxCE(grad, x, lab, &o); s.Bad != !ignore {
					t.Errorf("SoftmaxCE: label 255 at %d with ignore %v: bad = %v", pos, ignore, s.Bad)
				}
				lab[pos] = 1
				for _, v := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
					x[2*S+pos] = v
					if s := SoftmaxCE(nil, x, lab, &o); !s.Bad {
						t.Errorf("SoftmaxCE: logit %v at %d not flagged", v, pos)
					}
					if s := SoftmaxProbs(grad, x, nil, &o); !s.Bad {
						t.Errorf("SoftmaxProbs: logit %v at %d not flagged", v, pos)
					}
					x[2*S+pos] = 0
				}
			}
		}
	})
}
