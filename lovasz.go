package segloss

func init() {
	register(
		&descriptor{name: LovaszHinge, kind: kindLovasz, binaryTarget: true,
			keys:     []string{"per_image", "ignore_index"},
			defaults: map[string]string{"from_logits": "true"},
			forced:   map[string]string{"from_logits": "true", "mode": "binary"},
			eval:     general{lovaszHinge[float32], lovaszHinge[float64]}, fused: fastHinge},
		&descriptor{name: LovaszSoftmax, kind: kindLovasz, labelsOnly: true,
			keys:     []string{"from_logits", "classes", "per_image", "ignore_index"},
			defaults: map[string]string{"from_logits": "true", "mode": "multiclass", "classes": "present"},
			eval:     general{lovaszSoftmax[float32], lovaszSoftmax[float64]}, fused: fastLovaszSoftmax},
	)
}

// lovaszSort orders idx (element indices, increasing) by decreasing key,
// ties by increasing index: the order of a stable descending sort, by an
// O(n) radix sort.
func lovaszSort(ws *workspace, idx []int32, keys []float64) {
	k := grow(&ws.sortKeys, len(idx))
	for p, i := range idx {
		k[p] = keys[i]
	}
	ws.sorter.SetSequential(false)
	ws.sorter.SortDesc64(k, idx)
}

// lovaszGrad turns the sorted labels fg (1 foreground, 0 background, read
// through idx) into the gradient of the Lovász extension of the Jaccard
// loss, written into dst: dst[k] = J(k) - J(k-1), J(k) = 1 - |G \ top_k| / |G ∪ top_k|.
func lovaszGrad(dst []float64, idx []int32, fg func(int32) bool) {
	var npos float64
	for _, i := range idx {
		if fg(i) {
			npos++
		}
	}
	var cumPos, cumNeg, prev float64
	for k, i := range idx {
		if fg(i) {
			cumPos++
		} else {
			cumNeg++
		}
		j := 1 - (npos-cumPos)/(npos+cumNeg)
		dst[k] = j - prev
		prev = j
	}
}

// lovaszHinge is the binary Lovász hinge of Berman et al. 2018 on logits,
// over all channels of each sample (per_image) or of the whole batch.
func lovaszHinge[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	o := &l.opts
	per := g.c * g.s
	total := len(b.Input)
	keys := grow(&ws.keys, total)
	gw := grow(&ws.prob, total)
	idx := grow(&ws.idx, total)
	ign := float64(o.IgnoreIndex)
	for i := range grad {
		grad[i] = 0
	}
	run := func(lo, hi int) float64 {
		id := idx[:0]
		for i := lo; i < hi; i++ {
			t := float64(b.Target[i])
			if o.Ignore && t == ign {
				continue
			}
			keys[i] = 1 - float64(b.Input[i])*(2*t-1)
			id = append(id, int32(i))
		}
		if len(id) == 0 {
			return 0
		}
		lovaszSort(ws, id, keys)
		w := gw[:len(id)]
		lovaszGrad(w, id, func(i int32) bool { return b.Target[i] == 1 })
		var loss float64
		for k, i := range id {
			if e := keys[i]; e > 0 {
				loss += e * w[k]
				if grad != nil {
					grad[i] = T(-w[k] * (2*float64(b.Target[i]) - 1))
				}
			}
		}
		return loss
	}
	if !o.PerImage {
		return run(0, total)
	}
	var sum float64
	for n := 0; n < g.n; n++ {
		sum += run(n*per, (n+1)*per)
	}
	scaleGrad(grad, 1/float64(g.n))
	return sum / float64(g.n)
}

// lovaszSoftmax is the multiclass Lovász-Softmax of Berman et al. 2018:
// per class, the Lovász extension of the Jaccard loss of the errors
// |1[y=c] - p_c|, averaged over the chosen classes.
func lovaszSoftmax[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	o := &l.opts
	C, S := g.c, g.s
	p := grow(&ws.prob, g.size())
	probabilities(p, o, g, b.Input, grow(&ws.small, 2*C))
	var dp []float64
	if grad != nil {
		dp = zeroed(&ws.dprob, g.size())
	}
	keys := grow(&ws.keys, g.n*S)
	idx := grow(&ws.idx, g.n*S)
	gw := grow(&ws.gw, g.n*S)
	classes := o.Classes
	var cb [16]int
	if classes == nil {
		classes = allClasses(cb[:], C)
	}
	// pixel index i in [0, N*S) -> element (n, c, s) at (i/S*C + c)*S + i%S
	elem := func(i int32, c int) int { n := int(i) / S; return (n*C+c)*S + int(i)%S }
	// run evaluates the pixels [lo, hi), a whole number of samples.
	run := func(lo, hi int, scale float64) float64 {
		var sum float64
		used := 0
		for _, c := range classes {
			id := idx[:0]
			present := false
			for i := lo; i < hi; i++ {
				y := int(b.Labels[i])
				if o.Ignore && y == o.IgnoreIndex {
					continue
				}
				fg := 0.0
				if y == c {
					fg, present = 1, true
				}
				e := fg - p[elem(int32(i), c)]
				if e < 0 {
					e = -e
				}
				keys[i] = e
				id = append(id, int32(i))
			}
			if len(id) == 0 || (o.PresentOnly && !present) {
				continue
			}
			used++
			lovaszSort(ws, id, keys)
			w := gw[:len(id)]
			lovaszGrad(w, id, func(i int32) bool { return int(b.Labels[i]) == c })
			for k, i := range id {
				sum += keys[i] * w[k]
			}
			if dp != nil {
				for k, i := range id {
					j := elem(i, c)
					fg := 0.0
					if int(b.Labels[i]) == c {
						fg = 1
					}
					if p[j] > fg {
						dp[j] += w[k]
					} else if p[j] < fg {
						dp[j] -= w[k]
					}
				}
			}
		}
		if used == 0 {
			return 0
		}
		if dp != nil {
			// A run covers whole samples lo/S to hi/S, contiguous in dp:
			// scale their gradient by 1/used (and 1/N per image).
			f := scale / float64(used)
			for j := range dp[lo*C : hi*C] {
				dp[lo*C+j] *= f
			}
		}
		return sum / float64(used)
	}
	var loss float64
	if o.PerImage {
		for n := 0; n < g.n; n++ {
			loss += run(n*S, (n+1)*S, 1/float64(g.n))
		}
		loss /= float64(g.n)
	} else {
		loss = run(0, g.n*S, 1)
	}
	if grad != nil {
		chainActivation(grad, dp, p, o, g)
	}
	return loss
}
