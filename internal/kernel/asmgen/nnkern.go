package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The kernels of the native training engine (package nn) besides the
// GEMM: the float64 statistics and the element passes of normalization
// with ReLU / leaky ReLU, and the Adam update. Each runs on n elements, a
// multiple of the lane count; the Go side (nnkern_amd64.go) finishes the
// tails and adds the float64 lanes. Arithmetic is the plain-Go kernels'
// operation by operation (no fused multiply-add in float32), so the
// element passes and Adam match them bit for bit; only the float64 sums
// are added in another order.
func genNN() {
	for _, s := range isas {
		genSum64(s)
		genSqDev64(s)
		genNormAct(s)
		genActGrad(s)
		genNormGrad(s)
		genAdam(s)
	}
}

// nnLoop emits the element loop over n (register) elements: body runs on
// every lane-sized block and the pointers advance.
func (s isa) nnLoop(name string, n Register, ptrs []Register, body func(), end func()) {
	TESTQ(n, n)
	JE(LabelRef(name + "_end"))
	Label(name + "_loop")
	body()
	for _, r := range ptrs {
		ADDQ(U32(4*s.lanes), r)
	}
	SUBQ(U32(s.lanes), n)
	JNE(LabelRef(name + "_loop"))
	Label(name + "_end")
	end()
	VZEROUPPER()
	RET()
}

// acc64x2 adds the float32 lanes of v widened to float64 into two
// accumulators: lo += low half, hi += high half.
func (s isa) acc64x2(lo, hi *state, v VecVirtual) {
	l, h := s.widen(v)
	lo.update(func(old Op, dst VecVirtual) { VADDPD(old, l, dst) })
	hi.update(func(old Op, dst VecVirtual) { VADDPD(old, h, dst) })
}

// genSum64: acc = (lo, hi) lane sums of float64(x).
func genSum64(s isa) {
	name := "nnSum64" + s.suffix
	TEXT(name, NOSPLIT, "func(x *float32, n int, acc *float64)")
	Pragma("noescape")
	Doc(name + " adds float64(x) into two vectors of float64 lanes (see Sum64).")
	x, n, acc := Load(Param("x"), GP64()), Load(Param("n"), GP64()), Load(Param("acc"), GP64())
	lo, hi := s.newState(kf(0)), s.newState(kf(0))
	s.nnLoop(name, n, []Register{x}, func() {
		s.acc64x2(lo, hi, s.load(Mem{Base: x}))
	}, func() {
		lo.store(Mem{Base: acc})
		hi.store(Mem{Base: acc, Disp: 64})
	})
}

// genSqDev64: acc = (lo, hi) lane sums of (float64(x) − mean)².
func genSqDev64(s isa) {
	name := "nnSqDev64" + s.suffix
	TEXT(name, NOSPLIT, "func(x *float32, n int, mean *float64, acc *float64)")
	Pragma("noescape")
	Doc(name + " adds (float64(x) − mean)² into two vectors of float64 lanes (see SqDev64).")
	x, n := Load(Param("x"), GP64()), Load(Param("n"), GP64())
	mp, acc := Load(Param("mean"), GP64()), Load(Param("acc"), GP64())
	mean := s.vec()
	VBROADCASTSD(Mem{Base: mp}, mean)
	var meanOp Op = mean
	if !s.avx512 {
		l := AllocLocal(32)
		VMOVUPD(mean, l)
		meanOp = l
	}
	lo, hi := s.newState(kf(0)), s.newState(kf(0))
	s.nnLoop(name, n, []Register{x}, func() {
		l, h := s.widen(s.load(Mem{Base: x}))
		VSUBPD(meanOp, l, l)
		VSUBPD(meanOp, h, h)
		lo.update(func(old Op, dst VecVirtual) {
			if s.avx512 {
				VFMADD231PD(l, l, dst)
				return
			}
			VMOVUPD(old, dst)
			VFMADD231PD(l, l, dst)
		})
		hi.update(func(old Op, dst VecVirtual) {
			if s.avx512 {
				VFMADD231PD(h, h, dst)
				return
			}
			VMOVUPD(old, dst)
			VFMADD231PD(h, h, dst)
		})
	}, func() {
		lo.store(Mem{Base: acc})
		hi.store(Mem{Base: acc, Disp: 64})
	})
}

// actFactor returns the activation's derivative at z, the plain-Go
// actFactor bit for bit: 1 for a clear sign bit, the slope for a set one
// (x1s = bits(1) ^ bits(slope)), 0 where z == 0.
func (s isa) actFactor(z VecVirtual, x1s Op) VecVirtual {
	neg := s.vec()
	VPSRAD(U8(31), z, neg)
	VANDPS(x1s, neg, neg)
	VXORPS(kf(1), neg, neg)
	eq := s.cmp(cmpEQ, z, kf(0))
	return s.blend(eq, kf(0), neg)
}

// genNormAct: z ← (z − mean)·rs, a ← z·actFactor(z); p = [mean, rs, x1s].
func genNormAct(s isa) {
	name := "nnNormAct" + s.suffix
	TEXT(name, NOSPLIT, "func(z, a *float32, n int, p *float32)")
	Pragma("noescape")
	Doc(name + " normalizes z in place and writes the activation to a (see NormAct).")
	z, a := Load(Param("z"), GP64()), Load(Param("a"), GP64())
	n, p := Load(Param("n"), GP64()), Load(Param("p"), GP64())
	mean, rs, x1s := s.param(Mem{Base: p}), s.param(Mem{Base: p, Disp: 4}), s.param(Mem{Base: p, Disp: 8})
	s.nnLoop(name, n, []Register{z, a}, func() {
		v := s.sub(s.load(Mem{Base: z}), mean)
		VMULPS(rs, v, v)
		VMOVUPS(v, Mem{Base: z})
		VMULPS(s.actFactor(v, x1s), v, v)
		VMOVUPS(v, Mem{Base: a})
	}, func() {})
}

