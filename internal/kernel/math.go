// Package kernel holds the numeric building blocks of the segloss hot
// loops: fast exp/log/sigmoid/softplus approximations with documented error
// bounds, a fixed-chunk parallel loop with deterministic reductions, an
// O(n) radix sort of float keys, a float32 GEMM, and fused per-chunk loss
// kernels with a plain-Go implementation and, on amd64, AVX2+FMA and
// AVX-512 ones in Go assembly generated with avo (asmgen), chosen at run
// time from the CPU features (see Set).
//
// Every approximation is accurate to a few units in the last place of its
// type over the ranges the losses use; the bounds are stated on each
// function and checked against the math package by the tests.
package kernel

import "math"

// Constants of the range reductions.
const (
	log2e = 1.4426950408889634
	// ln2Hi + ln2Lo = ln 2; ln2Hi32 has its low 11 mantissa bits zero
	// so that n*ln2Hi32 is exact for |n| < 2^11 in float32.
	ln2Hi32 = 0.693145751953125
	ln2Lo32 = 1.428606765330187045e-06
	ln2Hi64 = 6.93147180369123816490e-01
	ln2Lo64 = 1.90821492927058770002e-10
	sqrt2   = 1.4142135623730951
)

// Exp32 returns e^x in float32. Relative error < 2^-23 (1.2e-7, 2 ulp;
// the worst over every float32 argument is 1.9 × 2^-24, at 77.0; see
// TestExp32Exhaustive) for x in [-87.3, 88]; it returns 0 below -87.3 (the
// true value is below the smallest normal float32, 1.2e-38) and saturates
// at e^88 (1.65e38) above 88, so no input overflows. NaN gives NaN. It has
// no branches (the block loops, expNegAbs32, inline the same steps).
//
// The method: x = (32 n + j) ln2/32 + r with |r| <= ln2/64, so e^x =
// 2^n · 2^(j/32) · e^r, the 2^(j/32) from a table of 32 float32 values
// and e^r - 1 from its Taylor polynomial of degree 3 (error below
// 2^-30): about half the operations of a polynomial of degree 7 on
// |r| <= ln2/2. The explicit float32 conversions round every product, so
// that no platform fuses a multiply-add: the same bits everywhere.
func Exp32(x float32) float32 {
	k, j, r := expArg32(x)
	return expTab32(j, r) * math.Float32frombits(uint32(k)<<23)
}

// expLo32 is the smallest argument of Exp32 with a nonzero result;
// expLoBits is the bit pattern of -expLo32.
const (
	expLo32   = -87.33654
	expLoBits = 0x42aeac4f
)

// Constants of Exp32's reduction: exp32K = 32/ln2; exp32L1 + exp32L2 =
// ln2/32, exp32L1 with 12 significant bits, so that n·exp32L1 is exact for
// |n| < 2^12 (|n| <= 4063 on [expLo32, 88]); adding exp32Magic (1.5·2^23)
// to a float32 of magnitude below 2^22 rounds it to an integer, which is
// then the low bits of the sum (exp32MagicBits are the sum's bits for 0).
const (
	exp32K         = 46.16624130844683
	exp32L1        = 2839.0 / 131072
	exp32L2        = 9.983182280848268e-07
	exp32Magic     = 12582912
	exp32MagicBits = 0x4b400000
)

// exp2Tab32[j] is 2^(j/32) rounded to the nearest float32.
var exp2Tab32 = [32]float32{
	1, 0x1.059b0ep+00, 0x1.0b5586p+00, 0x1.11301ep+00, 0x1.172b84p+00, 0x1.1d4874p+00, 0x1.2387a6p+00, 0x1.29e9ep+00,
	0x1.306fep+00, 0x1.371a74p+00, 0x1.3dea64p+00, 0x1.44e086p+00, 0x1.4bfdaep+00, 0x1.5342b6p+00, 0x1.5ab07ep+00, 0x1.6247ecp+00,
	0x1.6a09e6p+00, 0x1.71f75ep+00, 0x1.7a1148p+00, 0x1.82589ap+00, 0x1.8ace54p+00, 0x1.93737cp+00, 0x1.9c4918p+00, 0x1.a5503cp+00,
	0x1.ae89fap+00, 0x1.b7f77p+00, 0x1.c199bep+00, 0x1.cb720ep+00, 0x1.d5818ep+00, 0x1.dfc974p+00, 0x1.ea4afap+00, 0x1.f50766p+00,
}

// expArg32 is the range reduction of Exp32: x clamped to [expLo32, 88],
// x = (32 n + j) ln2/32 + r (expReduce32), and k = n + 127, the biased
// exponent of 2^n, or 0 (a zero result) below expLo32 and for NaN (whose
// r is NaN). The clamps are min/max, so there is no branch.
func expArg32(x float32) (k int32, j uint32, r float32) {
	m, r := expReduce32(min(max(x, expLo32), 88))
	k = m>>5 + 127
	if !(x >= expLo32) {
		k = 0
	}
	return k, uint32(m) & 31, r
}

