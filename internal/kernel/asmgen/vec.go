package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// alignLoop pads with no-ops up to a 64-byte boundary (the assembler's
// PCALIGN; avo has no builder for it), for the head of a loop, so that
// where a loop starts within its fetch lines does not depend on where the
// linker puts the function. (A precaution: the 1.46× gap between two
// test binaries that differed only in unrelated code came from the
// constants' alignment, bcst.go, not from the loops'.)
func alignLoop() {
	Instruction(&ir.Instruction{Opcode: "PCALIGN", Operands: []Op{U8(64)}})
}

// isa is one vector instruction set: AVX2+FMA (8 float32 lanes, 16
// registers: loop-carried state lives on the stack unless the kernel asks
// for registers) or AVX-512 (16 lanes, 32 registers and mask registers:
// state in registers).
type isa struct {
	suffix    string
	lanes     int
	avx512    bool
	regs      bool      // AVX2: loop-carried state in registers (the kernel's body leaves enough)
	hornerExp bool      // AVX2: exp's polynomial by Horner's scheme (see expPoly)
	blk       *blocking // the loop goes in blocks of blockK vectors (see blocked)
}

// blockK is the vectors per block of a blocked loop.
const blockK = 4

// blocking is the state of a blocked loop (isa.blocked): acc64 adds into a
// float32 partial per accumulator over the blockK vectors of a block,
// and the loop widens the partials into the float64 accumulators once
// per block. Widening costs two conversions and a lane extraction per
// vector, which bound the kernels (on an AMD EPYC, a binary Dice
// statistics kernel ran 1.7x faster without them).
type blocking struct {
	active bool     // emitting the body of a block
	first  bool     // emitting the block's first vector
	order  []*state // the accumulators, in the order of their first add
	parts  map[*state]VecVirtual
}

// blocked returns s with blocked accumulation: each lane sums blockK
// float32 values in float32, in order, before the sum is widened into its
// float64 accumulator; the vectors after the last full block are added
// one at a time.
func (s isa) blocked() isa {
	s.blk = &blocking{}
	return s
}

// withRegs returns s with its loop-carried state in registers: on AVX2,
// for the kernels whose state and body fit in the 16 registers. A state on
// the stack costs a store and a reload on every iteration, in the chain
// that carries it from one iteration to the next (store forwarding: about
// 6 cycles).
func (s isa) withRegs() isa {
	s.regs = true
	return s
}

// withHorner returns s with exp's polynomial evaluated by Horner's scheme
// on AVX2 (see expPoly): for the softmax kernels, whose channel loop has
// no long chain to hide.
func (s isa) withHorner() isa {
	s.hornerExp = true
	return s
}

var (
	avx2   = isa{suffix: "AVX2", lanes: 8}
	avx512 = isa{suffix: "AVX512", lanes: 16, avx512: true}
	isas   = []isa{avx2, avx512}
)

// vec returns a new vector register of the set's width.
func (s isa) vec() VecVirtual {
	if s.avx512 {
		return ZMM()
	}
	return YMM()
}

// consts are the 64-byte constant vectors (16 equal 32-bit lanes) of one
// generated file, by name.
var consts = map[string]Mem{}

// kf returns a constant vector of float32 v; ki one of int32 bits.
func kf(v float32) Mem { return ku(math.Float32bits(v)) }

func ku(bits uint32) Mem {
	name := fmt.Sprintf("k%08x", bits)
	if m, ok := consts[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(bits))
	}
	consts[name] = m
	return m
}

// load returns op in a new register.
func (s isa) load(op Op) VecVirtual {
	r := s.vec()
	VMOVUPS(op, r)
	return r
}

// state is a loop-carried vector: a register (AVX-512) or a stack slot
// (AVX2).
type state struct {
	s   isa
	reg VecVirtual
	mem Mem
}

// newState returns a state vector starting at the constant init.
func (s isa) newState(init Mem) *state {
	st := &state{s: s}
	if s.avx512 || s.regs {
		st.reg = s.load(init)
		return st
	}
	st.mem = AllocLocal(32)
	t := s.load(init)
	VMOVUPS(t, st.mem)
	return st
}

// get returns the value as an operand (register or memory).
func (st *state) get() Op {
	if st.reg != nil {
		return st.reg
	}
	return st.mem
}

// update applies f, which writes f(old) into dst, and stores the result.
func (st *state) update(f func(old Op, dst VecVirtual)) {
	if st.reg != nil {
		f(st.reg, st.reg)
		return
	}
	t := st.s.vec()
	f(st.mem, t)
	VMOVUPS(t, st.mem)
}

