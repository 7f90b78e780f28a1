package compare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/stats"
)

// Results is everything a compare found; it is written as results.json.
type Results struct {
	Question    string            `json:"question"`
	Answer      string            `json:"answer"`
	Warnings    []string          `json:"warnings"`          // runs short of their budget, models at chance level, too few held-out cases, unfinished runs
	Command     string            `json:"command,omitempty"` // the command line that ran the compare
	Complete    bool              `json:"complete"`          // every run finished
	Finished    int               `json:"finished"`          // runs finished
	Data        DataInfo          `json:"data"`
	Split       dataset.Split     `json:"split"` // the split (without cross-validation; with it, the folds' held-out cases are in Folds)
	FoldCases   [][]string        `json:"fold_cases,omitempty"`
	Seed        uint64            `json:"seed"`  // seed of each loss's first run; run r of a loss uses seed + r
	Seeds       int               `json:"seeds"` // runs per loss and fold
	Folds       int               `json:"folds"` // cross-validation folds; 1: the single split
	Budget      Budget            `json:"budget"`
	Parallel    int               `json:"parallel"`
	Model       any               `json:"model"`
	ModelText   string            `json:"model_text"` // the model in words
	Bootstrap   BootstrapInfo     `json:"bootstrap"`
	Versions    map[string]string `json:"versions"`
	Metrics     []string          `json:"metrics"`      // the metrics of Summary and CaseScore.Values, in order
	Classes     []string          `json:"classes"`      // the foreground classes, in the order of the per-class values
	Units       string            `json:"hd95_units"`   // "pixels", or "mm" when every held-out case has a voxel size
	Started     time.Time         `json:"started"`      // this call's start
	WallSeconds float64           `json:"wall_seconds"` // this call's wall-clock time
	Ranking     []RankEntry       `json:"ranking"`      // finished losses by mean foreground Dice, best first
	Pairwise    []Pair            `json:"pairwise"`     // every pair of finished losses, on mean foreground Dice
	PerClass    []ClassResult     `json:"per_class"`    // the same on the Dice of each foreground class
	Best        []string          `json:"best"`         // per foreground class, the loss with the highest mean Dice
	Runs        []RunResult       `json:"runs"`         // per loss, in the order of the loss list
}

// BootstrapInfo records how the intervals were computed.
type BootstrapInfo struct {
	Resamples int     `json:"resamples"`
	Seed      uint64  `json:"seed"`
	Level     float64 `json:"level"`
	Method    string  `json:"method"`
}

// ClassResult ranks and compares the losses on one class's Dice.
type ClassResult struct {
	Class    string      `json:"class"`
	Ranking  []RankEntry `json:"ranking"`
	Pairwise []Pair      `json:"pairwise"`
}

// DataInfo describes the data set of a compare.
type DataInfo struct {
	Name          string    `json:"name"`
	Format        string    `json:"format"`
	Dir           string    `json:"dir"`
	Labels        []string  `json:"labels"` // class names, background first
	Height        int       `json:"height"`
	Width         int       `json:"width"`
	Frequency     []float64 `json:"frequency"` // share of each class among the held-out pixels
	TrainExamples int       `json:"train_examples"`
	ValExamples   int       `json:"val_examples"`
	ValCases      int       `json:"val_cases"`               // held-out cases (with cross-validation: every case)
	Weights       string    `json:"pixel_weights,omitempty"` // the folder of the pixel weight maps the losses were weighted with
}

// RunResult is one loss in the results: its runs (seeds × folds) and the
// statistics over them.
type RunResult struct {
	Loss     string      `json:"loss"`
	Status   string      `json:"status"` // "trained", "resumed" (stored by an earlier call), "interrupted", "failed" or "not run" (some runs missing)
	Error    string      `json:"error,omitempty"`
	Rank     int         `json:"rank,omitempty"`  // 1 is best; 0 when unfinished
	Group    int         `json:"group,omitempty"` // 1: tied for first (see RankEntry)
	Steps    int         `json:"steps"`           // the fewest steps of its runs
	Seconds  float64     `json:"seconds"`         // training time, summed over its runs
	MeanDice Num         `json:"mean_dice"`       // mean over cases of the case's mean foreground Dice (averaged over seeds)
	Low      Num         `json:"ci_low"`          // bootstrap 95 % interval of MeanDice
	High     Num         `json:"ci_high"`
	Summary  [][]Stat    `json:"summary"` // [metric][class] over the held-out cases
	Curve    []Point     `json:"curve"`   // validation curve, averaged over its runs
	Cases    []CaseScore `json:"cases"`   // per held-out case, each value averaged over the seeds
	Jobs     []JobResult `json:"jobs"`    // every run, with its per-case scores
}