// expReduce32 returns m = round(x·32/ln2) (to nearest, ties to even) and
// r = x - m ln2/32 for x in [expLo32, 88], without branches or
// conversions: the rounding is exp32Magic's. x - m·exp32L1 is exact.
func expReduce32(x float32) (m int32, r float32) {
	y := float32(x*exp32K) + exp32Magic
	m = int32(math.Float32bits(y)) - exp32MagicBits
	fm := y - exp32Magic
	return m, x - float32(fm*exp32L1) - float32(fm*exp32L2)
}

// expTab32 is 2^(j/32) e^r for the reduced argument (j, r) of expArg32:
// t + t·q with q = r + r²(1/2 + r/6) ≈ e^r - 1.
func expTab32(j uint32, r float32) float32 {
	t := exp2Tab32[j&31]
	q := r + float32(float32(r*r)*(0.5+float32(r*(1.0/6))))
	return t + float32(t*q)
}

// expNegAbs32 writes Exp32(-|x[i]|) into e[i] for the len(x) values of x:
// the exponential of the sigmoid and softplus of a block of the plain-Go
// kernels, without calls or branches. The argument is clamped on its
// magnitude bits (an integer min; x <= 0 needs no upper clamp), which
// gives Exp32's value for every x but NaN (0 here).
func expNegAbs32(e, x []float32) {
	e = e[:len(x)]
	var scale [expStage]uint32
	for i0 := 0; i0 < len(x); i0 += expStage {
		xs, es := x[i0:min(i0+expStage, len(x))], e[i0:min(i0+expStage, len(x))]
		sc := scale[:len(xs)]
		for i, v := range xs { // the reduction: r into e; 2^n's bits | j into sc
			a := math.Float32bits(v) &^ (1 << 31)
			m, r := expReduce32(math.Float32frombits(min(a, expLoBits) | 1<<31))
			k := m>>5 + 127
			if a > expLoBits {
				k = 0
			}
			es[i], sc[i] = r, uint32(k)<<23|uint32(m)&31
		}
		for i, r := range es { // the table and polynomial, scaled
			es[i] = expTab32(sc[i], r) * math.Float32frombits(sc[i]&^31)
		}
	}
}

// expStage is the length of expNegAbs32's stages: the reduction of every
// element, then the table and polynomial of every element. Two short
// dependency chains per element instead of one long one let the CPU
// overlap more elements, with the same operations as Exp32, so the same
// bits.
const expStage = 64

// abs32 returns |v| (the sign bit cleared).
func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// negAbs32 returns -|x| (the sign bit set).
func negAbs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) | 1<<31) }

// sel32 returns a if c and b otherwise, without a branch (a conditional
// move of the bits).
func sel32(c bool, a, b float32) float32 {
	ab, bb := math.Float32bits(a), math.Float32bits(b)
	if c {
		bb = ab
	}
	return math.Float32frombits(bb)
}

// b2i is 1 for true and 0 for false.
func b2i(c bool) int {
	if c {
		return 1
	}
	return 0
}

// sel64 is sel32 for float64.
func sel64(c bool, a, b float64) float64 {
	ab, bb := math.Float64bits(a), math.Float64bits(b)
	if c {
		bb = ab
	}
	return math.Float64frombits(bb)
}

// sigmoidExp32 returns p = sigmoid(x), q = sigmoid(-x) and the derivative
// dp = e^-|x|/(1+e^-|x|)^2 from e = Exp32(-|x|), without branches: with
// s = 1/(1+e), p = s and q = e s for x >= 0, swapped for x < 0 (by the
// sign bit: at x = -0 both are 1/2).
func sigmoidExp32(x, e float32) (p, q, dp float32) {
	s := 1 / (1 + e)
	es := e * s
	sb, eb := math.Float32bits(s), math.Float32bits(es)
	d := (sb ^ eb) & uint32(int32(math.Float32bits(x))>>31)
	return math.Float32frombits(sb ^ d), math.Float32frombits(eb ^ d), es * s
}

// Log1pSmall32 returns log(1+u) for u in [0, 1] in float32 with relative
// error ≤ 2^-22, also for tiny u (no cancellation): it evaluates
// 2 atanh(u/(2+u)) by its odd series.
func Log1pSmall32(u float32) float32 {
	s := u / (2 + u)
	z := s * s
	return 2 * s * (1 + z*(1.0/3+z*(1.0/5+z*(1.0/7+z*(1.0/9+z*(1.0/11+z*(1.0/13)))))))
}

