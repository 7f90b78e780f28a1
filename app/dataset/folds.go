package dataset

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Folds returns k cross-validation folds of the set's cases: every case of
// the set (training and validation) is held out in exactly one fold and
// trains in the others, as in nnU-Net's 5-fold cross-validation. The case
// names are sorted, shuffled by a generator seeded with seed (the one of
// SplitCases), and dealt round-robin to the folds, so the same cases and
// seed always give the same folds. Each fold is a Set sharing the
// examples' data with s; its Split records Fold (1..k) and Folds (k).
func (s *Set) Folds(k int, seed uint64) ([]*Set, error) {
	all := append(append([]Example(nil), s.Train...), s.Val...)
	seen := map[string]bool{}
	var names []string
	for _, ex := range all {
		if !seen[ex.Case] {
			seen[ex.Case] = true
			names = append(names, ex.Case)
		}
	}
	if k < 2 || k > len(names) {
		return nil, fmt.Errorf("dataset: %s: --folds %d: want 2 to %d (the number of cases)", s.Name, k, len(names))
	}
	sort.Strings(names)
	rng := rand.New(rand.NewPCG(seed, 0x5eed5011))
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	fold := map[string]int{}
	for i, n := range names {
		fold[n] = i % k
	}
	out := make([]*Set, k)
	for f := range out {
		fs := *s
		fs.Train, fs.Val = nil, nil
		fs.Split = Split{Seed: seed, ValFraction: 1 / float64(k), Fold: f + 1, Folds: k}
		for _, n := range names {
			if fold[n] == f {
				fs.Split.Val = append(fs.Split.Val, n)
			} else {
				fs.Split.Train = append(fs.Split.Train, n)
			}
		}
		sort.Strings(fs.Split.Val)
		sort.Strings(fs.Split.Train)
		for _, ex := range all {
			if fold[ex.Case] == f {
				fs.Val = append(fs.Val, ex)
			} else {
				fs.Train = append(fs.Train, ex)
			}
		}
		out[f] = &fs
	}
	return out, nil
}
