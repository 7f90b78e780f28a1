package gomlxloss

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/segloss/segloss"
)

// The Lovász losses sort the errors inside the graph. The Lovász extension
// is piecewise linear: within the region of one sort order its gradient is
// the vector of Jaccard differences w, which depends only on the labels in
// sorted order. So the graph computes w without a gradient path (sort,
// prefix sums, scatter back to the original positions) and the loss is
// sum(relu(errors) * w): the value is exact and the automatic gradient is
// the analytic one. The cost is the sort: O(P log P) per row of P elements,
// done by the backend's generic comparator sort.

// lovaszWeights returns, for rows of keys [R, P] (errors; ignored entries
// hold a key below every valid one) and foreground flags fg [R, P], the
// Lovász-Jaccard gradient weight of every element at its original position.
// Ties keep increasing index (a stable descending sort), as in the core.
func lovaszWeights(keys, fg *Node) *Node {
	g := keys.Graph()
	r, p := keys.Shape().Dimensions[0], keys.Shape().Dimensions[1]
	dt := keys.DType()
	keys, fg = StopGradient(keys), StopGradient(fg)
	idx := Iota(g, shapes.Make(dtypes.Int32, r, p), 1)
	cmp := NewClosure(g, func(g *Graph) []*Node {
		var params []*Node
		for i, s := range []shapes.Shape{shapes.Make(dt), shapes.Make(dtypes.Int32), shapes.Make(fg.DType())} {
			params = append(params, Parameter(g, "lhs"+string(rune('0'+i)), s), Parameter(g, "rhs"+string(rune('0'+i)), s))
		}
		return []*Node{GreaterThan(params[0], params[1])}
	})
	sorted := SortFunc(cmp, 1, true, keys, idx, fg)
	idxS, fgS := sorted[1], sorted[2]
	npos := ReduceAndKeep(fgS, ReduceSum, 1)
	cumPos := prefixSum(fgS)
	pos := AddScalar(ConvertDType(Iota(g, shapes.Make(dtypes.Int32, r, p), 1), dt), 1)
	cumNeg := Sub(pos, cumPos)
	j := OneMinus(Div(Sub(npos, cumPos), Add(npos, cumNeg)))
	w := Sub(j, shiftRight(j))
	rows := Iota(g, shapes.Make(dtypes.Int32, r, p), 0)
	at := Reshape(Stack([]*Node{rows, idxS}, -1), r*p, 2)
	return StopGradient(Scatter(at, Reshape(w, r*p), shapes.Make(dt, r, p), false, true))
}

// prefixSum is the inclusive cumulative sum along axis 1 of a [R, P]
// tensor, in log2(P) shifted additions (graph CumSum is O(P²) and has no
// usable gradient on the pure-Go backend; no gradient is needed here).
func prefixSum(x *Node) *Node {
	p := x.Shape().Dimensions[1]
	for k := 1; k < p; k *= 2 {
		x = Add(x, shiftBy(x, k))
	}
	return x
}

// shiftBy shifts a [R, P] tensor right by k along axis 1, filling zeros.
func shiftBy(x *Node, k int) *Node {
	r, p := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	zeros := Zeros(x.Graph(), shapes.Make(x.DType(), r, k))
	return Concatenate([]*Node{zeros, Slice(x, AxisRange(), AxisRange(0, p-k))}, 1)
}

// shiftRight shifts a [R, P] tensor right by one along axis 1.
func shiftRight(x *Node) *Node { return shiftBy(x, 1) }

// positive returns x where x > 0 and 0 elsewhere, with gradient 0 at 0
// (relu'(0) = 0, as the reference).
func positive(x *Node) *Node { return Where(GreaterThan(x, ZerosLike(x)), x, ZerosLike(x)) }

// lovaszHinge is the binary Lovász hinge on logits, over all channels of
// each sample (per_image) or of the whole batch.
func lovaszHinge(o *segloss.Options, b *batch) *Node {
	rows := 1
	if o.PerImage {
		rows = b.n
	}
	per := b.n * b.c * b.s / rows
	e := OneMinus(Mul(b.x, SubScalar(MulScalar(b.t, 2), 1)))
	e = Reshape(e, rows, per)
	fg := Reshape(ConvertDType(Equal(b.t, OnesLike(b.t)), e.DType()), rows, per)
	keys := e
	valid := OnesLike(e)
	if b.v != nil {
		valid = Reshape(b.v, rows, per)
		keys = Where(GreaterThan(valid, ZerosLike(valid)), e, AddScalar(ZerosLike(e), -1e30))
		fg = Mul(fg, valid)
	}
	w := lovaszWeights(keys, fg)
	return DivScalar(ReduceAllSum(Mul(Mul(positive(e), valid), w)), float64(rows))
}

// lovaszSoftmax is the multiclass Lovász-Softmax: per class, the Lovász
// extension of the Jaccard loss of the errors |1[y=c] - p_c|, averaged
// over the chosen classes (only those present with classes="present").
func lovaszSoftmax(o *segloss.Options, b *batch) *Node {
	p := probabilities(o, b)
	classes := o.Classes
	if classes == nil {
		classes = make([]int, b.c)
		for c := range classes {
			classes[c] = c
		}
	}
	groups := 1
	if o.PerImage {
		groups = b.n
	}
	per := b.n * b.s / groups
	pick := func(x *Node) *Node { // [N, C, S] -> [G, K, per]
		cols := make([]*Node, len(classes))
		for i, c := range classes {
			cols[i] = Slice(x, AxisRange(), AxisElem(c))
		}
		x = Concatenate(cols, 1)                  // [N, K, S]
		x = Transpose(x, 0, 1)                    // [K, N, S]
		x = Reshape(x, len(classes), groups, per) // [K, G, per]
		return Transpose(x, 0, 1)                 // [G, K, per]
	}
	fg := pick(b.t)
	pc := pick(p)
	e := absZero(Sub(fg, pc))
	valid := OnesLike(e)
	if b.v != nil {
		valid = pick(b.v)
	}
	k := len(classes)
	keys := Where(GreaterThan(valid, ZerosLike(valid)), e, AddScalar(ZerosLike(e), -1))
	w := Reshape(lovaszWeights(Reshape(keys, groups*k, per), Reshape(Mul(fg, valid), groups*k, per)), groups, k, per)
	lc := ReduceSum(Mul(Mul(e, valid), w), 2) // [G, K]
	used := GreaterThan(ReduceSum(valid, 2), ZerosLike(lc))
	if o.PresentOnly {
		used = And(used, GreaterThan(ReduceSum(Mul(fg, valid), 2), ZerosLike(lc)))
	}
	u := ConvertDType(used, lc.DType())
	nUsed := ReduceSum(u, 1)
	perGroup := Div(ReduceSum(Mul(lc, u), 1), safeDen(nUsed))
	return ReduceAllMean(perGroup)
}
