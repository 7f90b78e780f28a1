package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// paths runs f once per kernel set this CPU supports.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	forEachSet(t, f)
}

func randBinary(n int, seed uint64, soft bool) (x, t []float32) {
	r := rand.New(rand.NewPCG(seed, 7))
	x, t = make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
		if i%97 == 0 {
			x[i] = float32(r.NormFloat64() * 60)
		}
		if soft {
			t[i] = r.Float32()
		} else if r.Float64() < 0.3 {
			t[i] = 1
		}
	}
	return
}

func sig64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func sp64(x float64) float64  { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

func closeRel(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol*math.Max(1e-30, math.Abs(want))) {
		t.Errorf("%s = %.10g, want %.10g (rel %.3g > %.3g)", what, got, want, math.Abs(got-want)/math.Abs(want), tol)
	}
}

func gradClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i, w := range want {
		if !(math.Abs(float64(got[i])-w) <= tol*math.Abs(w)+1e-6*scale) {
			t.Fatalf("%s[%d] = %.8g, want %.8g", what, i, got[i], w)
		}
	}
}

func TestBCEKernel(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, n := range []int{1, 15, 16, 17, 1000, 4099} {
			x, tg := randBinary(n, uint64(n), n%2 == 1)
			for _, o := range []BCEOpts{{Logits: true, PosWeight: 1, Scale: 0.5}, {Logits: true, PosWeight: 2.5, Smooth: 0.1, Scale: 1}} {
				grad := make([]float32, n)
				s := BCE(grad, x, tg, &o)
				var want float64
				wg := make([]float64, n)
				for i := range x {
					xv, tv := float64(x[i]), float64(tg[i])
					ls := float64(o.Smooth)
					tv = tv*(1-ls) + (1-tv)*ls
					pw := float64(o.PosWeight)
					want += pw*tv*sp64(-xv) + (1-tv)*sp64(xv)
					wg[i] = ((1-tv)*sig64(xv) - pw*tv*sig64(-xv)) * float64(o.Scale)
				}
				closeRel(t, "bce sum", s.Loss, want, 1e-6)
				gradClose(t, "bce grad", grad, wg, 2e-6)
				if s.Bad || s.Cnt != float64(n) {
					t.Errorf("bad %v cnt %v", s.Bad, s.Cnt)
				}
			}
		}
	})
}

func TestFocalKernel(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, n := range []int{17, 4099} {
			x, tg := randBinary(n, uint64(n), false)
			o := FocalOpts{BCE: BCEOpts{Logits: true, PosWeight: 1, Scale: 1}, Alpha: 0.25, Gamma: 2}
			grad := make([]float32, n)
			s := Focal(grad, x, tg, &o)
			var want float64
			wg := make([]float64, n)
			for i := range x {
				xv, tv := float64(x[i]), float64(tg[i])
				p := sig64(xv)
				ce := tv*sp64(-xv) + (1-tv)*sp64(xv)
				om := tv*(1-p) + (1-tv)*p
				at := 0.25*tv + 0.75*(1-tv)
				want += at * ce * om * om
				// numeric derivative in float64
				h := 1e-6 * math.Max(1, math.Abs(xv))
				f := func(x float64) float64 {
					p := sig64(x)
					ce := tv*sp64(-x) + (1-tv)*sp64(x)
					om := tv*(1-p) + (1-tv)*p
					return at * ce * om * om
				}
				wg[i] = (f(xv+h) - f(xv-h)) / (2 * h)
			}
			closeRel(t, "focal sum", s.Loss, want, 2e-6)
			gradClose(t, "focal grad", grad, wg, 1e-4)
		}
	})
}

