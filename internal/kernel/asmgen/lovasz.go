package main

import (
	"fmt"
	"math"
	"math/bits"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The Lovász kernels: the weigh pass of the packed sort (weighState in
// lovaszweigh.go) and the listing passes (lovaszlist.go). Each runs on n
// elements, a multiple of its block (8 entries for weigh, the lane count
// for the listings); the Go side (lovasz_amd64.go) finishes the tails.
// Every value is computed with the plain-Go kernels' IEEE operations, so
// weights, gradient values and listings are bit-identical to theirs.
func genLovasz() {
	for _, s := range isas {
		if s.avx512 {
			genWeigh512()
		} else {
			genWeigh2()
		}
		genHingeList(s)
		genSoftList(s)
	}
}

// kvec returns the named constant of the 32-bit values v.
func kvec(name string, v []uint32) Mem {
	if m, ok := consts[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for i, x := range v {
		DATA(4*i, U32(x))
	}
	consts[name] = m
	return m
}

// kq returns a constant vector of 8 equal 64-bit lanes.
func kq(b uint64) Mem {
	v := make([]uint32, 16)
	for i := 0; i < 8; i++ {
		v[2*i], v[2*i+1] = uint32(b), uint32(b>>32)
	}
	return kvec(fmt.Sprintf("q%016x", b), v)
}

// kd returns a constant vector of 8 equal float64 lanes.
func kd(f float64) Mem { return kq(math.Float64bits(f)) }

// kiota returns the float64 vector first, first+1, ... (8 lanes).
func kiota(first float64) Mem {
	v := make([]uint32, 16)
	for i := 0; i < 8; i++ {
		b := math.Float64bits(first + float64(i))
		v[2*i], v[2*i+1] = uint32(b), uint32(b>>32)
	}
	return kvec(fmt.Sprintf("iota%g", first), v)
}

// kiota32 returns the int32 vector 0, 1, ... 15.
func kiota32() Mem {
	v := make([]uint32, 16)
	for i := range v {
		v[i] = uint32(i)
	}
	return kvec("iota32", v)
}

// weighState field offsets (lovaszweigh.go).
const (
	wsNpos, wsF, wsOff, wsCumPos, wsRank, wsPrev, wsAcc = 0, 8, 16, 24, 32, 40, 48
)

// The weigh kernels return 1, at once, when an index is not below nout
// (no store lands outside the gradient), else 0.
const weighSig = "func(pk *uint64, n int, out *float32, nout int, st *float64) int"

// weighEnd emits the kernels' returns: 0 at _done, 1 at _bad.
func weighEnd(name string) {
	r := GP64()
	XORQ(r, r)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
	Label(name + "_bad")
	MOVQ(U32(1), r)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// genWeigh512 weighs 8 entries per step in float64 lanes: the foreground
// bits' prefix sum (three lane shifts) plus the carried count gives
// cumPos, rank+1 - cumPos cumNeg, one VDIVPD the J values; each weight is
// J minus the lane before (the last J carried), the loss lanes add
// (off + key) w, and the gradient values float32(w f), sign-flipped for
// foreground entries, go out by VSCATTERDPS.
func genWeigh512() {
	name := "lovaszWeighAVX512"
	TEXT(name, NOSPLIT, weighSig)
	Pragma("noescape")
	Doc(name + " weighs n entries of a sorted bucket (see weighVec).")
	pk, n := Load(Param("pk"), GP64()), Load(Param("n"), GP64())
	out, st := Load(Param("out"), GP64()), Load(Param("st"), GP64())
	lim := YMM()
	VPBROADCASTD(Load(Param("nout"), GP64()).(GPVirtual).As32(), lim)
	bc := func(off int) VecVirtual {
		r := ZMM()
		VBROADCASTSD(Mem{Base: st, Disp: off}, r)
		return r
	}
	npos, f, off := bc(wsNpos), bc(wsF), bc(wsOff)
	cp, rank, prevJ := bc(wsCumPos), bc(wsRank), bc(wsPrev)
	acc := ZMM()
	VMOVUPD(Mem{Base: st, Disp: wsAcc}, acc)
	zero, one, sevens := ZMM(), ZMM(), ZMM()
	VPXORQ(zero, zero, zero)
	VMOVUPD(kd(1), one)
	VMOVDQU64(kq(7), sevens)
	TESTQ(n, n)
	JE(LabelRef(name + "_end"))
	Label(name + "_loop")
	v := ZMM()
	VMOVDQU64(Mem{Base: pk}, v)
	// cumPos: carried count + inclusive prefix sum of the foreground bits
	p, t := ZMM(), ZMM()
	VPSRLQ(U8(31), v, p)
	VPANDQ(kq(1), p, p)
	for _, sh := range []int{7, 6, 4} { // shift up by 1, 2, 4 lanes
		VALIGNQ(U8(sh), zero, p, t)
		VPADDQ(t, p, p)
	}
	cpv := ZMM()
	VCVTQQ2PD(p, cpv)
	VADDPD(cp, cpv, cpv)
	// J = 1 - (npos - cumPos)/(npos + cumNeg), cumNeg = rank+1 - cumPos
	den, num, j := ZMM(), ZMM(), ZMM()
	VADDPD(kiota(1), rank, den)
	VSUBPD(cpv, den, den)
	VADDPD(npos, den, den)
	VSUBPD(cpv, npos, num)
	VDIVPD(den, num, num)
	VSUBPD(num, one, j)
	w := ZMM()
	VALIGNQ(U8(7), prevJ, j, w) // J of the entry before each
	VSUBPD(w, j, w)
	VMOVAPD(j, prevJ)
	VPERMQ(cpv, sevens, cp)
	VADDPD(kd(8), rank, rank)
	// loss lanes += (off + key) w, key = descInv32(entry >> 32)
	u, m := ZMM(), ZMM()
	VPSRLQ(U8(32), v, u)
	VPSRAD(U8(31), u, m)
	VPANDND(ku(0x7fffffff), m, m)
	VPXORQ(m, u, u)
	ky, k64 := YMM(), ZMM()
	VPMOVQD(u, ky)
	VCVTPS2PD(ky, k64)
	VADDPD(off, k64, k64)
	VMULPD(w, k64, k64)
	VADDPD(k64, acc, acc)
	// out[index] = float32(w f), sign-flipped for foreground entries
	TESTQ(out, out)
	JE(LabelRef(name + "_next"))
	g, gy, lw, sg := ZMM(), YMM(), YMM(), YMM()
	VMULPD(f, w, g)
	VCVTPD2PS(g, gy)
	VPMOVQD(v, lw)
	VPANDD(ku(0x80000000), lw, sg)
	VPXORD(sg, gy, gy)
	VPANDD(ku(0x7fffffff), lw, lw)
	k, km := K(), GP32()
	VPCMPUD(U8(1), lim, lw, k) // index < nout
	KMOVB(k, km)
	CMPL(km, U32(0xff))
	JNE(LabelRef(name + "_bad"))
	VSCATTERDPS(gy, k, Mem{Base: out, Index: lw, Scale: 4})
	prefetchOut(name+"_next", pk, n, out)
	Label(name + "_next")
	ADDQ(U32(64), pk)
	SUBQ(U32(8), n)
	JNE(LabelRef(name + "_loop"))
	Label(name + "_end")
	VMOVSD(cp.AsX(), Mem{Base: st, Disp: wsCumPos})
	VMOVSD(rank.AsX(), Mem{Base: st, Disp: wsRank})
	VPERMQ(prevJ, sevens, prevJ)
	VMOVSD(prevJ.AsX(), Mem{Base: st, Disp: wsPrev})
	VMOVUPD(acc, Mem{Base: st, Disp: wsAcc})
	weighEnd(name)
}

// weighAhead is the prefetch distance of the weigh kernels' gradient
// stores, in entries.
const weighAhead = 64

// prefetchOut prefetches the gradient slots of the 8 entries weighAhead
// after pk, when there are that many (else it jumps to skip): the stores
// land at random in the gradient, mostly outside the caches, and the
// prefetches let their misses overlap.
func prefetchOut(skip string, pk, n, out Register) {
	CMPQ(n, U32(weighAhead+8))
	JL(LabelRef(skip))
	for i := 0; i < 8; i++ {
		ix := GP64()
		MOVL(Mem{Base: pk, Disp: 8 * (weighAhead + i)}, ix.As32())
		ANDL(U32(0x7fffffff), ix.As32())
		PREFETCHT0(Mem{Base: out, Index: ix, Scale: 4})
	}
}

// prefix4 is the table of the inclusive prefix counts of 4-bit masks,
// as float64 vectors (32 bytes per mask).
func prefix4() Mem {
	v := make([]uint32, 0, 16*8)
	for mk := 0; mk < 16; mk++ {
		for i := 0; i < 4; i++ {
			b := math.Float64bits(float64(bits.OnesCount(uint(mk & (2<<i - 1)))))
			v = append(v, uint32(b), uint32(b>>32))
		}
	}
	return kvec("prefix4", v)
}

// genWeigh2 is genWeigh512 in two halves of 4 float64 lanes (the same 8
// loss lanes), with the prefix counts from a table and scalar stores of
// the gradient values.
func genWeigh2() {
	name := "lovaszWeighAVX2"
	TEXT(name, NOSPLIT, weighSig)
	Pragma("noescape")
	Doc(name + " weighs n entries of a sorted bucket (see weighVec).")
	pk, n := Load(Param("pk"), GP64()), Load(Param("n"), GP64())
	out, st := Load(Param("out"), GP64()), Load(Param("st"), GP64())
	nout := Load(Param("nout"), GP64())
	local := func(off int) Mem { // a broadcast field on the stack
		r := YMM()
		VBROADCASTSD(Mem{Base: st, Disp: off}, r)
		l := AllocLocal(32)
		VMOVUPD(r, l)
		return l
	}
	npos, f, off := local(wsNpos), local(wsF), local(wsOff)
	bc := func(off int) VecVirtual {
		r := YMM()
		VBROADCASTSD(Mem{Base: st, Disp: off}, r)
		return r
	}
	cp, rank, prevJ := bc(wsCumPos), bc(wsRank), bc(wsPrev)
	acc := [2]VecVirtual{YMM(), YMM()}
	VMOVUPD(Mem{Base: st, Disp: wsAcc}, acc[0])
	VMOVUPD(Mem{Base: st, Disp: wsAcc + 32}, acc[1])
	tbl := GP64()
	LEAQ(prefix4(), tbl)
	TESTQ(n, n)
	JE(LabelRef(name + "_end"))
	Label(name + "_loop")
	for h := 0; h < 2; h++ {
		v, t := YMM(), YMM()
		VMOVDQU(Mem{Base: pk, Disp: 32 * h}, v)
		VPSLLQ(U8(32), v, t) // the foreground bit in each sign bit
		mk := GP64()
		VMOVMSKPD(t, mk.As32())
		SHLQ(U8(5), mk)
		cpv := YMM()
		VADDPD(Mem{Base: tbl, Index: mk, Scale: 1}, cp, cpv)
		den, num, j := YMM(), YMM(), YMM()
		VADDPD(kiota(1), rank, den)
		VSUBPD(cpv, den, den)
		VADDPD(npos, den, den)
		VMOVUPD(npos, num)
		VSUBPD(cpv, num, num)
		VDIVPD(den, num, num)
		VMOVUPD(kd(1), j)
		VSUBPD(num, j, j)
		w := YMM()
		VPERMPD(U8(0x93), j, w) // J3 J0 J1 J2
		VBLENDPD(U8(1), prevJ, w, w)
		VSUBPD(w, j, w)
		VPERMPD(U8(0xff), j, prevJ)
		VPERMPD(U8(0xff), cpv, cp)
		VADDPD(kd(4), rank, rank)
		// keys: the high dwords, descInv32
		m, ky := YMM(), XMM()
		VPSRAD(U8(31), v, m)
		VPANDN(ku(0x7fffffff), m, m)
		VPXOR(v, m, m)
		hi := XMM()
		VEXTRACTI128(U8(1), m, hi)
		VSHUFPS(U8(0xdd), hi, m.AsX(), ky)
		k64 := YMM()
		VCVTPS2PD(ky, k64)
		VADDPD(off, k64, k64)
		VMULPD(w, k64, k64)
		VADDPD(k64, acc[h], acc[h])
		TESTQ(out, out)
		JE(LabelRef(fmt.Sprintf("%s_next%d", name, h)))
		// the sign flip on the float64 product: rounding to nearest is
		// symmetric, so it is the float32 one
		g, gx := YMM(), XMM()
		VMULPD(f, w, g)
		VANDPD(kq(1<<63), t, t)
		VXORPD(t, g, g)
		VCVTPD2PSY(g, gx)
		for i := 0; i < 4; i++ {
			ix := GP64()
			MOVL(Mem{Base: pk, Disp: 32*h + 8*i}, ix.As32())
			ANDL(U32(0x7fffffff), ix.As32())
			CMPQ(ix, nout)
			JAE(LabelRef(name + "_bad"))
			VEXTRACTPS(U8(i), gx, Mem{Base: out, Index: ix, Scale: 4})
		}
		Label(fmt.Sprintf("%s_next%d", name, h))
	}
	TESTQ(out, out)
	JE(LabelRef(name + "_next"))
	prefetchOut(name+"_next", pk, n, out)
	Label(name + "_next")
	ADDQ(U32(64), pk)
	SUBQ(U32(8), n)
	JNE(LabelRef(name + "_loop"))
	Label(name + "_end")
	VMOVSD(cp.AsX(), Mem{Base: st, Disp: wsCumPos})
	VMOVSD(rank.AsX(), Mem{Base: st, Disp: wsRank})
	VMOVSD(prevJ.AsX(), Mem{Base: st, Disp: wsPrev})
	VMOVUPD(acc[0], Mem{Base: st, Disp: wsAcc})
	VMOVUPD(acc[1], Mem{Base: st, Disp: wsAcc + 32})
	weighEnd(name)
}

// listOut field offsets (lovasz_amd64.go).
const (
	loM, loNpos, loIgnored, loCk = 0, 8, 16, 24
)

// lister holds the state of a listing loop: the index vector, the count
// registers and the compression constants.
type lister struct {
	s         isa
	buf       Register
	m, npos   GPVirtual
	zero, idx VecVirtual
	perm      [2]VecVirtual // AVX-512: the entry interleaves
	tbl       GPVirtual     // AVX2: the compress table
}

// compress4 is the AVX2 table of VPERMD indices that move the qwords of a
// 4-bit mask to the front, in order (32 bytes per mask).
func compress4() Mem {
	v := make([]uint32, 0, 16*8)
	for mk := 0; mk < 16; mk++ {
		var q []uint32
		for i := 0; i < 4; i++ {
			if mk>>i&1 != 0 {
				q = append(q, uint32(2*i), uint32(2*i+1))
			}
		}
		for len(q) < 8 {
			q = append(q, 0)
		}
		v = append(v, q...)
	}
	return kvec("compress4", v)
}

// newLister sets up the index vector (base + lane) and the constants.
func (s isa) newLister(base, buf Register) *lister {
	l := &lister{s: s, buf: buf, m: GP64(), npos: GP64(), zero: s.vec(), idx: s.vec()}
	XORQ(l.m, l.m)
	XORQ(l.npos, l.npos)
	VPXOR(l.zero.AsY(), l.zero.AsY(), l.zero.AsY())
	if s.avx512 {
		VPBROADCASTD(base.(GPVirtual).As32(), l.idx)
		VPADDD(kiota32(), l.idx, l.idx)
		for h := 0; h < 2; h++ {
			v := make([]uint32, 16)
			for i := 0; i < 8; i++ {
				v[2*i], v[2*i+1] = uint32(8*h+i), uint32(16+8*h+i)
			}
			l.perm[h] = ZMM()
			VMOVDQU32(kvec(fmt.Sprintf("interleave%d", h), v), l.perm[h])
		}
	} else {
		t := XMM()
		MOVQ(base, t)
		VPBROADCASTD(t, l.idx)
		VPADDD(kiota32(), l.idx, l.idx)
		l.tbl = GP64()
		LEAQ(compress4(), l.tbl)
	}
	return l
}

// countMask adds the set bits of the lane mask (a k register or a vector
// of all-ones lanes) to r.
func (s isa) countMask(mk Op, r GPVirtual) {
	t := GP64()
	if s.avx512 {
		KMOVW(mk, t.As32())
	} else {
		VMOVMSKPS(mk, t.As32())
	}
	POPCNTL(t.As32(), t.As32())
	ADDQ(t, r)
}

// emit writes the entries desc32(key)<<32 | (index | sg) of the lanes of
// listed (a mask) at buf[m:], compressed, and advances m and the index.
func (l *lister) emit(key, sg VecVirtual, listed Op) {
	s := l.s
	// desc32: b = bits(key + 0); ^(b ^ (b>>31 | 0x80000000)) = b ^ (^(b>>31) & 0x7fffffff)
	b, mm := s.vec(), s.vec()
	VADDPS(l.zero, key, b)
	VPSRAD(U8(31), b, mm)
	s.pandn(ku(0x7fffffff), mm, mm)
	s.pxor(mm, b, b)
	id := s.vec()
	s.por(sg, l.idx, id)
	if s.avx512 {
		mk := GP64()
		KMOVW(listed, mk.As32())
		for h := 0; h < 2; h++ {
			e := ZMM()
			VMOVDQU32(l.perm[h], e)
			VPERMI2D(b, id, e)
			kh := K()
			c := GP64()
			MOVL(mk.As32(), c.As32())
			if h == 0 {
				ANDL(U32(0xff), c.As32())
			} else {
				SHRL(U8(8), c.As32())
			}
			KMOVW(c.As32(), kh)
			VPCOMPRESSQ(e, kh, e)
			VMOVDQU64(e, Mem{Base: l.buf, Index: l.m, Scale: 8})
			POPCNTL(c.As32(), c.As32())
			ADDQ(c, l.m)
		}
		VPADDD(ku(16), l.idx, l.idx)
		return
	}
	mk := GP64()
	VMOVMSKPS(listed, mk.As32())
	lo, hi := YMM(), YMM()
	VPUNPCKLDQ(b, id, lo) // entries 0 1 | 4 5
	VPUNPCKHDQ(b, id, hi) // entries 2 3 | 6 7
	q := [2]VecVirtual{YMM(), YMM()}
	VPERM2I128(U8(0x20), hi, lo, q[0])
	VPERM2I128(U8(0x31), hi, lo, q[1])
	for h := 0; h < 2; h++ {
		c := GP64()
		MOVL(mk.As32(), c.As32())
		if h == 0 {
			ANDL(U32(0xf), c.As32())
		} else {
			SHRL(U8(4), c.As32())
		}
		ix := YMM()
		t := GP64()
		MOVL(c.As32(), t.As32())
		SHLL(U8(5), t.As32())
		VMOVDQU(Mem{Base: l.tbl, Index: t, Scale: 1}, ix)
		VPERMD(q[h], ix, q[h])
		VMOVDQU(q[h], Mem{Base: l.buf, Index: l.m, Scale: 8})
		POPCNTL(c.As32(), c.As32())
		ADDQ(c, l.m)
	}
	VPADDD(ku(8), l.idx, l.idx)
}

// gtZero returns the lanes of v greater than zero as signed integers: a
// mask.
func (l *lister) gtZero(v VecVirtual) Op {
	if l.s.avx512 {
		k := K()
		VPCMPGTD(l.zero, v, k)
		return k
	}
	d := YMM()
	VPCMPGTD(l.zero, v, d)
	return d
}

// end stores m and npos at r.
func (l *lister) end(r Register) {
	MOVQ(l.m, Mem{Base: r, Disp: loM})
	MOVQ(l.npos, Mem{Base: r, Disp: loNpos})
}

const hingeListSig = "func(x, t *float32, n int, base int, buf *uint64, r *int)"

// genHingeList lists the hinge errors (hingeListGo) of n elements; the
// checks go to r's ck lanes: non-zero for a non-finite x (x - x) or a
// bad target.
func genHingeList(s isa) {
	name := "hingeList" + s.suffix
	TEXT(name, NOSPLIT, hingeListSig)
	Pragma("noescape")
	Doc(name + " lists the positive Lovász hinge errors of n elements (see hingeListVec).")
	x, t, n := Load(Param("x"), GP64()), Load(Param("t"), GP64()), Load(Param("n"), GP64())
	base, buf, r := Load(Param("base"), GP64()), Load(Param("buf"), GP64()), Load(Param("r"), GP64())
	l := s.newLister(base, buf)
	chk := s.vec()
	VPXOR(chk.AsY(), chk.AsY(), chk.AsY())
	s.nnLoop(name, n, []Register{x, t}, func() { s.hingeBlock(l, x, t, chk) }, func() {
		l.end(r)
		VMOVDQU(chk.AsY(), Mem{Base: r, Disp: loCk})
		if s.avx512 {
			VEXTRACTI64X4(U8(1), chk, Mem{Base: r, Disp: loCk + 32})
		}
	})
}

// hingeBlock lists one block of lane-count elements at x, t.
func (s isa) hingeBlock(l *lister, x, t Register, chk VecVirtual) {
	xv := s.load(Mem{Base: x})
	d := s.sub(xv, xv) // +0, or NaN for a non-finite x
	s.por(d, chk, chk)
	tv := s.vec()
	VADDPS(Mem{Base: t}, l.zero, tv) // -0 -> +0
	fg, nf := s.vec(), s.vec()
	VPSRLD(U8(23), tv, fg)
	s.pand(ku(1), fg, fg) // 1 for t = 1, 0 for t = 0
	VPSUBD(fg, l.zero, nf)
	s.pand(ku(0x3f800000), nf, nf)
	s.pxor(tv, nf, nf) // 0 only for the bits of 0 and 1
	s.por(nf, chk, chk)
	sg := s.vec()
	VPSLLD(U8(31), fg, sg)
	if s.avx512 {
		k := K()
		VPTESTMD(sg, sg, k)
		s.countMask(k, l.npos)
	} else {
		s.countMask(sg, l.npos)
	}
	key, k1 := s.vec(), s.vec()
	s.pxor(sg, xv, key) // -x(2t-1)
	VADDPS(kf(1), key, k1)
	l.emit(key, sg, l.gtZero(k1)) // listed when key + 1 > 0
}

const softListSig = "func(p *float32, lab *int32, n int, base int, buf *uint64, prm *int32, r *int)"

// genSoftList lists the errors of one class row (softListGo) of n pixels;
// prm holds the class, the ignore label and the ignore flag (0 or -1).
func genSoftList(s isa) {
	name := "softList" + s.suffix
	TEXT(name, NOSPLIT, softListSig)
	Pragma("noescape")
	Doc(name + " lists the positive Lovász softmax errors of n pixels (see softListVec).")
	p, lab, n := Load(Param("p"), GP64()), Load(Param("lab"), GP64()), Load(Param("n"), GP64())
	base, buf := Load(Param("base"), GP64()), Load(Param("buf"), GP64())
	prm, r := Load(Param("prm"), GP64()), Load(Param("r"), GP64())
	l := s.newLister(base, buf)
	ignored := GP64()
	XORQ(ignored, ignored)
	cv, ignv := s.vec(), s.vec()
	VPBROADCASTD(Mem{Base: prm}, cv)
	VPBROADCASTD(Mem{Base: prm, Disp: 4}, ignv)
	var use Op
	if s.avx512 {
		k, t := K(), GP32()
		MOVL(Mem{Base: prm, Disp: 8}, t)
		KMOVW(t, k)
		use = k
	} else {
		u := YMM()
		VPBROADCASTD(Mem{Base: prm, Disp: 8}, u)
		use = u
	}
	s.nnLoop(name, n, []Register{p, lab}, func() { s.softBlock(l, p, lab, cv, ignv, use, ignored) }, func() {
		l.end(r)
		MOVQ(ignored, Mem{Base: r, Disp: loIgnored})
	})
}

// softBlock lists one block of lane-count pixels at p, lab.
func (s isa) softBlock(l *lister, p, lab Register, cv, ignv VecVirtual, use Op, ignored GPVirtual) {
	pv := s.load(Mem{Base: p})
	fgf, sg, e := s.vec(), s.vec(), s.vec()
	var fgm, igm, listed Op
	if s.avx512 {
		kf1, ki := K(), K()
		VPCMPEQD(Mem{Base: lab}, cv, kf1)
		VPCMPEQD(Mem{Base: lab}, ignv, ki)
		KANDW(use, ki, ki)
		KANDNW(kf1, ki, kf1) // foreground and not ignored
		VMOVUPS_Z(kf(1), kf1, fgf)
		VMOVDQU32_Z(ku(0x80000000), kf1, sg)
		fgm, igm = kf1, ki
	} else {
		yv, fm, im := s.load(Mem{Base: lab}), YMM(), YMM()
		VPCMPEQD(cv, yv, fm)
		VPCMPEQD(ignv, yv, im)
		VPAND(use, im, im)
		VPANDN(fm, im, fm)
		VPAND(kf(1), fm, fgf)
		VPAND(ku(0x80000000), fm, sg)
		fgm, igm = fm, im
	}
	// error: p, or 1 - p (sign flip, then + 1)
	s.pxor(sg, pv, e)
	VADDPS(fgf, e, e)
	s.countMask(fgm, l.npos)
	s.countMask(igm, ignored)
	gt := l.gtZero(e)
	if s.avx512 {
		k := K()
		KANDNW(gt, igm, k)
		listed = k
	} else {
		m := YMM()
		VPANDN(gt, igm, m)
		listed = m
	}
	l.emit(e, sg, listed)
}
