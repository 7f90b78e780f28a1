package compare

import (
	"context"
	"fmt"
	"time"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/dataset"
)

// Trainer trains the compared model with one loss. Every call with the
// same Job must start from the same initialization and see the data in
// the same order; only the loss differs between the jobs of a compare.
type Trainer interface {
	// Train runs job on the set's training examples, reporting progress
	// (possibly from another goroutine, never concurrently for one job),
	// and returns the run's validation curve and its predictions on the
	// set's validation examples. It stops early, returning ctx.Err(), when
	// ctx is cancelled.
	Train(ctx context.Context, set *dataset.Set, job Job, progress func(Progress)) (*Outcome, error)
	// Describe returns a JSON-encodable description of the model and the
	// optimizer; it is recorded in results.json and a change of it makes
	// stored runs stale.
	Describe() any
}

// Budget bounds each run: by training steps, by wall-clock time, or both
// (whichever ends first). At least one must be set.
type Budget struct {
	Steps int           `json:"steps,omitempty"`
	Time  time.Duration `json:"time_ns,omitempty"`
}

// Validate checks that the budget bounds the run.
func (b Budget) Validate() error {
	if b.Steps < 0 || b.Time < 0 {
		return fmt.Errorf("budget: steps %d and time %v must not be negative", b.Steps, b.Time)
	}
	if b.Steps == 0 && b.Time == 0 {
		return fmt.Errorf("budget: give a number of steps or a time")
	}
	return nil
}

// String writes the budget as the --budget flag takes it.
func (b Budget) String() string {
	switch {
	case b.Steps > 0 && b.Time > 0:
		return fmt.Sprintf("%d steps or %v", b.Steps, b.Time)
	case b.Time > 0:
		return b.Time.String()
	}
	return fmt.Sprintf("%d steps", b.Steps)
}

// Job is one run of a compare: a loss, a seed and a fold, and what every
// run shares. Every run of a compare is an independent job: its Index is
// its run ID (--only), and it needs nothing from the other runs.
type Job struct {
	Index     int           // the run ID: position in the compare's run list, loss by loss, then fold by fold, then seed by seed
	LossIndex int           // position of the loss in the compare's list
	Loss      *segloss.Loss // the parsed loss
	Name      string        // the loss's spec (Loss.String()): the run's name in results, reports and folders
	Rep       int           // 0..Seeds-1: which of the loss's repeated runs
	Fold      int           // 0..Folds-1 with cross-validation; 0 otherwise
	Seed      uint64        // seed of the initialization and of the data order: the compare's seed + Rep, the same for every loss
	Budget    Budget
	Dir       string // a folder the trainer may keep the run's files in (checkpoints); it survives interruptions
}

// Label describes the job for people: "dice, seed 2, fold 1/5".
func (j Job) Label(seeds, folds int) string {
	s := j.Name
	if seeds > 1 {
		s += fmt.Sprintf(", seed %d", j.Seed)
	}
	if folds > 1 {
		s += fmt.Sprintf(", fold %d/%d", j.Fold+1, folds)
	}
	return s
}

// Progress is what a trainer reports during a run.
type Progress struct {
	Step    int           // steps done
	Steps   int           // steps planned (0: bounded by time only)
	Elapsed time.Duration // since the run started
	Loss    float64       // latest training loss
	ValDice float64       // latest mean foreground validation Dice; NaN before the first
}

// Point is one point of a run's validation curve.
type Point struct {
	Step    int     `json:"step"`
	Seconds float64 `json:"seconds"`
	Loss    Num     `json:"loss"` // training loss, averaged over the steps since the last point
	Dice    []Num   `json:"dice"` // validation Dice per foreground class (pooled over the validation examples)
}

// Outcome is what a trainer returns for one finished run.
type Outcome struct {
	Steps   int       // steps trained
	Seconds float64   // wall-clock training time, validation included
	Curve   []Point   // validation curve, in step order
	Pred    [][]int32 // predicted labels of each validation example, in set.Val order
}
