package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/segloss/segloss"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

func TestLossesListsEveryLoss(t *testing.T) {
	out, errs, code := runCLI(t, "losses")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, name := range segloss.Names() {
		if !strings.Contains(out, string(name)+" ") {
			t.Errorf("losses output lacks %s", name)
		}
	}
	if !strings.Contains(out, "alpha=0.3") && !strings.Contains(out, "tversky") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestLossesDemo(t *testing.T) {
	out, errs, code := runCLI(t, "losses", "--demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// bce and bce_logits see the same batch, as probabilities and as logits.
	var bce, bceLogits bool
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == "bce" {
			bce = f[1] == "binary" && f[2] == "probabilities" && f[3] == "0.301516"
		}
		if len(f) >= 4 && f[0] == "bce_logits" {
			bceLogits = f[1] == "binary" && f[2] == "logits" && f[3] == "0.301516"
		}
	}
	if !bce || !bceLogits {
		t.Errorf("demo output:\n%s", out)
	}
}

func TestUnknownCommandExitsNonZero(t *testing.T) {
	_, errs, code := runCLI(t, "no-such-command")
	if code == 0 || !strings.Contains(errs, "unknown command") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
