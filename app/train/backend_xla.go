//go:build xla

package train

import (
	"github.com/gomlx/compute"
	xla "github.com/gomlx/go-xla/compute/xla"
)

// With -tags xla the XLA backend (CUDA, TPU or CPU through a PJRT plugin)
// is available as "xla" or "xla:<plugin>". It is opt-in because XLA
// fetches its plugin at run time, which fails offline.
func init() {
	backends["xla"] = func(config string) (compute.Backend, error) { return xla.New(config) }
}
