package compare

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/segloss/segloss/app/dataset"
)

// Results is everything a compare found; it is written as results.json.
type Results struct {
	Question    string            `json:"question"`
	Answer      string            `json:"answer"`
	Command     string            `json:"command,omitempty"` // the command line that ran the compare
	Complete    bool              `json:"complete"`          // every run finished
	Finished    int               `json:"finished"`          // runs finished
	Data        DataInfo          `json:"data"`
	Split       dataset.Split     `json:"split"`
	Seed        uint64            `json:"seed"`
	Budget      Budget            `json:"budget"`
	Parallel    int               `json:"parallel"`
	Model       any               `json:"model"`
	Versions    map[string]string `json:"versions"`
	Metrics     []string          `json:"metrics"`      // the metrics of Summary and CaseScore.Values, in order
	Classes     []string          `json:"classes"`      // the foreground classes, in the order of the per-class values
	Started     time.Time         `json:"started"`      // this call's start
	WallSeconds float64           `json:"wall_seconds"` // this call's wall-clock time
	Ranking     []string          `json:"ranking"`      // finished losses, best mean foreground Dice first
	Best        []string          `json:"best"`         // per foreground class, the loss with the highest mean Dice
	Runs        []RunResult       `json:"runs"`         // in the order of the loss list
}

// DataInfo describes the data set of a compare.
type DataInfo struct {
	Name          string    `json:"name"`
	Format        string    `json:"format"`
	Dir           string    `json:"dir"`
	Labels        []string  `json:"labels"` // class names, background first
	Height        int       `json:"height"`
	Width         int       `json:"width"`
	Frequency     []float64 `json:"frequency"` // share of each class among the validation pixels
	TrainExamples int       `json:"train_examples"`
	ValExamples   int       `json:"val_examples"`
	ValCases      int       `json:"val_cases"`
}

// RunResult is one loss's run in the results.
type RunResult struct {
	Loss     string      `json:"loss"`
	Status   string      `json:"status"` // "trained", "resumed" (stored by an earlier call), "failed" or "not run"
	Error    string      `json:"error,omitempty"`
	Rank     int         `json:"rank,omitempty"` // 1 is best; 0 when unfinished
	Steps    int         `json:"steps"`
	Seconds  float64     `json:"seconds"`   // training time
	MeanDice Num         `json:"mean_dice"` // mean over foreground classes of the mean Dice over cases
	Summary  [][]Stat    `json:"summary"`   // [metric][class] over the validation cases
	Curve    []Point     `json:"curve"`
	Cases    []CaseScore `json:"cases"`
}

// Done reports whether the run finished.
func (r *RunResult) Done() bool { return r.Status == "trained" || r.Status == "resumed" }

// Stat returns the statistic of metric name for foreground class k.
func (r *RunResult) Stat(name string, k int) Stat {
	for m, n := range Metrics {
		if n == name && m < len(r.Summary) && k < len(r.Summary[m]) {
			return r.Summary[m][k]
		}
	}
	return Stat{Mean: Num(math.NaN()), SD: Num(math.NaN())}
}

// assemble builds the results of a compare from its runs.
func assemble(cfg Config, runs []*runState, started time.Time) (*Results, error) {
	set := cfg.Set
	res := &Results{
		Question: fmt.Sprintf("Which loss is best for %s?", set.Name), Command: cfg.Command,
		Data: DataInfo{Name: set.Name, Format: set.Format, Dir: set.Dir, Labels: set.LabelNames, Height: set.H, Width: set.W,
			TrainExamples: len(set.Train), ValExamples: len(set.Val), ValCases: len(volumes(set)), Frequency: frequency(set)},
		Split: set.Split, Seed: cfg.Seed, Budget: cfg.Budget, Parallel: max(1, cfg.Parallel), Model: cfg.Trainer.Describe(),
		Versions: versions(), Metrics: Metrics, Classes: set.LabelNames[1:], Started: started.UTC(),
	}
	for _, st := range runs {
		r := RunResult{Loss: st.job.Name, Status: "not run", MeanDice: Num(math.NaN())}
		switch {
		case st.rec != nil:
			r.Status = "trained"
			if st.resumed {
				r.Status = "resumed"
			}
			r.Steps, r.Seconds, r.Curve, r.Cases = st.rec.Steps, st.rec.Seconds, st.rec.Curve, st.rec.Cases
			r.Summary = Summarize(r.Cases, set.Classes-1)
			r.MeanDice = Num(meanOf(r.Summary[0]))
			res.Finished++
		case st.err != nil:
			r.Status, r.Error = "failed", st.err.Error()
		}
		res.Runs = append(res.Runs, r)
	}
	res.Complete = res.Finished == len(runs)
	rank(res)
	res.Answer = answer(res)
	res.WallSeconds = time.Since(started).Seconds()
	return res, nil
}

