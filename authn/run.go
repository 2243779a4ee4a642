package authn

// newRun returns an empty Trace and Via with room for n strategies, backed
// by one allocation where n is small: every chain run needs both, and two
// allocations cost a measurable share of a header-only request
// (BenchmarkChainTwoStrategies). Each chain length up to 6 has its own
// size: rounding a five- or six-strategy chain up to eight cost 200 bytes
// of garbage per request. Both belong to the one run that asked, so
// a caller who edits them edits nothing another request sees.
func newRun(n int) (Trace, []string) {
	switch {
	case n <= 1:
		r := new(struct {
			trace [1]TraceEntry
			via   [1]string
		})
		return r.trace[:0:n], r.via[:0:n]
	case n == 2:
		r := new(struct {
			trace [2]TraceEntry
			via   [2]string
		})
		return r.trace[:0:n], r.via[:0:n]
	case n == 3:
		r := new(struct {
			trace [3]TraceEntry
			via   [3]string
		})
		return r.trace[:0:n], r.via[:0:n]
	case n == 4:
		r := new(struct {
			trace [4]TraceEntry
			via   [4]string
		})
		return r.trace[:0:n], r.via[:0:n]
	case n == 5:
		r := new(struct {
			trace [5]TraceEntry
			via   [5]string
		})
		return r.trace[:0:n], r.via[:0:n]
	case n == 6:
		r := new(struct {
			trace [6]TraceEntry
			via   [6]string
		})
		return r.trace[:0:n], r.via[:0:n]
	case n <= 8:
		r := new(struct {
			trace [8]TraceEntry
			via   [8]string
		})
		return r.trace[:0:n], r.via[:0:n]
	}
	return make(Trace, 0, n), make([]string, 0, n)
}
