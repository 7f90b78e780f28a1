package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/maskio"
)

// keepSplitCases keeps the pairs whose case is a validation case of the
// split.json at path; of the unpaired files it keeps those of validation
// cases (a held-out case without its partner is worth a line).
func keepSplitCases(path string, pairs []evalPair, unpaired []string) ([]evalPair, []string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usageErr("eval: --cases-from: %v", err)
	}
	var set dataset.Set
	if err := json.Unmarshal(raw, &set); err != nil || len(set.Split.Val) == 0 {
		return nil, nil, usageErr("eval: --cases-from %s: not the split.json of a segloss train run (no split.val)", path)
	}
	val := map[string]bool{}
	for _, c := range set.Split.Val {
		val[c] = true
	}
	var kp []evalPair
	for _, p := range pairs {
		if val[p.Name] {
			kp = append(kp, p)
		}
	}
	var ku []string
	for _, u := range unpaired {
		if val[maskio.CaseName(u)] {
			ku = append(ku, u)
		}
	}
	return kp, ku, nil
}

// reportUnpaired tells about the files without a partner: one line each
// for the first few and a count for the rest, or one line in all when
// quiet (--only-paired, --cases-from).
func reportUnpaired(s *Streams, unpaired []string, quiet bool) {
	const show = 3
	if len(unpaired) == 0 {
		return
	}
	if quiet {
		fmt.Fprintf(s.Err, "segloss eval: %s without a partner of the same name left out\n", plural(len(unpaired), "file", "files"))
		return
	}
	for i, u := range unpaired {
		if i == show && len(unpaired) > show+1 {
			fmt.Fprintf(s.Err, "segloss eval: ... and %d more unpaired files (--only-paired, or --cases-from split.json, leaves them out quietly)\n", len(unpaired)-show)
			return
		}
		fmt.Fprintf(s.Err, "segloss eval: unpaired file (no partner of the same name): %s\n", u)
	}
}

// resolveMaskValues fixes an "auto" mask-value rule from the values stored
// in every truth file and every label (integer) prediction: one rule for
// both sides, so that 0/255 against 0/255 reads as 0/1 and 0/255 against
// 0/1 stays as it is (and checkLabelSets refuses it). The truth files are
// read first, and the reading stops as soon as the values rule a remapping
// out (two foreground values, a 1, or a declared class: multi-class and
// 0/1 data), so that it usually costs one file.
func resolveMaskValues(s *Streams, pairs []evalPair, cfg *evalConfig) error {
	if !cfg.rule.IsAuto() {
		return nil
	}
	var mu sync.Mutex
	seen := map[float64]bool{}
	var decided atomic.Bool // the values seen so far rule a remapping out
	ruledOut := func() bool {
		var fg []float64
		for v := range seen {
			if v != 0 {
				fg = append(fg, v)
			}
		}
		return len(fg) > 1 || len(fg) == 1 && (fg[0] <= 1 || fg[0] < float64(cfg.declared))
	}
	scan := func(paths []string) {
		jobs := make(chan string)
		var wg sync.WaitGroup
		for w := 0; w < min(cfg.workers, len(paths)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for path := range jobs {
					if decided.Load() {
						continue
					}
					im, err := cfg.read.Read(path)
					if err != nil || cfg.prob || !allIntegers(im.Data) {
						continue // reported by the evaluation of the pair; or a probability map, whose values are not labels
					}
					v := maskio.DistinctValues(nil, im.Data, 64)
					mu.Lock()
					for k := range v {
						seen[k] = true
					}
					if ruledOut() {
						decided.Store(true)
					}
					mu.Unlock()
				}
			}()
		}
		for _, p := range paths {
			if decided.Load() {
				break
			}
			jobs <- p
		}
		close(jobs)
		wg.Wait()
	}
	truth, pred := make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		truth[i], pred[i] = p.Truth, p.Pred
	}
	scan(truth)
	scan(pred)
	if decided.Load() {
		cfg.rule, _ = maskio.ParseMaskValues("raw")
		return nil
	}
	var note string
	cfg.rule, note = cfg.rule.Resolve(maskio.SortedValues(seen), cfg.declared)
	if note != "" {
		fmt.Fprintln(s.Err, "segloss eval: "+note)
	}
	return nil
}

func allIntegers(data []float64) bool {
	for _, v := range data {
		if v != float64(int64(v)) {
			return false
		}
	}
	return true
}

// checkLabelSets refuses truth and predictions that cannot be one
// labelling: a label outside the classes dataset.json declares, or both
// hold foreground labels and no foreground label is
// common to the two (truth {0, 255} against predictions {0, 1}), which
// would score Dice 0 for every class without a word.
func checkLabelSets(results []*caseResult, cfg *evalConfig) error {
	truth, pred := map[int32]bool{}, map[int32]bool{}
	for _, r := range results {
		for _, v := range r.TruthSet {
			truth[v] = true
		}
		for _, v := range r.PredSet {
			pred[v] = true
		}
	}
	if cfg.declared > 0 {
		for side, set := range map[string]map[int32]bool{"truth": truth, "predictions": pred} {
			for v := range set {
				if v < 0 || int(v) >= cfg.declared {
					return fmt.Errorf("eval: the %s hold the labels %s, but %s declares 0..%d; give --mask-values to map the stored values, or --dataset", side, setText(set), cfg.datasetPath, cfg.declared-1)
				}
			}
		}
	}
	tf, pf := foregroundOf(truth), foregroundOf(pred)
	if len(tf) == 0 || len(pf) == 0 {
		return nil
	}
	for _, v := range tf {
		if pred[v] {
			return nil
		}
	}
	hint := "--mask-values STORED=LABEL (e.g. 255=1) to map the values of one side onto the other's"
	if len(tf) == 1 && len(pf) == 1 {
		hint = fmt.Sprintf("--mask-values %d=%d if the truth's %d is the prediction's %d (or --mask-values %d=%d the other way)", tf[0], pf[0], tf[0], pf[0], pf[0], tf[0])
	}
	return fmt.Errorf("eval: the truth holds the labels %s and the predictions %s: no foreground label in common, so they cannot be the same labelling (every score would be 0); give %s",
		setText(truth), setText(pred), hint)
}

func foregroundOf(set map[int32]bool) []int32 {
	var out []int32
	for v := range set {
		if v != 0 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func setText(set map[int32]bool) string {
	var vs []int32
	for v := range set {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(int(v))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// labelSet returns the distinct values of labels, sorted.
func labelSet(labels []int32) []int32 {
	seen := map[int32]bool{}
	last := int32(-1 << 31)
	for _, v := range labels {
		if v != last {
			seen[v], last = true, v
		}
	}
	return sortedLabels(seen)
}

func sortedLabels(set map[int32]bool) []int32 {
	out := make([]int32, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// progressLines prints "what: done/total, rate, ETA" on s.Err every
// progressEvery until the returned function is called: progress without a
// terminal.
func progressLines(s *Streams, what string, total int, done *atomic.Int64) (stop func()) {
	start := time.Now()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(progressEvery, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				n := done.Load()
				el := time.Since(start)
				rate := float64(n) / el.Seconds()
				eta := "?"
				if n > 0 {
					eta = time.Duration(float64(int64(total)-n) / rate * float64(time.Second)).Round(time.Second).String()
				}
				fmt.Fprintf(s.Err, "segloss %s: %d/%d done  %.0fs  %.2f per s  ETA %s\n", what, n, total, el.Seconds(), rate, eta)
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}
