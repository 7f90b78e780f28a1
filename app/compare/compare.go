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
	Seed     uint64          // seed of the initialization and the data order, the same for every run
	Budget   Budget          // per run
	Parallel int             // runs trained at the same time (< 1: one)
	Out      string          // output folder: runs/, results.json, report.html
	Fresh    bool            // discard stored runs instead of resuming them
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

// Run trains every loss of cfg not already stored in cfg.Out, scores each
// run on the validation cases, and writes results.json and report.html.
// When ctx is cancelled or a run fails, the finished runs stay stored (a
// second call with the same settings resumes the rest), the results of the
// finished runs are still written, and the error wraps ErrIncomplete.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	started := time.Now()
	fp, err := fingerprint(cfg.Set, cfg.Seed, cfg.Budget, cfg.Trainer.Describe())
	if err != nil {
		return nil, err
	}
	if cfg.Fresh {
		if err := os.RemoveAll(filepath.Join(cfg.Out, "runs")); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	runs := make([]*runState, len(cfg.Losses))
	var pending []Job
	for i, l := range cfg.Losses {
		loss := l.String()
		job := Job{Index: i, Loss: l, Name: loss, Seed: cfg.Seed, Budget: cfg.Budget, Dir: filepath.Join(runDir(cfg.Out, loss), "train")}
		rec, pred, err := loadRun(cfg.Out, loss, cfg.Set)
		if err != nil {
			return nil, fmt.Errorf("stored run of %s: %w (remove it, or use --fresh)", loss, err)
		}
		runs[i] = &runState{job: job}
		if rec == nil {
			pending = append(pending, job)
			continue
		}
		if rec.Fingerprint != fp {
			return nil, fmt.Errorf("%s holds a run of %s with other settings (data, split, seed, budget or model); use --fresh to discard it, or another --out", cfg.Out, loss)
		}
		runs[i].rec, runs[i].pred, runs[i].resumed = rec, pred, true
		cfg.log(Event{Kind: RunResumed, Job: job, Of: len(runs), Seconds: rec.Seconds})
	}
	cfg.train(ctx, fp, pending, runs)
	res, err := assemble(cfg, runs, started)
	if err != nil {
		return nil, err
	}
	if err := WriteOutputs(cfg.Out, res, cfg.Set, predsOf(runs)); err != nil {
		return res, err
	}
	if !res.Complete {
		return res, fmt.Errorf("%w: %d of %d runs finished; run the same command again to resume the rest", ErrIncomplete, res.Finished, len(runs))
	}
	return res, nil
}

// runState is one run during a compare.
type runState struct {
	job     Job
	rec     *RunRecord // nil until finished
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
func (cfg *Config) train(ctx context.Context, fp string, pending []Job, runs []*runState) {
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
				st.rec, st.pred, st.err = cfg.trainOne(ctx, fp, job, len(runs), logf)
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
func (cfg *Config) trainOne(ctx context.Context, fp string, job Job, of int, logf func(Event)) (*RunRecord, [][]int32, error) {
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	logf(Event{Kind: RunStart, Job: job, Of: of})
	out, err := cfg.Trainer.Train(ctx, cfg.Set, job, func(p Progress) {
		logf(Event{Kind: RunProgress, Job: job, Of: of, Progress: p})
	})
	if err != nil {
		return nil, nil, err
	}
	cases, err := Score(cfg.Set, out.Pred)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", job.Name, err)
	}
	rec := &RunRecord{Loss: job.Name, Fingerprint: fp, Steps: out.Steps, Seconds: out.Seconds,
		Finished: time.Now().UTC(), Curve: out.Curve, Cases: cases}
	if err := saveRun(cfg.Out, rec, cfg.Set, out.Pred); err != nil {
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
