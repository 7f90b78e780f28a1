package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fdGrad returns the central finite-difference gradient of f at x (float64).
func fdGrad(f func([]float64) float64, x []float64, h float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		v := x[i]
		x[i] = v + h
		fp := f(x)
		x[i] = v - h
		fm := f(x)
		x[i] = v
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func to64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

// assertClose compares got with want, element by element, relative to the
// largest magnitude of want.
func assertClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 1e-6
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*scale || math.IsNaN(d) {
			t.Fatalf("%s[%d] = %v, want %v (scale %v)", what, i, got[i], want[i], scale)
		}
	}
}

// refConv is a naive float64 3×3(×3) "same" (or 1×1) convolution with
// bias of x [N, cin, g] into [N, cout, g].
func refConv(x, w, b []float64, n, cin, cout, kv int, g geom) []float64 {
	S := g.size()
	out := make([]float64, n*cout*S)
	oz, oy, ox := offs2z, offs2y, offs2x
	if kv == 27 {
		oz, oy, ox = offs3z, offs3y, offs3x
	} else if kv == 1 {
		oz, oy, ox = []int{0}, []int{0}, []int{0}
	}
	for s := 0; s < n; s++ {
		for co := 0; co < cout; co++ {
			for z := 0; z < g.d; z++ {
				for y := 0; y < g.h; y++ {
					for xx := 0; xx < g.w; xx++ {
						acc := b[co]
						for ci := 0; ci < cin; ci++ {
							for k := range oz {
								zz, yy, x2 := z+oz[k], y+oy[k], xx+ox[k]
								if zz < 0 || zz >= g.d || yy < 0 || yy >= g.h || x2 < 0 || x2 >= g.w {
									continue
								}
								acc += w[(co*cin+ci)*kv+k] * x[((s*cin+ci)*g.d+zz)*g.h*g.w+yy*g.w+x2]
							}
						}
						out[((s*cout+co)*g.d+z)*g.h*g.w+y*g.w+xx] = acc
					}
				}
			}
		}
	}
	return out
}

func dot64(a []float64, b []float32) float64 {
	var s float64
	for i := range a {
		s += a[i] * float64(b[i])
	}
	return s
}

