package spread

import "testing"

func TestOf(t *testing.T) {
	for _, tt := range []struct {
		vs          []float64
		lo, med, hi float64
	}{
		{nil, 0, 0, 0},
		{[]float64{3}, 3, 3, 3},
		{[]float64{4, 1, 3}, 1, 3, 4},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
	} {
		in := append([]float64(nil), tt.vs...)
		lo, med, hi := Of(tt.vs)
		if lo != tt.lo || med != tt.med || hi != tt.hi {
			t.Errorf("Of(%v) = %v, %v, %v; want %v, %v, %v", in, lo, med, hi, tt.lo, tt.med, tt.hi)
		}
		for i := range in {
			if in[i] != tt.vs[i] {
				t.Errorf("Of modified its input: %v, was %v", tt.vs, in)
			}
		}
	}
}
