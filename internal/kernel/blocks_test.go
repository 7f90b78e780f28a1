package kernel

import "testing"

// The plain-Go kernels run by blocks (blk elements, sb pixels). These
// tests check that the blocks change nothing: a kernel over a whole
// slice returns, bit for bit, what it returns element by element (pixel
// by pixel for softmax), the sums added in the same order, for lengths
// around the block boundaries.

func sameSums(t *testing.T, what string, a, b Sums) {
	t.Helper()
	if a != b {
		t.Fatalf("%s: %+v block vs %+v element by element", what, a, b)
	}
}

func TestGoKernelsBlocks(t *testing.T) {
	for _, n := range []int{1, blk - 1, blk, blk + 1, 3*blk + 77} {
		x, tg := randBinary(n, uint64(n)+11, n%2 == 0)
		p := make([]float32, n)
		for i, v := range x {
			p[i] = Sigmoid32(v)
		}
		tg[n/2] = 0.5 // an ignored element
		g1, g2 := make([]float32, n), make([]float32, n)
		for _, o := range []BCEOpts{
			{Logits: true, PosWeight: 1, Scale: 0.5},
			{Logits: true, PosWeight: 2.5, Smooth: 0.1, Scale: 1, Ignore: true, IgnoreValue: 0.5},
			{Eps: 1e-7, LogEps: 1e-7, PosWeight: 1, Scale: 1},
		} {
			in := x
			if !o.Logits {
				in = p
			}
			s1 := bceGo(g1, in, tg, &o)
			var s2 Sums
			for i := range in {
				r := bceGo(g2[i:i+1], in[i:i+1], tg[i:i+1], &o)
				s2.Add(&r)
			}
			sameSums(t, "bce", s1, s2)
			sameBits(t, "bce grad", g1, g2)
			f := FocalOpts{BCE: o, Alpha: 0.25, Gamma: 2}
			if o.Smooth != 0 {
				f.Alpha, f.Gamma, f.BCE.PosWeight = -1, 1.5, 1
			}
			s1 = focalGo(g1, in, tg, &f)
			s2 = Sums{}
			for i := range in {
				r := focalGo(g2[i:i+1], in[i:i+1], tg[i:i+1], &f)
				s2.Add(&r)
			}
			sameSums(t, "focal", s1, s2)
			sameBits(t, "focal grad", g1, g2)
		}
		for _, o := range []Binary{
			{Logits: true, DSP: 0.1, DTP: -0.3, D1: -0.2},
			{Logits: true, BCE: true, BCEScale: 0.5, Extra: true, DSP: 0.1, DSP2: 0.2, DTP: -0.3, D1: -0.2, DAbs: 0.05},
			{Ignore: true, IgnoreValue: 0.5, Extra: true, DSP: 0.1, DSP2: 0.2, DTP: -0.3, D1: -0.2, DAbs: 0.05},
		} {
			in := x
			if !o.Logits {
				in = p
			}
			s1 := binaryStatsGo(in, tg, &o)
			binaryGradGo(g1, in, tg, &o)
			var s2 Sums
			for i := range in {
				r := binaryStatsGo(in[i:i+1], tg[i:i+1], &o)
				s2.Add(&r)
				binaryGradGo(g2[i:i+1], in[i:i+1], tg[i:i+1], &o)
			}
			sameSums(t, "binary stats", s1, s2)
			sameBits(t, "binary grad", g1, g2)
			if o.Logits && !o.BCE {
				s1 = binaryStatsDPGo(g1, in, tg, &o)
				binaryGradDPGo(g1, tg, &o)
				s2 = Sums{}
				for i := range in {
					r := binaryStatsDPGo(g2[i:i+1], in[i:i+1], tg[i:i+1], &o)
					s2.Add(&r)
					binaryGradDPGo(g2[i:i+1], tg[i:i+1], &o)
				}
				sameSums(t, "binary stats DP", s1, s2)
				sameBits(t, "binary grad DP", g1, g2)
			}
		}
	}
}

func TestGoSoftmaxBlocks(t *testing.T) {
	for _, C := range []int{1, 4, MaxSoftmaxC} {
		for _, S := range []int{1, sb - 1, sb + 1, 3*sb + 5} {
			x, lab := randMulti(C, S, uint64(C*S), true)
			co := func(s0, s1 int) *Softmax {
				o := &Softmax{C: C, S: S, S0: s0, S1: s1, Ignore: true, IgnoreIndex: 255, Smooth: 0.05, Scale: 0.3,
					Extra: true, CE: true, CEScale: 0.7, Weights: make([]float32, C),
					DSP: make([]float32, C), DSP2: make([]float32, C), DTP: make([]float32, C), DAbs: make([]float32, C), D1: make([]float32, C)}
				for c := 0; c < C; c++ {
					o.Weights[c] = 0.5 + float32(c)/4
					o.DSP[c], o.DSP2[c], o.DTP[c], o.DAbs[c] = 0.1*float32(c+1), 0.05, -0.2, 0.03
					o.D1[c] = o.DSP[c] + o.DTP[c]
				}
				return o
			}
			g1, g2 := make([]float32, C*S), make([]float32, C*S)
			s1 := softmaxCEGo(g1, x, lab, co(0, S))
			var s2 Sums
			for px := 0; px < S; px++ {
				r := softmaxCEGo(g2, x, lab, co(px, px+1))
				s2.Add(&r)
			}
			sameSums(t, "softmax CE", s1, s2)
			sameBits(t, "softmax CE grad", g1, g2)
			o1, o2 := make([]Sums, C), make([]Sums, C)
			softmaxStatsGo(o1, x, lab, co(0, S))
			softmaxGradGo(g1, x, lab, co(0, S))
			for px := 0; px < S; px++ {
				softmaxStatsGo(o2, x, lab, co(px, px+1))
				softmaxGradGo(g2, x, lab, co(px, px+1))
			}
			for c := range o1 {
				sameSums(t, "softmax stats", o1[c], o2[c])
			}
			sameBits(t, "softmax grad", g1, g2)
			softmaxProbsGo(g1, x, lab, co(0, S))
			for px := 0; px < S; px++ {
				softmaxProbsGo(g2, x, lab, co(px, px+1))
			}
			sameBits(t, "softmax probs", g1, g2)
			p := make([]float32, C)
			for px := 0; px < S; px++ {
				SoftmaxPixel(p, x, px, S)
				for c := 0; c < C; c++ {
					g2[c*S+px] = p[c]
				}
			}
			sameBits(t, "SoftmaxPixel", g1, g2)
		}
	}
}
