package train

import (
	"fmt"
	"sort"
	"strings"
)

// An engine trains one model: the network, its optimizer and their state.
// Two engines exist: "native" (package nn of the core module: hand-written
// forward and backward passes, the default when it is compiled in) and
// "gomlx" (the GoMLX graph of package unet, on the pure-Go backend or,
// built with -tags xla, on XLA).
type engine interface {
	// step runs one optimizer step on the batch x [N, C, spatial...] with
	// class labels y [N, spatial...] and pixel weights w [N, spatial...]
	// (nil: none) and returns the batch's loss.
	step(x []float32, y []int32, w []float32, shape []int) (float64, error)
	// forward returns the logits [N, C, spatial...] of x [N, 1, spatial...].
	forward(x []float32, shape []int) ([]float32, error)
	// save records the engine's state (weights, optimizer, step) in c.
	save(c *checkpoint) error
	// restore sets the engine's state from c.
	restore(c *checkpoint) error
}

// engineKind builds the engines of one kind.
type engineKind struct {
	// train returns an engine that trains m with cfg's loss and optimizer
	// settings; compute is the GoMLX compute backend ("go", "xla:...").
	train func(cfg Config, m Model, compute string) (engine, error)
	// open returns the forward pass of the model saved in c.
	open func(m Model, c *checkpoint, compute string) (forwardFunc, error)
}

// engines maps an engine name to its constructors; engine_*.go register
// themselves.
var engines = map[string]engineKind{}

// EngineNames returns the names of the engines compiled in.
func EngineNames() []string {
	var out []string
	for n := range engines {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DefaultBackend returns the backend used when none is given: native when
// it is compiled in, else gomlx.
func DefaultBackend() string {
	if _, ok := engines["native"]; ok {
		return "native"
	}
	return "gomlx"
}

// parseBackend reads a --backend value: "native", "gomlx" (GoMLX on its
// pure-Go backend), "gomlx:xla[:plugin]", or the GoMLX compute backends
// on their own, "go" and "xla[:plugin]" (as before the native engine).
// "" is DefaultBackend. It returns the engine and the GoMLX compute
// backend.
func parseBackend(spec string) (kind, compute string, err error) {
	if spec == "" {
		spec = DefaultBackend()
	}
	name, rest, _ := strings.Cut(spec, ":")
	switch name {
	case "native":
		kind = "native"
		if rest != "" {
			return "", "", fmt.Errorf("train: backend %q: native takes no configuration", spec)
		}
	case "gomlx":
		kind, compute = "gomlx", rest
	case "go", "xla":
		kind, compute = "gomlx", spec
	default:
		return "", "", fmt.Errorf("train: unknown backend %q; want native, gomlx, gomlx:xla[:plugin] (with -tags xla)", spec)
	}
	if compute == "" {
		compute = "go"
	}
	if _, ok := engines[kind]; !ok {
		return "", "", fmt.Errorf("train: backend %q is not compiled in; compiled in: %s", kind, strings.Join(EngineNames(), ", "))
	}
	return kind, compute, nil
}