// store writes the value to m (in the output block).
func (st *state) store(m Mem) {
	if st.reg != nil {
		VMOVUPS(st.reg, m)
		return
	}
	t := st.s.load(st.mem)
	VMOVUPS(t, m)
}

// param broadcasts the float32 at m: a register (AVX-512) or a stack
// vector (AVX2).
func (s isa) param(m Mem) Op {
	r := s.vec()
	VBROADCASTSS(m, r)
	if s.avx512 {
		return r
	}
	l := AllocLocal(32)
	VMOVUPS(r, l)
	return l
}

// acc64 adds the lanes of v, widened to float64, into the accumulator:
// (acc + lo) + hi.
func (s isa) acc64(a *state, v VecVirtual) {
	if b := s.blk; b != nil && b.active {
		if b.first {
			part := s.vec()
			VMOVUPS(v, part)
			b.parts[a] = part
			b.order = append(b.order, a)
			return
		}
		part := b.parts[a]
		VADDPS(v, part, part)
		return
	}
	s.widen64(a, v)
}

// widen64 adds the lanes of v, widened, into a: (acc + lo) + hi.
func (s isa) widen64(a *state, v VecVirtual) {
	lo, hi := s.widen(v)
	a.update(func(old Op, dst VecVirtual) {
		VADDPD(old, lo, dst)
		VADDPD(hi, dst, dst)
	})
}

// widen returns the low and the high half of the float32 lanes of v as
// float64 vectors.
func (s isa) widen(v VecVirtual) (lo, hi VecVirtual) {
	lo, hi = s.vec(), s.vec()
	if s.avx512 {
		VCVTPS2PD(v.AsY(), lo)
		h := YMM()
		VEXTRACTF32X8(U8(1), v, h)
		VCVTPS2PD(h, hi)
	} else {
		VCVTPS2PD(v.AsX(), lo)
		h := XMM()
		VEXTRACTF128(U8(1), v, h)
		VCVTPS2PD(h, hi)
	}
	return lo, hi
}

// mask is a lane mask: a mask register (AVX-512) or a vector of all-ones
// lanes (AVX2).
type mask struct{ op Op }

// Comparison predicates of VCMPPS.
const (
	cmpEQ = 0x00 // EQ_OQ
	cmpLT = 0x01 // LT_OS
	cmpGT = 0x0e // GT_OS
	cmpGE = 0x0d // GE_OS
)

// cmp returns the mask a pred b; b may be memory.
func (s isa) cmp(pred uint8, a VecVirtual, b Op) mask {
	if s.avx512 {
		k := K()
		VCMPPS(U8(pred), b, a, k)
		return mask{k}
	}
	m := s.vec()
	VCMPPS(U8(pred), b, a, m)
	return mask{m}
}

// blend returns m ? t : f; t may be memory.
func (s isa) blend(m mask, t Op, f VecVirtual) VecVirtual {
	d := s.vec()
	if s.avx512 {
		VBLENDMPS(t, f, m.op, d)
	} else {
		VBLENDVPS(m.op, t, f, d)
	}
	return d
}

// masked returns m ? v : 0.
func (s isa) masked(m mask, v Op) VecVirtual {
	d := s.vec()
	if s.avx512 {
		VXORPS(d, d, d)
		VBLENDMPS(v, d, m.op, d)
	} else {
		VANDPS(v, m.op, d)
	}
	return d
}

// Binary operations d = a op b (a a register, b a register or memory).
func (s isa) add(a VecVirtual, b Op) VecVirtual { d := s.vec(); VADDPS(b, a, d); return d }
func (s isa) sub(a VecVirtual, b Op) VecVirtual { d := s.vec(); VSUBPS(b, a, d); return d }
func (s isa) mul(a VecVirtual, b Op) VecVirtual { d := s.vec(); VMULPS(b, a, d); return d }
func (s isa) max(a VecVirtual, b Op) VecVirtual { d := s.vec(); VMAXPS(b, a, d); return d }

// fma returns a*b + c (c a register or memory).
func (s isa) fma(a, b VecVirtual, c Op) VecVirtual {
	d := s.vec()
	VMOVUPS(c, d)
	VFMADD231PS(a, b, d)
	return d
}

// fmaK returns a*k + c for a constant or parameter k.
func (s isa) fmaK(a VecVirtual, k Op, c Op) VecVirtual {
	d := s.vec()
	VMOVUPS(c, d)
	VFMADD231PS(k, a, d)
	return d
}