// JobResult is one run of a loss: one seed on one fold.
type JobResult struct {
	ID      int         `json:"id"` // run ID, for --only
	Seed    uint64      `json:"seed"`
	Fold    int         `json:"fold"` // 0-based
	Status  string      `json:"status"`
	Error   string      `json:"error,omitempty"`
	Steps   int         `json:"steps"`
	Seconds float64     `json:"seconds"`
	Curve   []Point     `json:"curve,omitempty"`
	Cases   []CaseScore `json:"cases,omitempty"`
}

// Done reports whether every run of the loss finished.
func (r *RunResult) Done() bool { return r.Status == "trained" || r.Status == "resumed" }

// Stat returns the statistic of metric name for foreground class k.
func (r *RunResult) Stat(name string, k int) Stat {
	for m, n := range Metrics {
		if n == name && m < len(r.Summary) && k < len(r.Summary[m]) {
			return r.Summary[m][k]
		}
	}
	nan := Num(math.NaN())
	return Stat{Mean: nan, SD: nan, Low: nan, High: nan}
}

// assemble builds the results of a compare from its runs.
func assemble(cfg Config, plan *Plan, runs []*runState, started time.Time) (*Results, error) {
	set := cfg.Set
	folds := len(plan.Sets)
	seeds := max(1, cfg.Seeds)
	var caseNames []string
	caseAt := map[string]int{}
	valExamples := 0
	units := "mm"
	for _, fs := range plan.Sets {
		for _, v := range volumes(fs) {
			caseAt[v.Case] = len(caseNames)
			caseNames = append(caseNames, v.Case)
			if len(fs.Spacing[v.Case]) != len(v.Shape) {
				units = "pixels"
			}
		}
		valExamples += len(fs.Val)
	}
	res := &Results{
		Question: fmt.Sprintf("Which loss is best for %s?", setNoun(set)), Command: cfg.Command,
		Data: DataInfo{Name: set.Name, Format: set.Format, Dir: set.Dir, Labels: set.LabelNames, Height: set.H, Width: set.W,
			TrainExamples: len(set.Train), ValExamples: valExamples, ValCases: len(caseNames), Frequency: frequency(plan.Sets),
			Weights: set.Weights},
		Split: set.Split, Seed: cfg.Seed, Seeds: seeds, Folds: folds, Budget: cfg.Budget, Parallel: max(1, cfg.Parallel),
		Model: cfg.Trainer.Describe(), ModelText: modelText(cfg.Trainer),
		Bootstrap: BootstrapInfo{Resamples: BootstrapResamples, Seed: BootstrapSeed, Level: 0.95,
			Method: "percentile; cases resampled with replacement, and seeds within each case"},
		Versions: versions(), Metrics: Metrics, Classes: set.LabelNames[1:], Units: units, Started: started.UTC(),
		Warnings: []string{},
	}
	if folds > 1 {
		res.Split = dataset.Split{Seed: set.Split.Seed, Folds: folds}
		for _, fs := range plan.Sets {
			res.FoldCases = append(res.FoldCases, fs.Split.Val)
		}
	}
	classes := set.Classes - 1
	// x[loss][metric][class][case][seed]; overall[loss][case][seed].
	var done []int
	x := make([][][][][]float64, len(cfg.Losses))
	overall := make([][][]float64, len(cfg.Losses))
	for l, spec := range cfg.Losses {
		loss := spec.String()
		r := RunResult{Loss: loss, Status: "not run", MeanDice: Num(math.NaN()), Low: Num(math.NaN()), High: Num(math.NaN())}
		x[l] = newScores(len(Metrics), classes, len(caseNames), seeds)
		finished, trained, failed, interrupted := 0, false, "", false
		for _, st := range runs {
			if st.job.LossIndex != l {
				continue
			}
			j := JobResult{ID: st.job.Index, Seed: st.job.Seed, Fold: st.job.Fold, Status: "not run"}
			switch {
			case st.rec != nil:
				j.Status = "trained"
				if st.resumed {
					j.Status = "resumed"
				} else {
					trained = true
				}
				j.Steps, j.Seconds, j.Curve, j.Cases = st.rec.Steps, st.rec.Seconds, st.rec.Curve, st.rec.Cases
				for _, c := range st.rec.Cases {
					ci, ok := caseAt[c.Case]
					if !ok {
						return nil, fmt.Errorf("stored run %d of %s scores case %s, not held out in its fold", st.job.Index, loss, c.Case)
					}
					for m := range Metrics {
						for k := 0; k < classes && k < len(c.Values[m]); k++ {
							x[l][m][k][ci][st.job.Rep] = float64(c.Values[m][k])
						}
					}
				}
				finished++
				res.Finished++
			case errors.Is(st.err, context.Canceled):
				j.Status, interrupted = "interrupted", true // resumed by the same command, not a failure
			case st.err != nil:
				j.Status, j.Error = "failed", st.err.Error()
				if failed == "" {
					failed = st.err.Error()
				}
			}
			r.Seconds += j.Seconds
			if r.Steps == 0 || j.Steps < r.Steps {
				r.Steps = j.Steps
			}
			r.Jobs = append(r.Jobs, j)
		}
		switch {
		case finished == len(r.Jobs):
			r.Status = "resumed"
			if trained {
				r.Status = "trained"
			}
		case failed != "":
			r.Status, r.Error = "failed", failed
		case interrupted:
			r.Status = "interrupted"
		}
		if r.Done() {
			overall[l] = meanOverClasses(x[l][0])
			iv := boot.CI(overall[l])
			r.MeanDice, r.Low, r.High = Num(iv.Mean), Num(iv.Low), Num(iv.High)
			r.Summary = summarizeScores(x[l])
			r.Cases = seedMeans(x[l], caseNames)
			r.Curve = meanCurve(r.Jobs)
			done = append(done, l)
		}
		res.Runs = append(res.Runs, r)
	}
	res.Complete = res.Finished == len(runs)
	names := make([]string, len(done))
	xs := make([][][]float64, len(done))
	for i, l := range done {
		names[i], xs[i] = cfg.Losses[l].String(), overall[l]
	}
	res.Ranking, res.Pairwise = analyze(names, xs)
	for pos, e := range res.Ranking {
		r := res.run(e.Loss)
		r.Rank, r.Group = pos+1, e.Group
	}
	res.Best = make([]string, classes)
	for k := 0; k < classes; k++ {
		for i, l := range done {
			xs[i] = x[l][0][k]
		}
		cr := ClassResult{Class: res.Classes[k]}
		cr.Ranking, cr.Pairwise = analyze(names, xs)
		if len(cr.Ranking) > 0 && !math.IsNaN(float64(cr.Ranking[0].Mean)) {
			res.Best[k] = cr.Ranking[0].Loss
		}
		res.PerClass = append(res.PerClass, cr)
	}
	var brief []string
	res.Warnings, brief = warnings(res)
	res.Answer = answer(res, brief)
	res.WallSeconds = time.Since(started).Seconds()
	return res, nil
}

