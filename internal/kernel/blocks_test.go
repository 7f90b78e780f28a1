package kernel

import (
	"math"
	"testing"
)

// The plain-Go kernels run by blocks (blk elements, sb pixels). These
// tests check that the blocks change nothing: a kernel over a whole
// slice returns, bit for bit, what it returns element by element (pixel
// by pixel for softmax), the sums added in the same order, for lengths
// around the block boundaries. The binary region sums are added in
// groups of 4 (addRegion): their reference is groupedRegion over the
// element-by-element values.

// groupedRegion is the reference of addRegion's order over a whole slice
// (blk is a multiple of 4, so the groups of the blocks are the aligned
// groups of the slice): float32 sums of each aligned group of 4, added
// in float64; the last len(p)%4 elements one by one in float64.
func groupedRegion(s *Sums, p, g []float32, extra bool) {
	for i := 0; i < len(p); i += 4 {
		if i+4 > len(p) {
			for ; i < len(p); i++ {
				pf, gf := float64(p[i]), float64(g[i])
				s.TP, s.SP, s.SG = s.TP+pf*gf, s.SP+pf, s.SG+gf
			}
			break
		}
		var tp, sp, sg [4]float32
		for k := 0; k < 4; k++ {
			tp[k], sp[k], sg[k] = p[i+k]*g[i+k], p[i+k], g[i+k]
		}
		s.TP += float64((tp[0] + tp[1]) + (tp[2] + tp[3]))
		s.SP += float64((sp[0] + sp[1]) + (sp[2] + sp[3]))
		s.SG += float64((sg[0] + sg[1]) + (sg[2] + sg[3]))
	}
	if !extra {
		return
	}
	for i := 0; i < len(p); i += 4 {
		if i+4 > len(p) {
			for ; i < len(p); i++ {
				pf, gf := float64(p[i]), float64(g[i])
				s.SP2, s.SG2, s.Abs = s.SP2+pf*pf, s.SG2+gf*gf, s.Abs+math.Abs(pf-gf)
			}
			break
		}
		var p2, g2, ab [4]float32
		for k := 0; k < 4; k++ {
			p2[k], g2[k] = p[i+k]*p[i+k], g[i+k]*g[i+k]
			ab[k] = float32(math.Abs(float64(p[i+k] - g[i+k])))
		}
		s.SP2 += float64((p2[0] + p2[1]) + (p2[2] + p2[3]))
		s.SG2 += float64((g2[0] + g2[1]) + (g2[2] + g2[3]))
		s.Abs += float64((ab[0] + ab[1]) + (ab[2] + ab[3]))
	}
}

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
			ps, gs := make([]float32, n), make([]float32, n)
			var s2 Sums
			for i := range in {
				r := binaryStatsGo(in[i:i+1], tg[i:i+1], &o)
				ps[i], gs[i] = float32(r.SP), float32(r.SG) // 0 if ignored
				s2.Loss += r.Loss
				s2.Cnt += r.Cnt
				s2.Bad = s2.Bad || r.Bad
				binaryGradGo(g2[i:i+1], in[i:i+1], tg[i:i+1], &o)
			}
			groupedRegion(&s2, ps, gs, true)
			sameSums(t, "binary stats", s1, s2)
			sameBits(t, "binary grad", g1, g2)
			if o.Logits && !o.BCE {
				s1 = binaryStatsDPGo(g1, in, tg, &o)
				binaryGradDPGo(g1, tg, &o)
				s2 = Sums{}
				for i := range in {
					r := binaryStatsDPGo(g2[i:i+1], in[i:i+1], tg[i:i+1], &o)
					ps[i], gs[i] = float32(r.SP), tg[i]
					s2.Cnt += r.Cnt
					s2.Bad = s2.Bad || r.Bad
					binaryGradDPGo(g2[i:i+1], tg[i:i+1], &o)
				}
				groupedRegion(&s2, ps, gs, false)
				sameSums(t, "binary stats DP", s1, s2)
				sameBits(t, "binary grad DP", g1, g2)
				if !o.Ignore { // the value without the gradient is the same
					v := binaryStatsGo(in, tg, &o)
					if v.TP != s1.TP || v.SP != s1.SP || v.SG != s1.SG || v.Cnt != s1.Cnt {
						t.Fatalf("n %d: binaryStatsGo %+v, binaryStatsDPGo %+v", n, v, s1)
					}
				}
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