// horner returns ((c0 z + c1) z + c2) ... for the float32 coefficients.
func (s isa) horner(z VecVirtual, cs ...float32) VecVirtual {
	p := s.load(kf(cs[0]))
	for _, c := range cs[1:] {
		VFMADD213PS(kf(c), z, p)
	}
	return p
}

// expC2 ... expC6 are the coefficients of exp's polynomial 1 + r + expC2
// r^2 + ... + expC6 r^6, minimax for the relative error on |r| <= ln2/2
// (3.1e-9 in exact arithmetic; the float32 evaluation adds about 6e-8).
const (
	expC2 = 0x1.fffffcp-2
	expC3 = 0x1.555492p-3
	expC4 = 0x1.5558f2p-5
	expC5 = 0x1.1239d4p-7
	expC6 = 0x1.6a244cp-10
)

// expPoly returns exp's polynomial of r. By default it is evaluated by
// Estrin's scheme, 1 + ((r + r^2 (expC2 + expC3 r)) + r^4 ((expC4 +
// expC5 r) + expC6 r^2)): a dependency chain four operations deep instead
// of Horner's six, so that more elements are in flight at once in the
// kernels bound by that chain. An AVX2 kernel that asks for it
// (withHorner) uses Horner's scheme: the same polynomial, other roundings
// (TestExpVec checks both). The binary statistics kernels and
// binaryStatsDP must use the same scheme: a loss's value without its
// gradient and with it are the same.
func (s isa) expPoly(r VecVirtual) VecVirtual {
	if !s.avx512 && s.hornerExp {
		return s.horner(r, expC6, expC5, expC4, expC3, expC2, 1, 1)
	}
	pair := func(lo, hi float32) VecVirtual {
		d := s.load(kf(hi))
		VFMADD213PS(kf(lo), r, d)
		return d
	}
	r2 := s.mul(r, r)
	hi := pair(expC4, expC5)
	VFMADD231PS(kf(expC6), r2, hi) // (c4 + c5 r) + c6 r^2
	lo := pair(expC2, expC3)
	VFMADD213PS(r, r2, lo) // r + r^2 (c2 + c3 r)
	VMULPS(r2, r2, r2)     // r^4
	VFMADD213PS(lo, r2, hi)
	VADDPS(kf(1), hi, hi) // 1 added last: one rounding of the result's size
	return hi
}

// Exp32 constants (see math.go).
const (
	log2e   = 1.4426950408889634
	ln2Hi32 = 6.9314575195e-01
	ln2Lo32 = 1.4286067653e-06
)

// exp returns e^x for x <= 0 (below -104: 0): x = n ln2 + r with |r| <=
// ln2/2, a degree-6 polynomial of e^r (expPoly), scaled by 2^n.
func (s isa) exp(x VecVirtual) VecVirtual {
	x = s.max(x, kf(-104))
	n := s.mul(x, kf(log2e))
	if s.avx512 {
		VRNDSCALEPS(U8(0), n, n)
	} else {
		VROUNDPS(U8(0), n, n)
	}
	r := s.fmaK(n, kf(-ln2Hi32), x)
	VFMADD231PS(kf(-ln2Lo32), n, r)
	p := s.expPoly(r)
	if s.avx512 {
		VSCALEFPS(n, p, p)
		return p
	}
	// 2^n for n in [-150, 0] as two factors 2^(n>>1) 2^(n-(n>>1)), each a
	// normal float: the first product is exact, the second rounds once,
	// as VSCALEFPS does.
	ni := s.vec()
	VCVTPS2DQ(n, ni)
	n1 := s.vec()
	VPSRAD(U8(1), ni, n1)
	VPSUBD(n1, ni, ni)
	for _, e := range []VecVirtual{n1, ni} {
		VPADDD(ku(127), e, e)
		VPSLLD(U8(23), e, e)
		VMULPS(e, p, p)
	}
	return p
}

// negAbs returns -|x|.
func (s isa) negAbs(x VecVirtual) VecVirtual {
	d := s.vec()
	VORPS(ku(0x80000000), x, d)
	return d
}

// recip returns 1/d: AVX-512 refines the 14-bit VRCP14PS estimate r by
// one Newton step, r (2 - d r) with 2 - d r in one fused operation
// (relative error below 2^-26 before the last rounding); AVX2 divides
// (its 12-bit estimate would need two steps).
func (s isa) recip(d VecVirtual) VecVirtual {
	if !s.avx512 {
		r := s.load(kf(1))
		VDIVPS(d, r, r)
		return r
	}
	r := s.vec()
	VRCP14PS(d, r)
	t := s.load(r)
	VFNMADD213PS(kf(2), d, t) // 2 - d r, rounded once
	VMULPS(t, r, r)
	return r
}

