//go:build !unix

package regularfile

import "os"

// open checks that path is a regular file before opening it, since these
// systems have no non-blocking open; a file swapped for a FIFO in between
// is the remaining window.
func open(path string) (*os.File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, ErrNotRegular
	}
	return os.Open(path)
}
