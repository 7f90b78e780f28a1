package kernel

import "testing"

func BenchmarkZZParts(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
		seq  bool
	}{{"batch", 8 << 18, false}, {"sample", 1 << 18, true}} {
		src, npos := hingeEntries(c.n)
		out := make([]float32, c.n)
		var s Sorter
		s.SetSequential(c.seq)
		b.Run(c.name+"/copy", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				copy(s.Buffer32(len(src)), src)
			}
		})
		b.Run(c.name+"/sort", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				copy(s.Buffer32(len(src)), src)
				s.sortPacked(len(src), nil)
			}
		})
		b.Run(c.name+"/lovasz-noout", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				copy(s.Buffer32(len(src)), src)
				s.LovaszPacked32(len(src), npos, nil, 1, 1)
			}
		})
		b.Run(c.name+"/lovasz", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				copy(s.Buffer32(len(src)), src)
				s.LovaszPacked32(len(src), npos, out, 1, 1)
			}
		})
	}
}