// meanOf returns the mean of the defined means of stats (NaN if none).
func meanOf(stats []Stat) float64 {
	var s float64
	n := 0
	for _, st := range stats {
		if v := float64(st.Mean); !math.IsNaN(v) {
			s += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// rank orders the finished runs by mean foreground Dice and finds the best
// loss of each class.
func rank(res *Results) {
	var order []int
	for i := range res.Runs {
		if res.Runs[i].Done() {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		return better(float64(res.Runs[order[a]].MeanDice), float64(res.Runs[order[b]].MeanDice))
	})
	res.Ranking = nil
	for pos, i := range order {
		res.Runs[i].Rank = pos + 1
		res.Ranking = append(res.Ranking, res.Runs[i].Loss)
	}
	res.Best = make([]string, len(res.Classes))
	for k := range res.Classes {
		best := math.NaN()
		for _, i := range order {
			if v := float64(res.Runs[i].Stat("dice", k).Mean); better(v, best) {
				best, res.Best[k] = v, res.Runs[i].Loss
			}
		}
	}
}

// better reports whether a is a better score than b (NaN is worst).
func better(a, b float64) bool {
	if math.IsNaN(a) {
		return false
	}
	return math.IsNaN(b) || a > b
}

// answer writes the one-paragraph answer at the top of the report.
func answer(res *Results) string {
	if len(res.Ranking) == 0 {
		return "No run has finished yet."
	}
	top := res.run(res.Ranking[0])
	var b strings.Builder
	fmt.Fprintf(&b, "%s, with a mean foreground Dice of %.3f on %d held-out cases", top.Loss, float64(top.MeanDice), res.Data.ValCases)
	if len(res.Ranking) > 1 {
		last := res.run(res.Ranking[len(res.Ranking)-1])
		fmt.Fprintf(&b, " (worst: %s, %.3f)", last.Loss, float64(last.MeanDice))
	}
	b.WriteString(". Best per class: ")
	for k, c := range res.Classes {
		if k > 0 {
			b.WriteString("; ")
		}
		if res.Best[k] == "" {
			fmt.Fprintf(&b, "%s: none", c)
			continue
		}
		fmt.Fprintf(&b, "%s: %s (%.3f)", c, res.Best[k], float64(res.run(res.Best[k]).Stat("dice", k).Mean))
	}
	b.WriteString(".")
	if k := rarest(res); k >= 0 && res.Best[k] != "" && res.Best[k] != "bce" {
		if bce := res.run("bce"); bce.Done() && better(float64(res.run(res.Best[k]).Stat("dice", k).Mean), float64(bce.Stat("dice", k).Mean)) {
			fmt.Fprintf(&b, " On the rarest class, %s (%.1f %% of the pixels), %s reaches a Dice of %.3f against %.3f for plain bce.",
				res.Classes[k], 100*res.Data.Frequency[k+1], res.Best[k], float64(res.run(res.Best[k]).Stat("dice", k).Mean), float64(bce.Stat("dice", k).Mean))
		}
	}
	if !res.Complete {
		fmt.Fprintf(&b, " Only %d of %d runs have finished.", res.Finished, len(res.Runs))
	}
	return b.String()
}

// frequency returns the share of each class among the validation pixels.
func frequency(set *dataset.Set) []float64 {
	out := make([]float64, set.Classes)
	var n float64
	for _, ex := range set.Val {
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
	return &RunResult{Loss: loss, MeanDice: Num(math.NaN())}
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