// Log32 returns the natural logarithm of x > 0 in float32 with absolute
// error ≤ 2^-23·max(1, |log x|) (relative ≤ 3e-7 away from x = 1,
// absolute ≤ 1.2e-7 near it); Log32(0) = -Inf.
func Log32(x float32) float32 {
	if x <= 0 {
		return float32(math.Inf(-1))
	}
	bits := math.Float32bits(x)
	e := int32(bits>>23) - 127
	if bits>>23 == 0 { // subnormal: scale by 2^23
		bits = math.Float32bits(x * 0x1p25)
		e = int32(bits>>23) - 127 - 25
	}
	m := math.Float32frombits(bits&0x007fffff | 0x3f800000) // [1, 2)
	big := m > sqrt2                                        // halve m into [sqrt2/2, sqrt2), without a branch
	m = sel32(big, m*0.5, m)
	if big {
		e++
	}
	f := m - 1
	s := f / (2 + f)
	z := s * s
	lm := 2 * s * (1 + z*(1.0/3+z*(1.0/5+z*(1.0/7+z*(1.0/9)))))
	return float32(e)*ln2Hi32 + (float32(e)*ln2Lo32 + lm)
}

// Sigmoid32 returns 1/(1+e^-x) in float32, relative error ≤ 2^-21 for
// every finite x, without overflow.
func Sigmoid32(x float32) float32 {
	p, _, _ := sigmoidExp32(x, Exp32(negAbs32(x)))
	return p
}

// Softplus32 returns log(1+e^x) in float32 with relative error ≤ 2^-20
// for every finite x, without overflow; -Softplus32(-x) is log sigmoid(x).
func Softplus32(x float32) float32 {
	a := x
	if a > 0 {
		a = -a
	}
	l := Log1pSmall32(Exp32(a))
	if x > 0 {
		return x + l
	}
	return l
}

// Exp64 returns e^x with relative error ≤ 2^-50 (4 ulp) for x in
// [-708, 709]; it returns 0 below -745.2 and +Inf above 709.78, like math.Exp.
func Exp64(x float64) float64 {
	if x < -745.2 {
		return 0
	}
	if x > 709.78 {
		return math.Inf(1)
	}
	y := x*log2e + 0.5
	n := float64(int64(y)) // floor(y), as in Exp32
	if n > y {
		n--
	}
	r := x - n*ln2Hi64 - n*ln2Lo64
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+
		r*(1.0/40320+r*(1.0/362880+r*(1.0/3628800+r*(1.0/39916800+r*(1.0/479001600))))))))))))
	k := int(n)
	if k < -1021 { // subnormal result: scale in two steps
		return p * math.Float64frombits(uint64(k+1021+1023)<<52) * 0x1p-1021
	}
	if k > 1023 {
		return p * 2 * math.Float64frombits(uint64(k-1+1023)<<52)
	}
	return p * math.Float64frombits(uint64(k+1023)<<52)
}

// Log64 returns the natural logarithm of x > 0 with absolute error
// ≤ 2^-52·max(1, |log x|); Log64(0) = -Inf.
func Log64(x float64) float64 {
	if x <= 0 {
		return math.Inf(-1)
	}
	bits := math.Float64bits(x)
	e := int64(bits>>52) - 1023
	if bits>>52 == 0 {
		bits = math.Float64bits(x * 0x1p64)
		e = int64(bits>>52) - 1023 - 64
	}
	m := math.Float64frombits(bits&(1<<52-1) | 0x3ff0000000000000)
	if m > sqrt2 {
		m *= 0.5
		e++
	}
	f := m - 1
	s := f / (2 + f)
	z := s * s
	q := 1.0 / 23
	for _, c := range [...]float64{1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1} {
		q = c + z*q
	}
	lm := 2 * s * q
	fe := float64(e)
	return fe*ln2Hi64 + (fe*ln2Lo64 + lm)
}

// Log1p64 returns log(1+u) for u > -1 with relative error ≤ 2^-50,
// accurate for tiny u: log(1+u) is corrected by the rounding error of 1+u.
func Log1p64(u float64) float64 {
	w := 1 + u
	if w == 1 {
		return u
	}
	c := u - (w - 1) // rounding error of 1+u
	return Log64(w) + c/w
}

// Sigmoid64 returns 1/(1+e^-x), relative error ≤ 2^-49 for every finite x.
func Sigmoid64(x float64) float64 {
	e := Exp64(-math.Abs(x))
	s := 1 / (1 + e)
	if x < 0 {
		return e * s
	}
	return s
}

// Softplus64 returns log(1+e^x), relative error ≤ 2^-49 for every finite
// x, without overflow.
func Softplus64(x float64) float64 {
	l := Log1p64(Exp64(-math.Abs(x)))
	if x > 0 {
		return x + l
	}
	return l
}