func TestBinaryRegionKernels(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, logits := range []bool{true, false} {
			n := 4099
			x, tg := randBinary(n, 3, false)
			if !logits {
				for i := range x {
					x[i] = float32(sig64(float64(x[i])))
				}
			}
			o := Binary{Logits: logits, Extra: true, BCE: logits, BCEEps: 1e-7}
			s := BinaryStats(x, tg, &o)
			var tp, sp, sg, sp2, sa, bce float64
			for i := range x {
				p := float64(x[i])
				if logits {
					p = sig64(p)
				}
				g := float64(tg[i])
				tp += p * g
				sp += p
				sg += g
				sp2 += p * p
				sa += math.Abs(p - g)
				bce += g*sp64(-float64(x[i])) + (1-g)*sp64(float64(x[i]))
			}
			closeRel(t, "tp", s.TP, tp, 1e-6)
			closeRel(t, "sp", s.SP, sp, 1e-6)
			closeRel(t, "sg", s.SG, sg, 1e-12)
			closeRel(t, "sp2", s.SP2, sp2, 1e-6)
			closeRel(t, "abs", s.Abs, sa, 1e-6)
			if logits {
				closeRel(t, "bce", s.Loss, bce, 1e-6)
			}
			o.DSP, o.DSP2, o.DTP, o.DAbs, o.BCEScale, o.D1 = 0.3, -0.2, -1.1, 0.05, 0, 0.3-1.1
			if logits {
				o.BCEScale = 0.7
			}
			grad := make([]float32, n)
			BinaryGrad(grad, x, tg, &o)
			wg := make([]float64, n)
			for i := range x {
				xv, g := float64(x[i]), float64(tg[i])
				p, dp := xv, 1.0
				if logits {
					p = sig64(xv)
					dp = p * (1 - p)
				}
				d := 0.3 + 2*-0.2*p + -1.1*g
				if p > g {
					d += 0.05
				} else if p < g {
					d -= 0.05
				}
				d *= dp
				if logits {
					d += 0.7 * (p - g)
				}
				wg[i] = d
			}
			gradClose(t, "region grad", grad, wg, 1e-5)
			// the same with e^-|x| kept in the gradient buffer between
			// the passes (n is no multiple of the lanes: the vector
			// kernels' plain-Go tail too): the same sums and bits
			for _, ignore := range []bool{false, true} {
				o.Ignore, o.IgnoreValue = ignore, 1
				want := make([]float32, n)
				ws := BinaryStats(x, tg, &o)
				BinaryGrad(want, x, tg, &o)
				kept := make([]float32, n)
				o.Keep = kept
				ks := BinaryStats(x, tg, &o)
				BinaryGrad(kept, x, tg, &o)
				o.Keep = nil
				if ks != ws {
					t.Errorf("logits=%v ignore=%v: stats with Keep %+v, without %+v", logits, ignore, ks, ws)
				}
				for i := range kept {
					if math.Float32bits(kept[i]) != math.Float32bits(want[i]) {
						t.Fatalf("logits=%v ignore=%v: grad[%d] with Keep %g, without %g", logits, ignore, i, kept[i], want[i])
					}
				}
			}
			o.Ignore = false
		}
	})
}

func TestKernelsFlagBadValues(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, pos := range []int{0, 20, 40} {
			for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
				x, tg := randBinary(41, 1, false)
				x[pos] = v
				if s := BCE(nil, x, tg, &BCEOpts{Logits: true, PosWeight: 1}); !s.Bad {
					t.Errorf("BCE: input %v at %d not flagged", v, pos)
				}
				if s := BinaryStats(x, tg, &Binary{Logits: true}); !s.Bad {
					t.Errorf("BinaryStats: input %v at %d not flagged", v, pos)
				}
				x, tg = randBinary(41, 1, false)
				tg[pos] = 1.5
				if s := Focal(nil, x, tg, &FocalOpts{BCE: BCEOpts{Logits: true, PosWeight: 1}, Gamma: 2}); !s.Bad {
					t.Errorf("Focal: target 1.5 at %d not flagged", pos)
				}
				tg[pos] = v
				if s := BinaryStats(x, tg, &Binary{Logits: true}); !s.Bad {
					t.Errorf("BinaryStats: target %v at %d not flagged", v, pos)
				}
			}
		}
	})
}
