package compare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/dataset"
)

// Config is one compare: the data, the losses and what their runs share.
type Config struct {
	Set      *dataset.Set
	Losses   []*segloss.Loss // the parsed losses (see ParseLosses); each run is named by its spec, Loss.String()
	Seed     uint64          // seed of the initialization and the data order of the first run of each loss; run r uses Seed+r
	Seeds    int             // runs per loss (and fold), with seeds Seed, Seed+1, ... (< 1: one)
	Folds    int             // K-fold cross-validation by case (< 2: the set's own split)
	Budget   Budget          // per run
	Parallel int             // runs trained at the same time (< 1: one)
	Out      string          // output folder: runs/, results.json, report.html
	Fresh    bool            // discard the stored runs (of Only, when set) instead of resuming them
	Only     []int           // train only these run IDs and write no results (a job of a scheduler); nil: every run
	Collect  bool            // train nothing: score and report the runs stored in Out
	Trainer  Trainer
	Command  string      // the command line, recorded in the results
	Log      func(Event) // progress; nil: none. Called from the run goroutines, one event at a time
}

// EventKind tells what an Event reports.
type EventKind int

// The kinds of Event.
const (
	RunStart    EventKind = iota // a run begins training
	RunProgress                  // a run reports Progress
	RunDone                      // a run finished and was scored and stored
	RunResumed                   // a run was found finished in the output folder
	RunFailed                    // a run failed (Err)
)

// Event is a progress report of a compare.
type Event struct {
	Kind     EventKind
	Job      Job
	Of       int // number of runs in the compare
	Progress Progress
	Seconds  float64 // RunDone, RunResumed: the run's training time
	Err      error   // RunFailed
}

// ErrIncomplete is returned (wrapped) by Run when some runs did not finish;
// the finished ones are stored and the results written anyway.
var ErrIncomplete = errors.New("compare incomplete")

// Plan is the list of runs of a compare: every loss × fold × seed, with
// the data set of each fold.
type Plan struct {
	Jobs []Job
	Sets []*dataset.Set // per fold (one when there is no cross-validation)
}

// Plan lists the runs of cfg. It loads nothing and trains nothing.
func (cfg *Config) Plan() (*Plan, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	p := &Plan{Sets: []*dataset.Set{cfg.Set}}
	if cfg.Folds > 1 {
		sets, err := cfg.Set.Folds(cfg.Folds, cfg.Set.Split.Seed)
		if err != nil {
			return nil, err
		}
		p.Sets = sets
	}
	seeds := max(1, cfg.Seeds)
	for l, loss := range cfg.Losses {
		for f := range p.Sets {
			for r := 0; r < seeds; r++ {
				j := Job{Index: len(p.Jobs), LossIndex: l, Loss: loss, Name: loss.String(), Rep: r, Fold: f, Seed: cfg.Seed + uint64(r), Budget: cfg.Budget}
				j.Dir = filepath.Join(jobDir(cfg.Out, j, len(p.Sets)), "train")
				p.Jobs = append(p.Jobs, j)
			}
		}
	}
	for _, id := range cfg.Only {
		if id < 0 || id >= len(p.Jobs) {
			return nil, fmt.Errorf("compare: --only %d: the runs are 0..%d", id, len(p.Jobs)-1)
		}
	}
	return p, nil
}

