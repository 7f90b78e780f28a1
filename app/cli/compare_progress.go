package cli

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/segloss/segloss/app/compare"
)

// compareReporter shows the progress of a compare on standard error: on a
// terminal one bar over all the steps of all runs, described with the
// runs in progress; otherwise a line when a run starts, at its first
// step, at every validation point, at least every progressEvery, and when
// a run ends.
type compareReporter struct {
	s       *Streams
	bar     *progressbar.ProgressBar
	runs    int
	steps   int           // steps per run (0: time budget)
	budget  time.Duration // time per run (0: step budget)
	done    map[int]int   // steps done per run index
	active  map[int]string
	lastVal map[int]float64
	lastLog map[int]time.Time
	n       int // runs ended
}

func newCompareReporter(s *Streams, runs int, b compare.Budget) *compareReporter {
	r := &compareReporter{s: s, runs: runs, steps: b.Steps, budget: b.Time, done: map[int]int{}, active: map[int]string{},
		lastVal: map[int]float64{}, lastLog: map[int]time.Time{}}
	if s.IsTerm {
		total := int64(runs * b.Steps)
		if b.Steps == 0 {
			total = -1
		}
		r.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(s.Err), progressbar.OptionSetDescription("compare"),
			progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(250*time.Millisecond), progressbar.OptionFullWidth())
	}
	return r
}

// event is the compare's Log callback.
func (r *compareReporter) event(e compare.Event) {
	i := e.Job.Index
	switch e.Kind {
	case compare.RunResumed:
		r.n++
		r.done[i] = r.steps
		r.line(fmt.Sprintf("[%d/%d] %s: stored in an earlier call (%.0fs), kept", r.n, e.Of, e.Job.Name, e.Seconds))
	case compare.RunStart:
		r.active[i] = e.Job.Name
		r.lastVal[i] = math.NaN()
		r.lastLog[i] = time.Now()
		r.line(fmt.Sprintf("start %s", e.Job.Name))
	case compare.RunProgress:
		p := e.Progress
		r.done[i] = p.Step
		fresh := !math.IsNaN(p.ValDice) && p.ValDice != r.lastVal[i]
		if fresh {
			r.lastVal[i] = p.ValDice
		}
		if r.bar != nil {
			r.describe()
			return
		}
		if fresh || p.Step == 1 || time.Since(r.lastLog[i]) >= progressEvery {
			r.lastLog[i] = time.Now()
			fmt.Fprintf(r.s.Err, "  %s: %s  val Dice %s\n", e.Job.Name, progressLine(p.Step, p.Steps, p.Elapsed, r.budget, p.Loss), diceText(r.lastVal[i]))
		}
	case compare.RunDone:
		r.n++
		delete(r.active, i)
		r.line(fmt.Sprintf("[%d/%d] %s: done in %.0fs", r.n, e.Of, e.Job.Name, e.Seconds))
	case compare.RunFailed:
		r.n++
		delete(r.active, i)
		r.line(fmt.Sprintf("[%d/%d] %s: FAILED: %v", r.n, e.Of, e.Job.Name, e.Err))
	}
}

// line prints a message, above the bar on a terminal.
func (r *compareReporter) line(msg string) {
	if r.bar != nil {
		_ = r.bar.Clear()
		fmt.Fprintln(r.s.Err, msg)
		r.describe()
		return
	}
	fmt.Fprintln(r.s.Err, msg)
}

// describe updates the bar: total steps and the runs in progress.
func (r *compareReporter) describe() {
	total := 0
	for _, d := range r.done {
		total += d
	}
	desc := fmt.Sprintf("%d/%d runs", r.n, r.runs)
	idx := make([]int, 0, len(r.active))
	for i := range r.active {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		desc += fmt.Sprintf(" | %s Dice %s", r.active[i], diceText(r.lastVal[i]))
	}
	r.bar.Describe(desc)
	_ = r.bar.Set(total)
}

func (r *compareReporter) finish() {
	if r.bar != nil {
		_ = r.bar.Finish()
		fmt.Fprintln(r.s.Err)
	}
}

// diceText writes a validation Dice, "-" before the first.
func diceText(d float64) string {
	if math.IsNaN(d) {
		return "-"
	}
	return fmt.Sprintf("%.3f", d)
}