// TestConvLayer checks the convolution's forward pass against a naive
// reference and its weight, bias and input gradients against finite
// differences of the reference, for 2-D and 3-D, 3×3 and 1×1, with the
// input split in two concatenated segments.
func TestConvLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		dims, kv, c1, c2, cout int
		g                      geom
		n                      int
	}{
		{2, 9, 2, 3, 4, geom{1, 5, 7}, 2},
		{2, 9, 1, 0, 3, geom{1, 24, 20}, 1}, // several blocks and chunks, partial rows
		{3, 27, 2, 1, 3, geom{3, 4, 5}, 2},
		{2, 1, 3, 0, 2, geom{1, 6, 6}, 2},
		{3, 1, 2, 0, 3, geom{2, 2, 3}, 1},
	} {
		cin := tc.c1 + tc.c2
		S := tc.g.size()
		l := conv{cin: cin, cout: tc.cout, kv: tc.kv}
		params := randVec(rng, l.size())
		l.bind(params)
		if tc.kv == 1 {
			l.wk, l.wt = nil, nil
		}
		x1, x2 := randVec(rng, tc.n*tc.c1*S), randVec(rng, tc.n*tc.c2*S)
		g1, g2 := make([]float32, len(x1)), make([]float32, len(x2))
		// reference input: concatenation per sample
		x := make([]float64, 0, tc.n*cin*S)
		for s := 0; s < tc.n; s++ {
			x = append(x, to64(x1[s*tc.c1*S:(s+1)*tc.c1*S])...)
			x = append(x, to64(x2[s*tc.c2*S:(s+1)*tc.c2*S])...)
		}
		w64, b64 := to64(l.w), to64(l.b)
		want := refConv(x, w64, b64, tc.n, cin, tc.cout, tc.kv, tc.g)
		segs := []seg{{d: x1, g: g1, c: tc.c1}}
		if tc.c2 > 0 {
			segs = append(segs, seg{d: x2, g: g2, c: tc.c2})
		}
		ncol := max(max(l.k(), l.cout*l.kv)*convBlock, max(cin, tc.cout)*shiftBlock)
		p := &convPass{l: &l, n: tc.n, g: tc.g, dims: tc.dims, nseg: len(segs), scr: newScratchPool(2, ncol, ncol)}
		copy(p.segs[:], segs)
		out := make([]float32, tc.n*tc.cout*S)
		p.out = out
		red := &reduceJob{}
		cm := newConvMem(tc.n*max(cin, tc.cout)*padded(tc.g, tc.dims).size(), l.size())
		runConv(p, red, nil, cm)
		assertClose(t, "conv forward", out, want, 1e-5)

		dy := randVec(rng, len(out))
		p.bwd, p.dy, p.needDX, p.part = true, dy, true, make([]float32, convParts(&l, tc.n, tc.g, tc.dims))
		grad := make([]float32, l.size())
		runConv(p, red, grad, cm)
		fw := func(v []float64) float64 {
			return dot64(refConv(x, v[:len(w64)], v[len(w64):], tc.n, cin, tc.cout, tc.kv, tc.g), dy)
		}
		assertClose(t, "conv weight/bias gradient", grad, fdGrad(fw, append(append([]float64(nil), w64...), b64...), 1e-3), 1e-4)
		fx := func(v []float64) float64 { return dot64(refConv(v, w64, b64, tc.n, cin, tc.cout, tc.kv, tc.g), dy) }
		gx := fdGrad(fx, x, 1e-3)
		var got []float32
		for s := 0; s < tc.n; s++ {
			got = append(got, g1[s*tc.c1*S:(s+1)*tc.c1*S]...)
			got = append(got, g2[s*tc.c2*S:(s+1)*tc.c2*S]...)
		}
		assertClose(t, "conv input gradient", got, gx, 1e-4)
	}
}

// refNormAct is the float64 reference of a normalization and activation.
func refNormAct(y []float64, kind NormKind, act ActKind, slope float64, n, c, S, groups int) []float64 {
	a := make([]float64, len(y))
	norm := func(idx []int) {
		var s, q float64
		for _, i := range idx {
			s += y[i]
		}
		mean := s / float64(len(idx))
		for _, i := range idx {
			q += (y[i] - mean) * (y[i] - mean)
		}
		rs := 1 / math.Sqrt(q/float64(len(idx))+normEps)
		if kind == NormNone {
			mean, rs = 0, 1
		}
		for _, i := range idx {
			v := (y[i] - mean) * rs
			if v <= 0 {
				if act == LeakyReLU {
					v *= slope
				} else {
					v = 0
				}
			}
			a[i] = v
		}
	}
	switch kind {
	case NormBatch:
		for ch := 0; ch < c; ch++ {
			var idx []int
			for s := 0; s < n; s++ {
				for i := 0; i < S; i++ {
					idx = append(idx, (s*c+ch)*S+i)
				}
			}
			norm(idx)
		}
	default:
		cpg := c / groups
		for u := 0; u < n*groups; u++ {
			var idx []int
			for i := u * cpg * S; i < (u+1)*cpg*S; i++ {
				idx = append(idx, i)
			}
			norm(idx)
		}
	}
	return a
}

// TestNormAct checks every normalization with both activations, forward
// against the reference and backward against its finite differences.
func TestNormAct(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n, c, S := 2, 4, 10
	for _, kind := range []NormKind{NormInstance, NormGroup, NormBatch, NormNone} {
		for _, act := range []ActKind{ReLU, LeakyReLU} {
			groups := groupsFor(kind, 2, c)
			if kind == NormNone {
				groups = c
			}
			y := randVec(rng, n*c*S)
			y64 := to64(y)
			j := &normAct{kind: kind, act: act, slope: 0.1, groups: groups, n: n, c: c, S: S,
				z: append([]float32(nil), y...), a: make([]float32, len(y)), running: make([]float32, 2*c)}
			nu, _, _, _ := j.units()
			j.mean, j.rs = make([]float64, nu), make([]float64, nu)
			j.Do(0, 0, nu)
			want := refNormAct(y64, kind, act, 0.1, n, c, S, groups)
			assertClose(t, "norm forward", j.a, want, 1e-5)
			r := randVec(rng, len(y))
			j.ga = append([]float32(nil), r...)
			j.bwd = true
			j.Do(0, 0, nu)
			f := func(v []float64) float64 { return dot64(refNormAct(v, kind, act, 0.1, n, c, S, groups), r) }
			assertClose(t, "norm backward", j.ga, fdGrad(f, y64, 1e-5), 1e-4)
		}
	}
}

