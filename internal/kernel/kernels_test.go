package kernel

import (
	"os"
	"testing"
)

// forEachSet runs f once per kernel set this CPU supports, with that set
// selected.
func forEachSet(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	prev := Current()
	defer Set(prev)
	for _, name := range Available() {
		if err := Set(name); err != nil {
			t.Fatal(err)
		}
		t.Run(name, f)
	}
}

func TestKernelsEnv(t *testing.T) {
	if v := os.Getenv("SEGLOSS_KERNELS"); v != "" && v != "auto" && Current() != v {
		t.Fatalf("SEGLOSS_KERNELS=%s but the kernels in use are %s (available: %v)", v, Current(), Available())
	}
	t.Logf("kernels %s, available %v", Current(), Available())
}

func TestSet(t *testing.T) {
	prev := Current()
	defer Set(prev)
	if err := Set("sse9"); err == nil {
		t.Error("Set(sse9): no error")
	}
	if Current() != prev {
		t.Errorf("failed Set changed the kernels to %s", Current())
	}
	for _, name := range []string{"generic", "avx2", "avx512"} {
		err := Set(name)
		ok := false
		for _, a := range Available() {
			ok = ok || a == name
		}
		if (err == nil) != ok {
			t.Errorf("Set(%s) = %v, available %v", name, err, Available())
		}
		if err == nil && Current() != name {
			t.Errorf("Set(%s): Current() = %s", name, Current())
		}
	}
	want := Available()[len(Available())-1]
	if v := os.Getenv("SEGLOSS_KERNELS"); v != "" && v != "auto" {
		want = v
	}
	if err := Set("auto"); err != nil || Current() != want {
		t.Errorf("Set(auto) = %v, Current() = %s", err, Current())
	}
}
