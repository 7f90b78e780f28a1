package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/segloss/segloss/maskio"
)

// BenchmarkEvalHippocampus times segloss eval with all metrics on the
// whole hippocampus split (202 volumes), each label map against a copy
// shifted one voxel along x, on one worker and on every CPU, and reports
// the time per volume.
func BenchmarkEvalHippocampus(b *testing.B) {
	labels := filepath.Join(hippocampusDir(b), "labelsTr")
	files, _ := filepath.Glob(filepath.Join(labels, "*.nii.gz"))
	pred := b.TempDir()
	for _, p := range files {
		img, err := maskio.Read(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := maskio.Write(filepath.Join(pred, filepath.Base(p)), shiftX(img)); err != nil {
			b.Fatal(err)
		}
	}
	for _, workers := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				s := &Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
				if code := Main([]string{"eval", "--pred", pred, "--truth", labels, "--metrics", "all",
					"--workers", fmt.Sprint(workers), "--out", filepath.Join(b.TempDir(), "r.txt")}, s); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N*len(files)), "ms/volume")
		})
	}
}