// newScores returns [metric][class][case][seed] filled with NaN.
func newScores(metrics, classes, cases, seeds int) [][][][]float64 {
	out := make([][][][]float64, metrics)
	for m := range out {
		out[m] = make([][][]float64, classes)
		for k := range out[m] {
			out[m][k] = make([][]float64, cases)
			for c := range out[m][k] {
				out[m][k][c] = make([]float64, seeds)
				for r := range out[m][k][c] {
					out[m][k][c][r] = math.NaN()
				}
			}
		}
	}
	return out
}

// meanOverClasses returns [case][seed]: the mean over the classes of
// dice[class][case][seed] where defined.
func meanOverClasses(dice [][][]float64) [][]float64 {
	if len(dice) == 0 {
		return nil
	}
	out := make([][]float64, len(dice[0]))
	v := make([]float64, len(dice))
	for c := range out {
		out[c] = make([]float64, len(dice[0][c]))
		for r := range out[c] {
			for k := range dice {
				v[k] = dice[k][c][r]
			}
			out[c][r] = stats.Mean(v)
		}
	}
	return out
}

// summarizeScores returns [metric][class] statistics of x
// [metric][class][case][seed]: mean over the cases of the seed means, their
// standard deviation, and the bootstrap interval.
func summarizeScores(x [][][][]float64) [][]Stat {
	out := make([][]Stat, len(x))
	for m := range x {
		out[m] = make([]Stat, len(x[m]))
		for k := range x[m] {
			per := make([]float64, len(x[m][k]))
			for c, row := range x[m][k] {
				per[c] = stats.Mean(row)
			}
			d := stats.Describe(per)
			iv := boot.CI(x[m][k])
			out[m][k] = Stat{Mean: Num(iv.Mean), SD: Num(d.SD), Low: Num(iv.Low), High: Num(iv.High), N: d.N, Undefined: d.NaN + d.Inf}
		}
	}
	return out
}

