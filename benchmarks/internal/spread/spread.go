// Package spread summarises the figures of repeated benchmark rounds, for
// the tables benchtable and e2ebench print.
package spread

import "slices"

// Of returns the smallest, median and largest of vs (the mean of the two
// middle values for an even count), or zeros for none. vs is not modified.
func Of(vs []float64) (lo, median, hi float64) {
	if len(vs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], median, s[n-1]
}