// genActGrad: g ← g·actFactor(z); acc = lane sums (lo, hi) of float64(g),
// then of float64(g)·float64(z); p = [x1s].
func genActGrad(s isa) {
	name := "nnActGrad" + s.suffix
	TEXT(name, NOSPLIT, "func(grad, z *float32, n int, p *float32, acc *float64)")
	Pragma("noescape")
	Doc(name + " applies the activation's derivative to g and sums g and g·z (see ActGradDots).")
	g, z := Load(Param("grad"), GP64()), Load(Param("z"), GP64())
	n, p, acc := Load(Param("n"), GP64()), Load(Param("p"), GP64()), Load(Param("acc"), GP64())
	x1s := s.param(Mem{Base: p})
	s1l, s1h, s2l, s2h := s.newState(kf(0)), s.newState(kf(0)), s.newState(kf(0)), s.newState(kf(0))
	s.nnLoop(name, n, []Register{g, z}, func() {
		zv := s.load(Mem{Base: z})
		gv := s.load(Mem{Base: g})
		VMULPS(s.actFactor(zv, x1s), gv, gv)
		VMOVUPS(gv, Mem{Base: g})
		gl, gh := s.widen(gv)
		s1l.update(func(old Op, dst VecVirtual) { VADDPD(old, gl, dst) })
		s1h.update(func(old Op, dst VecVirtual) { VADDPD(old, gh, dst) })
		zl, zh := s.widen(zv)
		for _, q := range []struct {
			st   *state
			a, b VecVirtual
		}{{s2l, gl, zl}, {s2h, gh, zh}} {
			q.st.update(func(old Op, dst VecVirtual) {
				if !s.avx512 {
					VMOVUPD(old, dst)
				}
				VFMADD231PD(q.a, q.b, dst) // the product of two float32 is exact in float64
			})
		}
	}, func() {
		for i, st := range []*state{s1l, s1h, s2l, s2h} {
			st.store(Mem{Base: acc, Disp: 64 * i})
		}
	})
}

// genNormGrad: g ← rs·((g − m1) − z·m2); p = [rs, m1, m2].
func genNormGrad(s isa) {
	name := "nnNormGrad" + s.suffix
	TEXT(name, NOSPLIT, "func(grad, z *float32, n int, p *float32)")
	Pragma("noescape")
	Doc(name + " turns the gradient of the normalized values into that of the input (see NormGrad).")
	g, z := Load(Param("grad"), GP64()), Load(Param("z"), GP64())
	n, p := Load(Param("n"), GP64()), Load(Param("p"), GP64())
	rs, m1, m2 := s.param(Mem{Base: p}), s.param(Mem{Base: p, Disp: 4}), s.param(Mem{Base: p, Disp: 8})
	s.nnLoop(name, n, []Register{g, z}, func() {
		u := s.sub(s.load(Mem{Base: g}), m1)
		t := s.mul(s.load(Mem{Base: z}), m2)
		VSUBPS(t, u, u)
		VMULPS(rs, u, u)
		VMOVUPS(u, Mem{Base: g})
	}, func() {})
}

// genAdam: one Adam/AdamW step; h = [b1, b2, 1−b1, 1−b2, eps, bc2s, step
// size, coupled weight decay, decoupled shrink factor]:
//
//	p ← p·shrink; gi = g + wd·p; m ← m·b1 + (1−b1)·gi; v ← v·b2 + ((1−b2)·gi)·gi
//	p ← p − step·(m / (√v / bc2s + eps))
func genAdam(s isa) {
	name := "nnAdam" + s.suffix
	TEXT(name, NOSPLIT, "func(p, grad, m, v *float32, n int, h *float32)")
	Pragma("noescape")
	Doc(name + " applies one Adam step to n parameters (see AdamStep).")
	pp, gp := Load(Param("p"), GP64()), Load(Param("grad"), GP64())
	mp, vp := Load(Param("m"), GP64()), Load(Param("v"), GP64())
	n, h := Load(Param("n"), GP64()), Load(Param("h"), GP64())
	hp := func(i int) Op { return s.param(Mem{Base: h, Disp: 4 * i}) }
	b1, b2, c1, c2, eps, bc2s, step, wd, shrink := hp(0), hp(1), hp(2), hp(3), hp(4), hp(5), hp(6), hp(7), hp(8)
	s.nnLoop(name, n, []Register{pp, gp, mp, vp}, func() {
		p := s.mul(s.load(Mem{Base: pp}), shrink)
		gi := s.mul(p, wd)
		VADDPS(Mem{Base: gp}, gi, gi)
		m := s.mul(s.load(Mem{Base: mp}), b1)
		t := s.mul(gi, c1)
		VADDPS(t, m, m)
		VMOVUPS(m, Mem{Base: mp})
		v := s.mul(s.load(Mem{Base: vp}), b2)
		u := s.mul(gi, c2)
		VMULPS(gi, u, u)
		VADDPS(u, v, v)
		VMOVUPS(v, Mem{Base: vp})
		d := s.vec()
		VSQRTPS(v, d)
		VDIVPS(bc2s, d, d)
		VADDPS(eps, d, d)
		VDIVPS(d, m, m)
		VMULPS(step, m, m)
		VSUBPS(m, p, p)
		VMOVUPS(p, Mem{Base: pp})
	}, func() {})
}
