package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The softmax kernels share one signature: n pixels (a multiple of the
// lane count) of C <= 16 channels with channel stride S floats, starting
// at x (channel 0) and lab; y is the output rows (gradient or
// probabilities, same layout as x). p holds the parameters: per-class
// arrays of 16 floats at p[16k] and scalars from p[96] (float32 scale at
// p[96]; int32 C at p[104], ignore flag (-1 or 0) at p[105], ignore index
// at p[106], use DSP2 and use DAbs flags at p[107], p[108]). b is a
// scratch block of 2×16×16 floats, acc the float64 lane sums (64 bytes
// each), ck the finite check vector (64 bytes) followed by the bad-label
// lane bits (int32).
const softmaxSig = "func(x *float32, lab *int32, y *float32, n, C, S int, p *float32, b *float32, acc *float64, ck *float32)"

// softmaxPixSig adds pl, the per-pixel loss output of softmaxCEPix.
const softmaxPixSig = "func(x *float32, lab *int32, y *float32, n, C, S int, p *float32, b *float32, acc *float64, ck *float32, pl *float32)"

type smArgs struct {
	x, lab, y, n, s Register
}

func (s isa) smBegin(name, doc string) smArgs { return s.smBeginSig(name, doc, softmaxSig) }

// smBeginSig is smBegin for a kernel of signature sig.
func (s isa) smBeginSig(name, doc, sig string) smArgs {
	TEXT(name+s.suffix, 0, sig)
	Pragma("noescape")
	Doc(name + s.suffix + " " + doc)
	a := smArgs{
		x:   Load(Param("x"), GP64()),
		lab: Load(Param("lab"), GP64()),
		y:   Load(Param("y"), GP64()),
		n:   Load(Param("n"), GP64()),
		s:   Load(Param("S"), GP64()),
	}
	SHLQ(U8(2), a.s)
	return a
}

func (s isa) pArg(i int) Mem {
	return Mem{Base: Load(Param("p"), GP64()), Disp: 4 * i}
}

// chanLoop runs body once per channel c (from first), with xc and yc
// pointing at channel c of the current pixel block, pc at the class
// parameters (advancing 4 bytes) and bp at the scratch row (64 bytes).
type chanPtrs struct{ xc, yc, pc, bp Register }

var labelSeq int

func (s isa) chanLoop(a smArgs, first int, body func(cp chanPtrs)) {
	labelSeq++
	l := Label
	name := func(n string) string { return n + s.suffix + itoa(labelSeq) }
	cc := Load(Param("C"), GP64())
	cp := chanPtrs{xc: GP64(), yc: GP64(), pc: Load(Param("p"), GP64()), bp: Load(Param("b"), GP64())}
	MOVQ(a.x, cp.xc)
	MOVQ(a.y, cp.yc)
	if first > 0 {
		SUBQ(U8(first), cc)
		JE(LabelRef(name("chdone")))
		ADDQ(a.s, cp.xc)
		ADDQ(a.s, cp.yc)
		ADDQ(U8(4), cp.pc)
		ADDQ(U8(64), cp.bp)
	}
	l(name("ch"))
	body(cp)
	ADDQ(a.s, cp.xc)
	ADDQ(a.s, cp.yc)
	ADDQ(U8(4), cp.pc)
	ADDQ(U8(64), cp.bp)
	DECQ(cc)
	JNE(LabelRef(name("ch")))
	l(name("chdone"))
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}

// Integer lane masks (labels).
func (s isa) icmpEQ(a VecVirtual, b Op) mask {
	if s.avx512 {
		k := K()
		VPCMPEQD(b, a, k)
		return mask{k}
	}
	d := s.vec()
	VPCMPEQD(b, a, d)
	return mask{d}
}

// icmpGT returns a > b.
func (s isa) icmpGT(a VecVirtual, b Op) mask {
	if s.avx512 {
		k := K()
		VPCMPGTD(b, a, k)
		return mask{k}
	}
	d := s.vec()
	VPCMPGTD(b, a, d)
	return mask{d}
}

func (s isa) mand(a, b mask) mask {
	if s.avx512 {
		k := K()
		KANDW(a.op, b.op, k)
		return mask{k}
	}
	d := s.vec()
	VPAND(a.op, b.op, d)
	return mask{d}
}

func (s isa) mor(a, b mask) mask {
	if s.avx512 {
		k := K()
		KORW(a.op, b.op, k)
		return mask{k}
	}
	d := s.vec()
	VPOR(a.op, b.op, d)
	return mask{d}
}

// mandn returns ~a & b.
func (s isa) mandn(a, b mask) mask {
	if s.avx512 {
		k := K()
		KANDNW(b.op, a.op, k)
		return mask{k}
	}
	d := s.vec()
	VPANDN(b.op, a.op, d)
	return mask{d}
}

// badState accumulates bad-label lanes.
type badState struct {
	k   VecVirtual // unused
	km  Op
	mem Mem
}

func (s isa) newBad() *badState {
	if s.avx512 {
		k := K()
		KXORW(k, k, k)
		return &badState{km: k}
	}
	b := &badState{mem: AllocLocal(32)}
	z := s.load(kf(0))
	VMOVUPS(z, b.mem)
	return b
}

// labelMasks returns the valid lanes of the labels lv and adds the bad
// ones (neither in [0, C) nor ignored) to bad.
func (s isa) labelMasks(lv VecVirtual, bad *badState) mask {
	cv := s.vec()
	VPBROADCASTD(s.pArg(104), cv)
	igf := s.vec()
	VPBROADCASTD(s.pArg(105), igf)
	igi := s.vec()
	VPBROADCASTD(s.pArg(106), igi)
	in := s.mand(s.icmpGT(lv, ku(0xffffffff)), s.icmpGT(cv, lv))
	ign := s.icmpEQ(lv, igi)
	if s.avx512 {
		f := s.icmpEQ(igf, ku(0xffffffff))
		ign = s.mand(ign, f)
	} else {
		ign = s.mand(ign, mask{igf})
	}
	ok := s.mor(in, ign)
	if s.avx512 {
		nb := K()
		KNOTW(ok.op, nb)
		KORW(nb, bad.km, bad.km)
	} else {
		t := s.vec()
		VPANDN(ku(0xffffffff), ok.op, t)
		VPOR(bad.mem, t, t)
		VMOVUPS(t, bad.mem)
	}
	return s.mandn(ign, in)
}

func (s isa) storeBad(bad *badState, ck Mem) {
	r := GP32()
	if s.avx512 {
		KMOVW(bad.km, r)
	} else {
		t := s.load(bad.mem)
		VMOVMSKPS(t, r)
	}
	MOVL(r, ck)
}

// log returns log(x) for normal x > 0 (Log32's algorithm).
func (s isa) log(x VecVirtual) VecVirtual {
	e := s.vec()
	VPSRLD(U8(23), x, e)
	VPSUBD(ku(127), e, e)
	m := s.vec()
	s.pand(ku(0x007fffff), x, m)
	s.por(ku(0x3f800000), m, m)
	big := s.cmp(cmpGT, m, kf(1.4142135623730951))
	mh := s.mul(m, kf(0.5))
	m = s.blend(big, mh, m)
	ef := s.vec()
	VCVTDQ2PS(e, ef)
	ef1 := s.add(ef, kf(1))
	ef = s.blend(big, ef1, ef)
	f := s.sub(m, kf(1))
	sv := s.mul(f, s.recip(s.add(f, kf(2))))
	z := s.mul(sv, sv)
	p := s.horner(z, 1.0/9, 1.0/7, 1.0/5, 1.0/3, 1)
	lm := s.add(sv, sv)
	VMULPS(p, lm, lm)
	VFMADD231PS(kf(ln2Lo32), ef, lm)
	VFMADD231PS(kf(ln2Hi32), ef, lm)
	return lm
}

// softmaxBlock computes e_c = exp(x_c - max) into the scratch rows and
// returns 1/sum e and, with wantLSE, max + log(sum e); it folds x into
// the finite check.
func (s isa) softmaxBlock(a smArgs, chk check, wantLSE bool) (inv, lse VecVirtual) {
	m := s.load(Mem{Base: a.x})
	s.finite(chk, m)
	s.chanLoop(a, 1, func(cp chanPtrs) {
		v := s.load(Mem{Base: cp.xc})
		s.finite(chk, v)
		VMAXPS(v, m, m)
	})
	z := s.load(kf(0))
	s.chanLoop(a, 0, func(cp chanPtrs) {
		v := s.load(Mem{Base: cp.xc})
		VSUBPS(m, v, v)
		e := s.exp(v)
		VMOVUPS(e, Mem{Base: cp.bp})
		VADDPS(e, z, z)
	})
	inv = s.load(kf(1))
	VDIVPS(z, inv, inv)
	if wantLSE {
		lse = s.log(z)
		VADDPS(m, lse, lse)
	}
	return inv, lse
}

// smLoop runs body per pixel block and advances x, lab, y.
func (s isa) smLoop(name string, a smArgs, body func(), end func()) {
	TESTQ(a.n, a.n)
	JE(LabelRef(name + "_end"))
	Label(name + "_loop")
	body()
	ADDQ(U32(4*s.lanes), a.x)
	ADDQ(U32(4*s.lanes), a.lab)
	ADDQ(U32(4*s.lanes), a.y)
	SUBQ(U32(s.lanes), a.n)
	JNE(LabelRef(name + "_loop"))
	Label(name + "_end")
	end()
	VZEROUPPER()
	RET()
}

func accArg(i int) Mem  { return Mem{Base: Load(Param("acc"), GP64()), Disp: 64 * i} }
func ckArg(off int) Mem { return Mem{Base: Load(Param("ck"), GP64()), Disp: off} }

// acc64m adds the lanes of v, widened, into the float64 vector at m.
func (s isa) acc64m(m Mem, v VecVirtual) {
	st := &state{s: s, mem: m}
	s.acc64(st, v)
}

func genSoftmax() {
	for _, s := range isas {
		s = s.withHorner()
		for _, pix := range []bool{false, true} {
			for _, grad := range []bool{false, true} {
				genSoftmaxCE(s, grad, pix)
			}
		}
		for _, extra := range []bool{false, true} {
			for _, ce := range []bool{false, true} {
				genSoftmaxStats(s, extra, ce)
			}
		}
		for _, ce := range []bool{false, true} {
			genSoftmaxGrad(s, ce)
		}
		for _, lab := range []bool{false, true} {
			genSoftmaxProbs(s, lab)
		}
		genSoftmaxChain(s)
	}
}

func (s isa) bcastClass(pc Register, k int) VecVirtual {
	r := s.vec()
	VBROADCASTSS(Mem{Base: pc, Disp: 64 * k}, r)
	return r
}

// genSoftmaxCE: cross-entropy; arrays wYes, wNo, wOne; scale p[96];
// acc = loss, den.
// With pix it also stores each pixel's loss into pl (-1 for a pixel whose
// label is ignored or out of range).
func genSoftmaxCE(s isa, grad, pix bool) {
	name := variant("softmaxCE", grad)
	a := smArgs{}
	var plOff Register // pl - lab: both advance 4 bytes per pixel
	if pix {
		name = variant("softmaxCEPix", grad)
		a = s.smBeginSig(name, "is softmaxCE with per-pixel losses (see softmaxCEVec).", softmaxPixSig)
		plOff = Load(Param("pl"), GP64())
		SUBQ(a.lab, plOff)
	} else {
		a = s.smBegin(name, "is the softmax cross-entropy kernel (see softmaxCEVec).")
	}
	chk := check{chk: s.newState(kf(0))}
	bad := s.newBad()
	loss, den := s.newState(kf(0)), s.newState(kf(0))
	s.smLoop(name+s.suffix, a, func() {
		lv := s.load(Mem{Base: a.lab})
		valid := s.labelMasks(lv, bad)
		inv, lse := s.softmaxBlock(a, chk, true)
		sw, lsum, dw := s.load(kf(0)), s.load(kf(0)), s.load(kf(0))
		cv := s.load(kf(0))
		s.chanLoop(a, 0, func(cp chanPtrs) {
			isY := s.icmpEQ(lv, cv)
			wt := s.blend(isY, s.bcastClass(cp.pc, 0), s.bcastClass(cp.pc, 1))
			wt = s.masked(valid, wt)
			VMOVUPS(wt, Mem{Base: cp.bp, Disp: 1024})
			VADDPS(s.masked(s.mand(isY, valid), s.bcastClass(cp.pc, 2)), dw, dw)
			VADDPS(wt, sw, sw)
			d := s.sub(lse, Mem{Base: cp.xc})
			VFMADD231PS(d, wt, lsum)
			VPADDD(ku(1), cv, cv)
		})
		if pix {
			VMOVUPS(s.blend(valid, lsum, s.load(kf(-1))), Mem{Base: a.lab, Index: plOff, Scale: 1})
		}
		s.acc64(loss, lsum)
		s.acc64(den, dw)
		if grad {
			s.chanLoop(a, 0, func(cp chanPtrs) {
				p := s.mul(inv, Mem{Base: cp.bp})
				VMULPS(sw, p, p)
				VSUBPS(Mem{Base: cp.bp, Disp: 1024}, p, p)
				VMULPS(s.bpArg(96), p, p)
				VMOVUPS(p, Mem{Base: cp.yc})
			})
		}
	}, func() {
		loss.store(accArg(0))
		den.store(accArg(1))
		chk.chk.store(ckArg(0))
		s.storeBad(bad, ckArg(64))
	})
}

// genSoftmaxStats: per class c the sums acc[5c..5c+4] = TP, SP, SP2, Abs,
// SG; acc[80] = count; with CE acc[81], acc[82] = CE loss and
// denominator. Arrays: class weights.
func genSoftmaxStats(s isa, extra, ce bool) {
	name := variant("softmaxStats", extra, ce)
	a := s.smBegin(name, "is the softmax region-sums kernel (see softmaxStatsVec).")
	chk := check{chk: s.newState(kf(0))}
	bad := s.newBad()
	s.smLoop(name+s.suffix, a, func() {
		lv := s.load(Mem{Base: a.lab})
		valid := s.labelMasks(lv, bad)
		inv, lse := s.softmaxBlock(a, chk, ce)
		s.acc64m(accArg(80), s.masked(valid, kf(1)))
		var lsum, dw VecVirtual
		if ce {
			lsum, dw = s.load(kf(0)), s.load(kf(0))
		}
		cv := s.load(kf(0))
		ap := Load(Param("acc"), GP64())
		s.chanLoop(a, 0, func(cp chanPtrs) {
			isY := s.mand(s.icmpEQ(lv, cv), valid)
			p := s.masked(valid, s.mul(inv, Mem{Base: cp.bp}))
			s.acc64m(Mem{Base: ap}, s.masked(isY, p))
			s.acc64m(Mem{Base: ap, Disp: 64}, p)
			s.acc64m(Mem{Base: ap, Disp: 4 * 64}, s.masked(isY, kf(1)))
			if extra {
				s.acc64m(Mem{Base: ap, Disp: 2 * 64}, s.mul(p, p))
				t := s.add(p, p)
				u := s.load(kf(1))
				VSUBPS(t, u, u)
				VADDPS(s.masked(isY, u), p, p)
				s.acc64m(Mem{Base: ap, Disp: 3 * 64}, p)
			}
			if ce {
				wy := s.masked(isY, s.bcastClass(cp.pc, 0))
				d := s.sub(lse, Mem{Base: cp.xc})
				VFMADD231PS(d, wy, lsum)
				VADDPS(wy, dw, dw)
			}
			VPADDD(ku(1), cv, cv)
			ADDQ(U32(5*64), ap)
		})
		if ce {
			s.acc64m(accArg(81), lsum)
			s.acc64m(accArg(82), dw)
		}
	}, func() {
		chk.chk.store(ckArg(0))
		s.storeBad(bad, ckArg(64))
	})
}

// genSoftmaxGrad: region gradient through the softmax; arrays D1, DSP,
// 2 DSP2, DAbs, CE class weights (1 without weights); CEScale p[96].
func genSoftmaxGrad(s isa, ce bool) {
	name := variant("softmaxGrad", ce)
	a := s.smBegin(name, "is the softmax region-gradient kernel (see softmaxGradVec).")
	chk := check{chk: s.newState(kf(0))}
	bad := s.newBad()
	lp := name + s.suffix
	s.smLoop(lp, a, func() {
		lv := s.load(Mem{Base: a.lab})
		valid := s.labelMasks(lv, bad)
		inv, _ := s.softmaxBlock(a, chk, false)
		dot, wy := s.load(kf(0)), s.load(kf(0))
		cv := s.load(kf(0))
		useP2, useAbs := GP32(), GP32()
		MOVL(s.pArg(107), useP2)
		MOVL(s.pArg(108), useAbs)
		s.chanLoop(a, 0, func(cp chanPtrs) {
			isY := s.icmpEQ(lv, cv)
			p := s.mul(inv, Mem{Base: cp.bp})
			VMOVUPS(p, Mem{Base: cp.bp})
			d := s.blend(isY, s.bcastClass(cp.pc, 0), s.bcastClass(cp.pc, 1))
			l := lp + itoa(labelSeq) + "_"
			TESTL(useP2, useP2)
			JE(LabelRef(l + "nop2"))
			VFMADD231PS(s.bcastClass(cp.pc, 2), p, d)
			Label(l + "nop2")
			TESTL(useAbs, useAbs)
			JE(LabelRef(l + "noabs"))
			da := s.bcastClass(cp.pc, 3)
			up := s.add(d, s.masked(s.cmp(cmpGT, p, kf(0)), da))
			dn := s.sub(d, s.masked(s.cmp(cmpLT, p, kf(1)), da))
			VMOVUPS(s.blend(isY, dn, up), d)
			Label(l + "noabs")
			VFMADD231PS(d, p, dot)
			VMOVUPS(d, Mem{Base: cp.yc})
			if ce {
				VADDPS(s.masked(isY, s.bcastClass(cp.pc, 4)), wy, wy)
			}
			VPADDD(ku(1), cv, cv)
		})
		if ce {
			VMULPS(s.bpArg(96), wy, wy)
		}
		VXORPS(cv, cv, cv)
		s.chanLoop(a, 0, func(cp chanPtrs) {
			p := s.load(Mem{Base: cp.bp})
			g := s.load(Mem{Base: cp.yc})
			VSUBPS(dot, g, g)
			VMULPS(p, g, g)
			if ce {
				isY := s.icmpEQ(lv, cv)
				t := s.sub(p, s.masked(isY, kf(1)))
				VFMADD231PS(t, wy, g)
				VPADDD(ku(1), cv, cv)
			}
			VMOVUPS(s.masked(valid, g), Mem{Base: cp.yc})
		})
	}, func() {
		chk.chk.store(ckArg(0))
		s.storeBad(bad, ckArg(64))
	})
}

// genSoftmaxProbs: the probabilities into y; labels only checked.
func genSoftmaxProbs(s isa, lab bool) {
	name := variant("softmaxProbs", lab)
	a := s.smBegin(name, "writes the softmax probabilities (see softmaxProbsVec).")
	chk := check{chk: s.newState(kf(0))}
	bad := s.newBad()
	s.smLoop(name+s.suffix, a, func() {
		if lab {
			lv := s.load(Mem{Base: a.lab})
			s.labelMasks(lv, bad)
		}
		inv, _ := s.softmaxBlock(a, chk, false)
		s.chanLoop(a, 0, func(cp chanPtrs) {
			p := s.mul(inv, Mem{Base: cp.bp})
			VMOVUPS(p, Mem{Base: cp.yc})
		})
	}, func() {
		chk.chk.store(ckArg(0))
		s.storeBad(bad, ckArg(64))
	})
}

// genSoftmaxChain: y = f p (y - sum_c p_c y_c) in float64, x = p; f is
// the float64 at acc.
func genSoftmaxChain(s isa) {
	name := "softmaxChain"
	a := s.smBegin(name, "applies the softmax Jacobian to d loss / d p (see softmaxChainVec).")
	half := s.lanes / 2
	wide := func() VecVirtual { return s.vec() }
	narrow := func(m Mem, d VecVirtual) {
		if s.avx512 {
			VCVTPS2PD(m, d)
		} else {
			VCVTPS2PD(m, d)
		}
	}
	ff := wide()
	VBROADCASTSD(accArg(0), ff)
	lp := name + s.suffix
	TESTQ(a.n, a.n)
	JE(LabelRef(lp + "_end"))
	Label(lp + "_loop")
	dot := wide()
	VXORPD(dot, dot, dot)
	s.chanLoop(a, 0, func(cp chanPtrs) {
		pc, gc := wide(), wide()
		narrow(Mem{Base: cp.xc}, pc)
		narrow(Mem{Base: cp.yc}, gc)
		VFMADD231PD(pc, gc, dot)
	})
	s.chanLoop(a, 0, func(cp chanPtrs) {
		pc, gc := wide(), wide()
		narrow(Mem{Base: cp.xc}, pc)
		narrow(Mem{Base: cp.yc}, gc)
		VSUBPD(dot, gc, gc)
		VMULPD(gc, pc, pc)
		VMULPD(ff, pc, pc)
		if s.avx512 {
			r := YMM()
			VCVTPD2PS(pc, r)
			VMOVUPS(r, Mem{Base: cp.yc})
		} else {
			r := XMM()
			VCVTPD2PSY(pc, r)
			VMOVUPS(r, Mem{Base: cp.yc})
		}
	})
	ADDQ(U32(4*half), a.x)
	ADDQ(U32(4*half), a.y)
	SUBQ(U32(half), a.n)
	JNE(LabelRef(lp + "_loop"))
	Label(lp + "_end")
	VZEROUPPER()
	RET()
}

// pand, por: d = a & b, a | b (a may be memory).
func (s isa) pand(a Op, b, d VecVirtual) {
	if s.avx512 {
		VPANDD(a, b, d)
	} else {
		VPAND(a, b, d)
	}
}

func (s isa) por(a Op, b, d VecVirtual) {
	if s.avx512 {
		VPORD(a, b, d)
	} else {
		VPOR(a, b, d)
	}
}

// pxor, pandn: d = a ^ b, ^b & a (a may be memory).
func (s isa) pxor(a Op, b, d VecVirtual) {
	if s.avx512 {
		VPXORD(a, b, d)
	} else {
		VPXOR(a, b, d)
	}
}

func (s isa) pandn(a Op, b, d VecVirtual) {
	if s.avx512 {
		VPANDND(a, b, d)
	} else {
		VPANDN(a, b, d)
	}
}

// bpArg returns the float32 p[i] broadcast into a register.
func (s isa) bpArg(i int) VecVirtual {
	r := s.vec()
	VBROADCASTSS(s.pArg(i), r)
	return r
}
