// Package bad documents its helpers, as helperFunc shows; a cache is fine in
// prose.
package bad

// Exported calls verifyToken, then [cache].
func Exported() { _ = verifyToken() }

// Config is configured.
type Config struct {
	// Field is read by parseLimit.
	Field int
}

// Limit is cache.size, the lookup bound.
const Limit = 3

type cache struct{ size int }

func verifyToken() bool { return helperFunc() }

func helperFunc() bool { return lookup() }

func lookup() bool { return parseLimit() == 0 }

func parseLimit() int { return cache{}.size }