// Run trains every run of cfg not already stored in cfg.Out (only those of
// cfg.Only when set; none with cfg.Collect), scores each run on its
// held-out cases, and writes results.json and report.html (not with
// cfg.Only: a scheduler's job writes only its runs, and a final call with
// Collect reports). When ctx is cancelled or a run fails, the finished
// runs stay stored (a second call with the same settings resumes the
// rest), the results of the finished runs are still written, and the
// error wraps ErrIncomplete.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	started := time.Now()
	plan, err := cfg.Plan()
	if err != nil {
		return nil, err
	}
	selected := map[int]bool{}
	for _, id := range cfg.Only {
		selected[id] = true
	}
	if cfg.Fresh && !cfg.Collect {
		if len(cfg.Only) == 0 {
			err = removeRuns(cfg.Out)
		}
		for id := range selected {
			if err == nil {
				err = os.RemoveAll(jobDir(cfg.Out, plan.Jobs[id], len(plan.Sets)))
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	model := cfg.Trainer.Describe()
	runs := make([]*runState, len(plan.Jobs))
	var pending []Job
	for i, job := range plan.Jobs {
		set := plan.Sets[job.Fold]
		runs[i] = &runState{job: job, set: set}
		if len(selected) > 0 && !selected[i] {
			continue
		}
		fp, err := fingerprint(set, job.Seed, cfg.Budget, model)
		if err != nil {
			return nil, err
		}
		runs[i].fp = fp
		dir := jobDir(cfg.Out, job, len(plan.Sets))
		rec, pred, err := loadRun(dir, set)
		if err != nil {
			return nil, fmt.Errorf("stored run %d (%s): %w (remove it, or use --fresh)", i, job.Label(cfg.Seeds, len(plan.Sets)), err)
		}
		if rec == nil {
			if !cfg.Collect {
				pending = append(pending, job)
			}
			continue
		}
		if rec.Fingerprint != fp {
			return nil, fmt.Errorf("%s holds a run of %s with other settings (data, split, seed, budget or model); use --fresh to discard it, or another --out", cfg.Out, job.Label(cfg.Seeds, len(plan.Sets)))
		}
		runs[i].rec, runs[i].pred, runs[i].resumed = rec, pred, true
		cfg.log(Event{Kind: RunResumed, Job: job, Of: len(runs), Seconds: rec.Seconds})
	}
	cfg.train(ctx, pending, runs, len(plan.Sets))
	if len(selected) > 0 {
		for id := range selected {
			if runs[id].rec == nil {
				return nil, fmt.Errorf("%w: run %d (%s) did not finish", ErrIncomplete, id, plan.Jobs[id].Label(cfg.Seeds, len(plan.Sets)))
			}
		}
		return nil, nil
	}
	res, err := assemble(cfg, plan, runs, started)
	if err != nil {
		return nil, err
	}
	if err := WriteOutputs(cfg.Out, res, plan.Sets, predsOf(runs)); err != nil {
		return res, err
	}
	if !res.Complete {
		hint := "run the same command again to resume the rest"
		if cfg.Collect {
			hint = "the others are not stored in " + cfg.Out + " yet"
		}
		return res, fmt.Errorf("%w: %d of %d runs finished; %s", ErrIncomplete, res.Finished, len(runs), hint)
	}
	return res, nil
}

// runState is one run during a compare.
type runState struct {
	job     Job
	set     *dataset.Set // the run's fold
	fp      string       // fingerprint of its settings
	rec     *RunRecord   // nil until finished
	pred    [][]int32
	resumed bool
	err     error
}

// check validates a Config.
func (cfg *Config) check() error {
	switch {
	case cfg.Set == nil:
		return fmt.Errorf("compare: no data set")
	case len(cfg.Set.Val) == 0 || len(cfg.Set.Train) == 0:
		return fmt.Errorf("compare: %s: need training and validation examples", cfg.Set.Name)
	case len(cfg.Losses) == 0:
		return fmt.Errorf("compare: no losses")
	case cfg.Trainer == nil:
		return fmt.Errorf("compare: no trainer")
	case cfg.Out == "":
		return fmt.Errorf("compare: no output folder")
	case cfg.Seeds < 0 || cfg.Folds < 0:
		return fmt.Errorf("compare: seeds %d and folds %d must not be negative", cfg.Seeds, cfg.Folds)
	case cfg.Collect && len(cfg.Only) > 0:
		return fmt.Errorf("compare: --collect trains nothing; it cannot take --only")
	}
	return cfg.Budget.Validate()
}

// log reports an event, if anyone listens.
func (cfg *Config) log(e Event) {
	if cfg.Log != nil {
		cfg.Log(e)
	}
}

// train runs the pending jobs, cfg.Parallel at a time, storing each
// finished run. It returns when every job finished or failed, or when ctx
// is cancelled and the running jobs have stopped.
func (cfg *Config) train(ctx context.Context, pending []Job, runs []*runState, folds int) {
	var mu sync.Mutex // serializes Log
	logf := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		cfg.log(e)
	}
	jobs := make(chan Job)
	var wg sync.WaitGroup
	for w := 0; w < max(1, min(cfg.Parallel, len(pending))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				st := runs[job.Index]
				st.rec, st.pred, st.err = cfg.trainOne(ctx, st, len(runs), folds, logf)
				if st.err != nil && ctx.Err() == nil {
					logf(Event{Kind: RunFailed, Job: job, Of: len(runs), Err: st.err})
				}
			}
		}()
	}
	for _, job := range pending {
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- job:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
}

// trainOne trains, scores and stores one run.
func (cfg *Config) trainOne(ctx context.Context, st *runState, of, folds int, logf func(Event)) (*RunRecord, [][]int32, error) {
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	job := st.job
	logf(Event{Kind: RunStart, Job: job, Of: of})
	out, err := cfg.Trainer.Train(ctx, st.set, job, func(p Progress) {
		logf(Event{Kind: RunProgress, Job: job, Of: of, Progress: p})
	})
	if err != nil {
		return nil, nil, err
	}
	cases, err := Score(st.set, out.Pred)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", job.Name, err)
	}
	rec := &RunRecord{ID: job.Index, Loss: job.Name, Seed: job.Seed, Fold: job.Fold, Fingerprint: st.fp, Steps: out.Steps, Seconds: out.Seconds,
		Finished: time.Now().UTC(), Curve: out.Curve, Cases: cases}
	if err := saveRun(jobDir(cfg.Out, job, folds), rec, st.set, out.Pred); err != nil {
		return nil, nil, err
	}
	logf(Event{Kind: RunDone, Job: job, Of: of, Seconds: out.Seconds})
	return rec, out.Pred, nil
}

// predsOf returns the predictions of each run, nil for unfinished ones.
func predsOf(runs []*runState) [][][]int32 {
	out := make([][][]int32, len(runs))
	for i, r := range runs {
		out[i] = r.pred
	}
	return out
}
