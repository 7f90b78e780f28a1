package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The binary kernels share one signature: n (a multiple of the lane
// count) elements of x and t, an output vector y (gradient or sigmoid
// derivative, unused by some), float32 parameters p, float64 lane sums
// acc (64 bytes per sum) and the check vectors ck (chk, lo, hi; 64 bytes
// each, of x then of t). The Go side (binary_amd64.go) adds the lanes.
const binarySig = "func(x, t, y *float32, n int, p *float32, acc *float64, ck *float32)"

// kernelArgs loads the common arguments.
type kernelArgs struct {
	x, t, g, n, p, acc, ck Register
}

func (s isa) begin(name, doc string) kernelArgs {
	TEXT(name+s.suffix, NOSPLIT, binarySig)
	Pragma("noescape")
	Doc(name + s.suffix + " " + doc)
	return kernelArgs{
		x:   Load(Param("x"), GP64()),
		t:   Load(Param("t"), GP64()),
		g:   Load(Param("y"), GP64()),
		n:   Load(Param("n"), GP64()),
		p:   Load(Param("p"), GP64()),
		acc: Load(Param("acc"), GP64()),
		ck:  Load(Param("ck"), GP64()),
	}
}

// loop emits the element loop: body runs on every lane-sized block and
// the pointers advance; end runs once after it.
func (s isa) loop(name string, a kernelArgs, ptrs []Register, body func(), end func()) {
	if b := s.blk; b != nil { // blocks of blockK vectors, then the rest one at a time
		step := U32(blockK * s.lanes)
		CMPQ(a.n, step)
		JB(LabelRef(name + "_rest"))
		alignLoop()
		Label(name + "_block")
		b.active, b.parts, b.order = true, map[*state]VecVirtual{}, nil
		for k := 0; k < blockK; k++ {
			b.first = k == 0
			body()
			for _, r := range ptrs {
				ADDQ(U32(4*s.lanes), r)
			}
		}
		for _, st := range b.order {
			s.widen64(st, b.parts[st])
		}
		b.active = false
		SUBQ(step, a.n)
		CMPQ(a.n, step)
		JAE(LabelRef(name + "_block"))
		Label(name + "_rest")
	}
	TESTQ(a.n, a.n)
	JE(LabelRef(name + "_end"))
	alignLoop()
	Label(name + "_loop")
	body()
	for _, r := range ptrs {
		ADDQ(U32(4*s.lanes), r)
	}
	SUBQ(U32(s.lanes), a.n)
	JNE(LabelRef(name + "_loop"))
	Label(name + "_end")
	end()
	VZEROUPPER()
	RET()
}

func pm(a kernelArgs, i int) Mem { return Mem{Base: a.p, Disp: 4 * i} }

// smooth returns t(1-ls) + (1-t)ls, with oml = 1-ls.
func (s isa) smooth(t VecVirtual, oml, ls Op) VecVirtual {
	a := s.mul(t, oml)
	u := s.load(kf(1))
	VSUBPS(t, u, u)
	VMULPS(ls, u, u)
	VADDPS(u, a, a)
	return a
}

// softplus returns spx = max(x,0) + l1p and spn = max(-x,0) + l1p.
func (s isa) softplus(x, l1p VecVirtual) (spx, spn VecVirtual) {
	spx = s.max(x, kf(0))
	VADDPS(l1p, spx, spx)
	nx := s.load(kf(0))
	VSUBPS(x, nx, nx)
	spn = s.max(nx, kf(0))
	VADDPS(l1p, spn, spn)
	return spx, spn
}

// oneMinus returns 1 - v.
func (s isa) oneMinus(v VecVirtual) VecVirtual {
	u := s.load(kf(1))
	VSUBPS(v, u, u)
	return u
}

func genBinary() {
	for _, s := range isas {
		for _, grad := range []bool{false, true} {
			genBCE(s.blocked(), grad)
			for _, alpha := range []bool{false, true} {
				genFocal(s.blocked(), grad, alpha)
			}
		}
		for _, v := range []struct{ logits, bce bool }{{false, false}, {true, false}, {true, true}} {
			for _, extra := range []bool{false, true} {
				bs := s.blocked()
				if extra { // six or seven accumulators: too few registers left for their partials
					bs = s
				}
				genBinaryStats(bs, v.logits, v.bce, extra)
			}
			genBinaryGrad(s, v.logits, v.bce)
		}
		genStatsDP(s.blocked().withRegs())
		genGradDP(s)
		genExp(s, "expNeg")
		if !s.avx512 {
			genExp(s.withHorner(), "expNegHorner")
		}
	}
}

func variant(name string, flags ...bool) string {
	for _, f := range flags {
		if f {
			name += "1"
		} else {
			name += "0"
		}
	}
	return name
}

// genBCE: BCE from logits, p = [pos weight, smoothing, scale]; acc[0] =
// loss; ck = x finite, t in [0, 1].
func genBCE(s isa, grad bool) {
	name := variant("bce", grad)
	a := s.begin(name, "is the BCE-from-logits kernel (see bceVec).")
	pw, ls, scale := s.param(pm(a, 0)), s.param(pm(a, 1)), s.param(pm(a, 2))
	oml := s.param(pm(a, 3))
	loss := s.newState(kf(0))
	ck := s.newCheck()
	ptrs := []Register{a.x, a.t}
	if grad {
		ptrs = append(ptrs, a.g)
	}
	s.loop(name+s.suffix, a, ptrs, func() {
		xv := s.load(Mem{Base: a.x})
		tv := s.load(Mem{Base: a.t})
		s.finite(ck, xv)
		s.unit(ck, tv)
		tv = s.smooth(tv, oml, ls)
		p, q, e, _ := s.sig(xv)
		l1p := s.log1p(e)
		spx, spn := s.softplus(xv, l1p)
		u := s.oneMinus(tv)
		ptw := s.mul(tv, pw)
		l := s.mul(ptw, spn)
		VMULPS(spx, u, spx)
		VADDPS(spx, l, l)
		s.acc64(loss, l)
		if grad {
			d := s.mul(u, p)
			VMULPS(q, ptw, ptw)
			VSUBPS(ptw, d, d)
			VMULPS(scale, d, d)
			VMOVUPS(d, Mem{Base: a.g})
		}
	}, func() {
		loss.store(Mem{Base: a.acc})
		ck.store(Mem{Base: a.ck})
	})
}

// genFocal: sigmoid focal loss, gamma 2, linear p_t; p = [smoothing,
// scale, alpha, 1-smoothing]; acc[0] = loss.
func genFocal(s isa, grad, alpha bool) {
	name := variant("focal", grad, alpha)
	a := s.begin(name, "is the focal-from-logits kernel (see focalVec).")
	ls, scale, oml := s.param(pm(a, 0)), s.param(pm(a, 1)), s.param(pm(a, 3))
	var al, oma Op
	if alpha {
		al, oma = s.param(pm(a, 2)), s.param(pm(a, 4))
	}
	loss := s.newState(kf(0))
	ck := s.newCheck()
	ptrs := []Register{a.x, a.t}
	if grad {
		ptrs = append(ptrs, a.g)
	}
	s.loop(name+s.suffix, a, ptrs, func() {
		xv := s.load(Mem{Base: a.x})
		tv := s.load(Mem{Base: a.t})
		s.finite(ck, xv)
		s.unit(ck, tv)
		tv = s.smooth(tv, oml, ls)
		p, q, e, sv := s.sig(xv)
		l1p := s.log1p(e)
		spx, spn := s.softplus(xv, l1p)
		u := s.oneMinus(tv)
		ce := s.mul(tv, spn)
		VMULPS(spx, u, spx)
		VADDPS(spx, ce, ce)
		// om = t q + u p (1 - p_t), dce = u p - t q
		tq := s.mul(tv, q)
		up := s.mul(u, p)
		om := s.add(tq, up)
		dce := s.sub(up, tq)
		m := s.mul(om, om)
		l := s.mul(ce, m)
		// dpt = (2t - 1) e s s; d = dce m - 2 om dpt ce
		dp := s.mul(e, sv)
		VMULPS(sv, dp, dp)
		dpt := s.mul(tv, kf(2))
		VSUBPS(kf(1), dpt, dpt)
		VMULPS(dp, dpt, dpt)
		// 2 om dpt ce, dpt first: ce*2 overflows for |x| near MaxFloat32,
		// where dpt = 0.
		d := s.mul(dce, m)
		c2 := s.mul(om, kf(2))
		VMULPS(dpt, c2, c2)
		VMULPS(ce, c2, c2)
		VSUBPS(c2, d, d)
		if alpha {
			at := s.mul(tv, al)
			w := s.mul(u, oma)
			VADDPS(w, at, at)
			VMULPS(at, l, l)
			VMULPS(at, d, d)
		}
		s.acc64(loss, l)
		if grad {
			VMULPS(scale, d, d)
			VMOVUPS(d, Mem{Base: a.g})
		}
	}, func() {
		loss.store(Mem{Base: a.acc})
		ck.store(Mem{Base: a.ck})
	})
}

// genBinaryStats: region sums; acc = TP, SP, SG, SP2, SG2, Abs, Loss;
// ck = x (finite for logits, else in [0, 1]) then t.
func genBinaryStats(s isa, logits, bce, extra bool) {
	name := variant("binaryStats", logits, bce, extra)
	a := s.begin(name, "is the binary region-sums kernel (see binaryStatsVec).")
	nacc := 3
	if extra {
		nacc = 6
	}
	accs := make([]*state, nacc)
	for i := range accs {
		accs[i] = s.newState(kf(0))
	}
	var loss *state
	if bce {
		loss = s.newState(kf(0))
	}
	ckx, ckt := s.newCheck(), s.newCheck()
	s.loop(name+s.suffix, a, []Register{a.x, a.t}, func() {
		xv := s.load(Mem{Base: a.x})
		tv := s.load(Mem{Base: a.t})
		s.unit(ckt, tv)
		p := xv
		if logits {
			s.finite(ckx, xv)
			var e VecVirtual
			p, e, _, _ = s.sigP(xv)
			if bce {
				l1p := s.log1p(e)
				spx, spn := s.softplus(xv, l1p)
				l := s.mul(tv, spn)
				u := s.oneMinus(tv)
				VMULPS(spx, u, u)
				VADDPS(u, l, l)
				s.acc64(loss, l)
			}
		} else {
			s.unit(ckx, xv)
		}
		s.acc64(accs[0], s.mul(p, tv))
		s.acc64(accs[1], p)
		s.acc64(accs[2], tv)
		if extra {
			s.acc64(accs[3], s.mul(p, p))
			s.acc64(accs[4], s.mul(tv, tv))
			d := s.sub(p, tv)
			nd := s.load(kf(0))
			VSUBPS(d, nd, nd)
			s.acc64(accs[5], s.max(d, nd))
		}
	}, func() {
		for i, st := range accs {
			st.store(Mem{Base: a.acc, Disp: 64 * i})
		}
		if bce {
			loss.store(Mem{Base: a.acc, Disp: 64 * 6})
		}
		ckx.store(Mem{Base: a.ck})
		ckt.store(Mem{Base: a.ck, Disp: 192})
	})
}

// genBinaryGrad: gradient from the region coefficients; p = [DSP,
// 2 DSP2, DTP, DAbs, BCEScale, D1, use DSP2 (0/1), use DAbs (0/1)].
func genBinaryGrad(s isa, logits, bce bool) {
	name := variant("binaryGrad", logits, bce)
	a := s.begin(name, "is the binary region-gradient kernel (see binaryGradVec).")
	dsp, dsp2, dtp, dabs := s.param(pm(a, 0)), s.param(pm(a, 1)), s.param(pm(a, 2)), s.param(pm(a, 3))
	var bs Op
	if bce {
		bs = s.param(pm(a, 4))
	}
	d1 := s.param(pm(a, 5))
	useP2, useAbs := GP32(), GP32()
	MOVL(pm(a, 6), useP2)
	MOVL(pm(a, 7), useAbs)
	lp := name + s.suffix
	s.loop(lp, a, []Register{a.x, a.t, a.g}, func() {
		xv := s.load(Mem{Base: a.x})
		tv := s.load(Mem{Base: a.t})
		p := xv
		var q, dp VecVirtual
		if logits {
			var e, sv VecVirtual
			p, q, e, sv = s.sig(xv)
			dp = s.mul(e, sv)
			VMULPS(sv, dp, dp)
		}
		eq := s.cmp(cmpEQ, tv, kf(1))
		lin := s.fmaK(tv, dtp, dsp)
		d := s.blend(eq, d1, lin)
		TESTL(useP2, useP2)
		JE(LabelRef(lp + "_nop2"))
		VFMADD231PS(dsp2, p, d)
		Label(lp + "_nop2")
		TESTL(useAbs, useAbs)
		JE(LabelRef(lp + "_noabs"))
		gt := s.cmp(cmpGT, p, Mem{Base: a.t})
		VADDPS(s.masked(gt, dabs), d, d)
		lt := s.cmp(cmpLT, p, Mem{Base: a.t})
		VSUBPS(s.masked(lt, dabs), d, d)
		Label(lp + "_noabs")
		if logits {
			VMULPS(dp, d, d)
		}
		if bce {
			u := s.oneMinus(tv)
			VMULPS(p, u, u)
			VMULPS(q, tv, tv)
			VSUBPS(tv, u, u)
			VFMADD231PS(bs, u, d)
		}
		VMOVUPS(d, Mem{Base: a.g})
	}, func() {})
}

// genStatsDP: TP, SP, SG of sigmoid(x) and the sigmoid derivative into g;
// t gets a range check only (one register fewer, for Estrin's exp on
// AVX2): a NaN t shows in SG, which binaryStatsDPVec tests.
func genStatsDP(s isa) {
	name := "binaryStatsDP"
	a := s.begin(name, "is the binary region-sums kernel that also writes the sigmoid derivative (see binaryStatsDPVec).")
	accs := []*state{s.newState(kf(0)), s.newState(kf(0)), s.newState(kf(0))}
	ckx, ckt := s.newFiniteCheck(), s.newRangeCheck()
	s.loop(name+s.suffix, a, []Register{a.x, a.t, a.g}, func() {
		xv := s.load(Mem{Base: a.x})
		tv := s.load(Mem{Base: a.t})
		s.inRange(ckt, tv)
		s.finite(ckx, xv)
		p, _, es, sv := s.sigP(xv)
		dp := s.mul(es, sv) // e s^2
		VMOVUPS(dp, Mem{Base: a.g})
		s.acc64(accs[0], s.mul(p, tv))
		s.acc64(accs[1], p)
		s.acc64(accs[2], tv)
	}, func() {
		for i, st := range accs {
			st.store(Mem{Base: a.acc, Disp: 64 * i})
		}
		ckx.store(Mem{Base: a.ck})
		ckt.store(Mem{Base: a.ck, Disp: 192})
	})
}

// genGradDP: g *= (t == 1 ? D1 : DSP + DTP t); p = [DSP, DTP, D1].
func genGradDP(s isa) {
	name := "binaryGradDP"
	a := s.begin(name, "turns sigmoid derivatives into the gradient (see binaryGradDPVec).")
	dsp, dtp, d1 := s.param(pm(a, 0)), s.param(pm(a, 1)), s.param(pm(a, 2))
	s.loop(name+s.suffix, a, []Register{a.t, a.g}, func() {
		tv := s.load(Mem{Base: a.t})
		eq := s.cmp(cmpEQ, tv, kf(1))
		lin := s.fmaK(tv, dtp, dsp)
		d := s.blend(eq, d1, lin)
		VMULPS(Mem{Base: a.g}, d, d)
		VMOVUPS(d, Mem{Base: a.g})
	}, func() {})
}

// genExp: y = e^x for x <= 0 (the exponential of the kernels, for tests).
func genExp(s isa, name string) {
	a := s.begin(name, "writes e^x for x <= 0 (see expNegVec).")
	s.loop(name+s.suffix, a, []Register{a.x, a.g}, func() {
		VMOVUPS(s.exp(s.load(Mem{Base: a.x})), Mem{Base: a.g})
	}, func() {})
}