// log1p returns log(1+u) for u in [0, 1] (Log1pSmall32): 2 atanh(u/(2+u)).
func (s isa) log1p(u VecVirtual) VecVirtual {
	sv := s.mul(u, s.recip(s.add(u, kf(2))))
	z := s.mul(sv, sv)
	p := s.horner(z, 1.0/13, 1.0/11, 1.0/9, 1.0/7, 1.0/5, 1.0/3, 1)
	d := s.add(sv, sv)
	VMULPS(p, d, d)
	return d
}

// sigParts returns the pieces of the sigmoid of x: e = e^-|x|, s =
// 1/(1+e), es = e s and the mask of x >= 0; sigmoid(x) is s where the mask
// is set and es elsewhere, sigmoid(-x) the other way round.
func (s isa) sigParts(x VecVirtual) (e, sv, es VecVirtual, pos mask) {
	e = s.exp(s.negAbs(x))
	sv = s.recip(s.add(e, kf(1)))
	es = s.mul(e, sv)
	return e, sv, es, s.cmp(cmpGE, x, kf(0))
}

// sigP returns sigmoid(x), e = e^-|x|, es = e s and s = 1/(1+e): sig
// without sigmoid(-x) (a blend fewer), for the kernels that need p, e or
// p(1-p) = es s only.
func (s isa) sigP(x VecVirtual) (p, e, es, sv VecVirtual) {
	e, sv, es, pos := s.sigParts(x)
	return s.blend(pos, sv, es), e, es, sv
}

// sig returns sigmoid(x), sigmoid(-x), e = e^-|x| and s = 1/(1+e).
func (s isa) sig(x VecVirtual) (p, q, e, sv VecVirtual) {
	e, sv, es, pos := s.sigParts(x)
	return s.blend(pos, sv, es), s.blend(pos, es, sv), e, sv
}

// check tracks validity as the archsimd kernels did: chk becomes NaN on a
// non-finite value; lo and hi are running minima and maxima of values
// that must lie in [0, 1] (nil for a check of finiteness only, which
// stores their initial values).
type check struct {
	s           isa
	chk, lo, hi *state
}

func (s isa) newCheck() check {
	return check{s, s.newState(kf(0)), s.newState(kf(0)), s.newState(kf(1))}
}

// newFiniteCheck returns a check that takes finite only (no state for
// lo and hi).
func (s isa) newFiniteCheck() check {
	return check{s: s, chk: s.newState(kf(0))}
}

func (s isa) finite(c check, v VecVirtual) {
	c.chk.update(func(old Op, dst VecVirtual) {
		if s.avx512 {
			VFMADD231PS(kf(0), v, dst)
			return
		}
		t := s.vec() // dst may be old itself (state in a register)
		VMULPS(kf(0), v, t)
		VADDPS(old, t, dst)
	})
}

// newRangeCheck returns a check of [0, 1] without the finiteness state:
// a NaN passes its minimum and maximum, so the kernel's caller must catch
// NaN otherwise (binaryStatsDP: in the sum of the values).
func (s isa) newRangeCheck() check {
	return check{s: s, lo: s.newState(kf(0)), hi: s.newState(kf(1))}
}

// inRange tracks the minimum and maximum of v (see newRangeCheck).
func (s isa) inRange(c check, v VecVirtual) {
	c.lo.update(func(old Op, dst VecVirtual) { VMINPS(old, v, dst) })
	c.hi.update(func(old Op, dst VecVirtual) { VMAXPS(old, v, dst) })
}

// unit tracks that v is finite and in [0, 1].
func (s isa) unit(c check, v VecVirtual) {
	s.finite(c, v)
	s.inRange(c, v)
}

// storeCheck writes chk, lo, hi at ck (64 bytes each; chk 0 for a range
// check).
func (c check) store(ck Mem) {
	if c.chk == nil {
		VMOVUPS(c.s.load(kf(0)), ck)
	} else {
		c.chk.store(ck)
	}
	if c.lo == nil {
		VMOVUPS(c.s.load(kf(0)), ck.Offset(64))
		VMOVUPS(c.s.load(kf(1)), ck.Offset(128))
		return
	}
	c.lo.store(ck.Offset(64))
	c.hi.store(ck.Offset(128))
}
