package train

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// backends maps a backend name to its constructor. "go" (the pure-Go CPU
// backend) is always there; building with -tags xla adds "xla" (GPUs and
// several devices through XLA/PJRT, see backend_xla.go).
var backends = map[string]func(config string) (compute.Backend, error){
	"go": gobackend.New,
}

// Backends returns the names of the backends compiled in.
func Backends() []string {
	var out []string
	for n := range backends {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// NewBackend returns the backend named spec, "name" or "name:config"
// (for example "go" or "xla:cuda"). GoMLX's default backend list is never
// consulted: it would pull in XLA, which downloads a plugin at run time.
func NewBackend(spec string) (compute.Backend, error) {
	name, config, _ := strings.Cut(spec, ":")
	if name == "" {
		name = "go"
	}
	ctor, ok := backends[name]
	if !ok {
		return nil, fmt.Errorf("train: unknown backend %q; compiled in: %s (build with -tags xla for xla)", name, strings.Join(Backends(), ", "))
	}
	b, err := ctor(config)
	if err != nil {
		return nil, fmt.Errorf("train: backend %q: %w", spec, err)
	}
	return b, nil
}