// seedMeans returns the per-case scores of x averaged over the seeds.
func seedMeans(x [][][][]float64, cases []string) []CaseScore {
	out := make([]CaseScore, len(cases))
	for c, name := range cases {
		out[c] = CaseScore{Case: name, Values: make([][]Num, len(x))}
		for m := range x {
			out[c].Values[m] = make([]Num, len(x[m]))
			for k := range x[m] {
				out[c].Values[m][k] = Num(stats.Mean(x[m][k][c]))
			}
		}
	}
	return out
}

// meanCurve averages the validation curves of the runs point by point
// (the points of a step budget fall on the same steps).
func meanCurve(jobs []JobResult) []Point {
	type acc struct {
		n          int
		sec, loss  float64
		dice       []float64
		diceCounts []int
	}
	var steps []int
	at := map[int]*acc{}
	for _, j := range jobs {
		for _, p := range j.Curve {
			a := at[p.Step]
			if a == nil {
				a = &acc{dice: make([]float64, len(p.Dice)), diceCounts: make([]int, len(p.Dice))}
				at[p.Step] = a
				steps = append(steps, p.Step)
			}
			a.n++
			a.sec += p.Seconds
			a.loss += float64(p.Loss)
			for k, d := range p.Dice {
				if k < len(a.dice) && !math.IsNaN(float64(d)) {
					a.dice[k] += float64(d)
					a.diceCounts[k]++
				}
			}
		}
	}
	sort.Ints(steps)
	out := make([]Point, len(steps))
	for i, s := range steps {
		a := at[s]
		dice := make([]Num, len(a.dice))
		for k := range dice {
			dice[k] = Num(math.NaN())
			if a.diceCounts[k] > 0 {
				dice[k] = Num(a.dice[k] / float64(a.diceCounts[k]))
			}
		}
		out[i] = Point{Step: s, Seconds: a.sec / float64(a.n), Loss: Num(a.loss / float64(a.n)), Dice: dice}
	}
	return out
}

// setNoun names the data set as a noun for the question: "the synthetic
// set", "the Hippocampus set".
func setNoun(set *dataset.Set) string {
	if set.Format == "synthetic" {
		return "the synthetic set"
	}
	return "the " + set.Name + " set"
}

// Texter is implemented by trainers that describe their model in words.
type Texter interface {
	Text() string
}

// modelText returns the trainer's model in words, or its description as
// "key value" pairs.
func modelText(t Trainer) string {
	if tx, ok := t.(Texter); ok {
		return tx.Text()
	}
	return fmt.Sprint(t.Describe())
}

// frequency returns the share of each class among the held-out pixels of
// the folds.
func frequency(sets []*dataset.Set) []float64 {
	out := make([]float64, sets[0].Classes)
	var n float64
	for _, ex := range heldOut(sets) {
		for _, l := range ex.Label {
			if l >= 0 && int(l) < len(out) {
				out[l]++
			}
			n++
		}
	}
	for k := range out {
		out[k] /= max(n, 1)
	}
	return out
}

// heldOut returns the held-out examples of every fold.
func heldOut(sets []*dataset.Set) []dataset.Example {
	var out []dataset.Example
	for _, s := range sets {
		out = append(out, s.Val...)
	}
	return out
}

// rarest returns the foreground class (0-based among Classes) with the
// fewest validation pixels, or -1 when there is only one.
func rarest(res *Results) int {
	if len(res.Classes) < 2 || len(res.Data.Frequency) != len(res.Classes)+1 {
		return -1
	}
	k := 0
	for j := range res.Classes {
		if res.Data.Frequency[j+1] < res.Data.Frequency[k+1] {
			k = j
		}
	}
	return k
}

// run returns the run of loss.
func (res *Results) run(loss string) *RunResult {
	for i := range res.Runs {
		if res.Runs[i].Loss == loss {
			return &res.Runs[i]
		}
	}
	nan := Num(math.NaN())
	return &RunResult{Loss: loss, MeanDice: nan, Low: nan, High: nan}
}

// versions returns the versions of Go, of this program and of the modules
// that train and score.
func versions() map[string]string {
	out := map[string]string{"go": runtime.Version(), "os/arch": runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	out["main"] = info.Main.Path + " " + info.Main.Version
	for _, d := range info.Deps {
		switch d.Path {
		case "github.com/segloss/segloss", "github.com/gomlx/gomlx", "github.com/gomlx/compute", "gonum.org/v1/plot":
			out[d.Path] = d.Version
		}
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			out[s.Key] = s.Value
		}
	}
	return out
}