// refResample is the float64 reference of pooling and up-sampling.
func refResample(op int, x []float64, planes int, lo, hi geom) []float64 {
	if op == opUp {
		out := make([]float64, planes*hi.size())
		for p := 0; p < planes; p++ {
			for z := 0; z < hi.d; z++ {
				for y := 0; y < hi.h; y++ {
					for xx := 0; xx < hi.w; xx++ {
						zl := z
						if lo.d != hi.d {
							zl = z / 2
						}
						out[p*hi.size()+(z*hi.h+y)*hi.w+xx] = x[p*lo.size()+(zl*lo.h+y/2)*lo.w+xx/2]
					}
				}
			}
		}
		return out
	}
	out := make([]float64, planes*lo.size())
	for p := 0; p < planes; p++ {
		for z := 0; z < lo.d; z++ {
			for y := 0; y < lo.h; y++ {
				for xx := 0; xx < lo.w; xx++ {
					var vals []float64
					kz := 1
					if lo.d != hi.d {
						kz = 2
					}
					for dz := 0; dz < kz; dz++ {
						for dy := 0; dy < 2; dy++ {
							for dx := 0; dx < 2; dx++ {
								vals = append(vals, x[p*hi.size()+((kz*z+dz)*hi.h+2*y+dy)*hi.w+2*xx+dx])
							}
						}
					}
					var v float64
					if op == opMean {
						for _, u := range vals {
							v += u
						}
						v /= float64(len(vals))
					} else {
						v = vals[0]
						for _, u := range vals {
							v = max(v, u)
						}
					}
					out[p*lo.size()+(z*lo.h+y)*lo.w+xx] = v
				}
			}
		}
	}
	return out
}

// TestResample checks mean and max pooling and nearest up-sampling, 2-D
// and 3-D, forward and backward.
func TestResample(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dims := range []int{2, 3} {
		hi := geom{1, 4, 6}
		if dims == 3 {
			hi = geom{4, 2, 6}
		}
		lo := hi.half(dims)
		planes := 3
		for _, op := range []int{opMean, opMax, opUp} {
			fine, coarse := randVec(rng, planes*hi.size()), randVec(rng, planes*lo.size())
			r := &resample{op: op, dims: dims, lo: lo, hi: hi, fine: fine, coarse: coarse, idx: make([]int32, len(coarse))}
			r.Do(0, 0, planes)
			in, out, inLo, inHi := fine, coarse, lo, hi
			if op == opUp {
				in, out = coarse, fine
			}
			want := refResample(op, to64(in), planes, inLo, inHi)
			assertClose(t, "resample forward", out, want, 1e-6)
			r.bwd = true
			dOut := randVec(rng, len(out))
			gIn := make([]float32, len(in))
			base := randVec(rng, len(in)) // pooling adds to the existing gradient
			if op != opUp {
				copy(gIn, base)
				r.gFine, r.gCoarse = gIn, dOut
			} else {
				r.gFine, r.gCoarse = dOut, gIn
			}
			r.Do(0, 0, planes)
			f := func(v []float64) float64 { return dot64(refResample(op, v, planes, inLo, inHi), dOut) }
			wantG := fdGrad(f, to64(in), 1e-4)
			if op != opUp {
				for i := range wantG {
					wantG[i] += float64(base[i])
				}
			}
			assertClose(t, "resample backward", gIn, wantG, 1e-4)
		}
	}
}
