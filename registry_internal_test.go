package segloss

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestZeroOptionsAreDefaults walks the registry: for every loss, New with
// Options{} has exactly the default options, and so does every Options
// that sets one key to its zero value without marking it.
func TestZeroOptionsAreDefaults(t *testing.T) {
	for _, name := range Names() {
		def, err := DefaultOptions(name)
		if err != nil {
			t.Fatal(err)
		}
		l, err := New(name, &Options{})
		if err != nil {
			t.Fatalf("%s: New(Options{}): %v", name, err)
		}
		if got := l.Options(); !reflect.DeepEqual(got, def) {
			t.Errorf("%s: New(Options{}).Options() =\n%+v\nwant\n%+v", name, got, def)
		}
		if s := l.String(); s != string(name) {
			t.Errorf("%s: New(Options{}).String() = %q", name, s)
		}
		for _, key := range OptionNames(name) {
			var o Options
			k := &optKeys[keyIndex[key]]
			if !k.zero(&o) {
				t.Errorf("%s: key %s: Options{} is not its zero value", name, key)
			}
		}
	}
}

// TestZeroWeightsAreNotSilent is the trap of the issue: a PosWeight (or
// BCEWeight, DiceWeight) left at 0 is the default 1, not a zero weight.
func TestZeroWeightsAreNotSilent(t *testing.T) {
	l, err := New(BCELogits, &Options{Mode: Binary, FromLogits: true, Reduction: Mean})
	if err != nil {
		t.Fatal(err)
	}
	b := Batch[float64]{Shape: []int{1, 1, 1}, Input: []float64{-5}, Target: []float64{1}}
	v, err := Eval(l, nil, b)
	if want := math.Log1p(math.Exp(5)); err != nil || math.Abs(v-want) > 1e-12 {
		t.Errorf("bce_logits(-5, 1) = %v, %v; want %v", v, err, want)
	}
	// An explicit zero through SetOption or DefaultOptions is kept.
	o, _ := DefaultOptions(BCELogits)
	o.PosWeight = 0
	l0 := MustNew(BCELogits, &o)
	if v, _ := Eval(l0, nil, b); v != 0 {
		t.Errorf("pos_weight=0 from DefaultOptions: %v, want 0", v)
	}
	l1, err := Parse("bce_logits:pos_weight=0")
	if err != nil || l1.Options().PosWeight != 0 {
		t.Errorf("Parse pos_weight=0: %v %v", l1, err)
	}
	db := MustNew(DiceBCE, &Options{Smooth: 1})
	if o := db.Options(); o.BCEWeight != 1 || o.DiceWeight != 1 || o.Smooth != 1 || !o.FromLogits {
		t.Errorf("dice_bce with Options{Smooth: 1}: %+v", o)
	}
}

// TestDescriptorNeedsFormula: a descriptor without its formula, or
// without a general path, fails register's check; and every registered
// descriptor passes it again.
func TestDescriptorNeedsFormula(t *testing.T) {
	for _, name := range Names() {
		d := *registry[name]
		d.keySet, d.def = nil, Options{}
		if err := d.complete(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		broken := *registry[name]
		if broken.region != nil {
			broken.region = &regionFormula{pooled: broken.region.pooled}
		} else {
			broken.eval = general{}
		}
		if err := broken.complete(); err == nil {
			t.Errorf("%s without its formula: no error", name)
		}
	}
	bad := &descriptor{name: "nothing", kind: kindRegion, keys: []string{"smooth"}}
	if err := bad.complete(); err == nil || !strings.Contains(err.Error(), "formula") {
		t.Errorf("region loss without formula: %v", err)
	}
	if err := (&descriptor{name: "k", kind: kindPixel, keys: []string{"nope"}, eval: registry[BCE].eval}).complete(); err == nil {
		t.Error("unknown key: no error")
	}
	defer func() {
		if recover() == nil {
			t.Error("register of a loss without formula did not panic")
		}
	}()
	register(bad)
}

// TestKeyTable: every key parses its own formatted default, and every key
// a loss lists is in the table.
func TestKeyTable(t *testing.T) {
	for _, name := range Names() {
		d := registry[name]
		for _, k := range optKeys {
			var o Options
			text := k.format(&d.def)
			if err := k.parse(d, &o, text); err != nil {
				t.Errorf("%s: %s=%s: %v", name, k.key, text, err)
			}
			if got := k.format(&o); got != text {
				t.Errorf("%s: %s: %q -> %q", name, k.key, text, got)
			}
		}
	}
}
