package compare

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	got, err := Expand("tversky:alpha=0.1..0.9/0.2,beta=1-alpha")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tversky:alpha=0.1,beta=0.9", "tversky:alpha=0.3,beta=0.7", "tversky:alpha=0.5,beta=0.5",
		"tversky:alpha=0.7,beta=0.3", "tversky:alpha=0.9,beta=0.1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expand = %q, want %q", got, want)
	}
	for _, odd := range []string{"dice..", "dice:a..b", "tversky..:alpha=0.3"} {
		if got, err := Expand(odd); err != nil || len(got) != 1 {
			t.Errorf("Expand(%q) = %q, %v: want it unchanged, for Parse to judge", odd, got, err)
		}
	}
	for _, bad := range []string{"tversky:alpha=0.1..0.9", "tversky:alpha=0.9..0.1/0.1", "tversky:alpha=0..1/0",
		"tversky:alpha=0..1/0.5,beta=0..1/0.5", "tversky:alpha=0..100/0.01"} {
		if _, err := Expand(bad); err == nil {
			t.Errorf("Expand(%q): no error", bad)
		}
	}
}

func TestParseLosses(t *testing.T) {
	got, err := ParseLosses(nil)
	if err != nil || !reflect.DeepEqual(Names(got), DefaultLosses) {
		t.Fatalf("defaults: %v, %v", got, err)
	}
	_, err = ParseLosses([]string{"dice", "focal"})
	if err == nil || !strings.Contains(err.Error(), "focal_sigmoid") || !strings.Contains(err.Error(), "tversky") {
		t.Errorf("unknown loss: err %v, want the list of valid names", err)
	}
	if _, err := ParseLosses([]string{"dice", "dice"}); err == nil {
		t.Error("duplicate: no error")
	}
	if _, err := ParseLosses([]string{"dice", "dice:smooth=1e-6"}); err == nil {
		t.Error("duplicate with a default option written out: no error")
	}
	got, err = ParseLosses([]string{"tversky:beta=0.7,alpha=0.3"})
	if err != nil || len(got) != 1 || got[0].String() != "tversky:alpha=0.3,beta=0.7" {
		t.Errorf("one parse per spec: %v %v", got, err)
	}
	if _, err := ParseLosses([]string{"tversky:gamma=2"}); err == nil || !strings.Contains(err.Error(), "alpha") {
		t.Errorf("unknown option: %v", err)
	}
}

// TestSweepSecondFamily checks that compare sweeps the new losses and
// weighted sums like any other spec.
func TestSweepSecondFamily(t *testing.T) {
	got, err := ParseLosses([]string{"topk_ce:k=5..15/5", "dice:mode=multiclass,from_logits=true+topk_ce:k=10..20/10", "dice_focal:gamma=1", "dice+0.5*boundary"})
	if err != nil {
		t.Fatal(err)
	}
	// String drops the default k=10.
	want := []string{"topk_ce:k=5", "topk_ce", "topk_ce:k=15",
		"dice:mode=multiclass,from_logits=true+topk_ce", "dice:mode=multiclass,from_logits=true+topk_ce:k=20",
		"dice_focal:gamma=1", "dice+0.5*boundary"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("spec %d = %q, want %q", i, got[i], want[i])
		}
	}
}
