// Package regularfile reads configuration files: regular files of bounded
// size only, so that a FIFO, a device or a directory named where a file
// belongs is an error rather than a read that blocks or never ends.
package regularfile

import (
	"errors"
	"fmt"
	"io"
)

// ErrNotRegular is returned for a path that names something other than a
// regular file (after following symbolic links).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned for a file larger than the limit.
var ErrTooLarge = errors.New("too large")

// Read reads the regular file at path, refusing one of more than max
// bytes. The file is opened without blocking (see open), so naming a FIFO
// fails at once instead of waiting for a writer.
func Read(path string, max int64) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w", path, ErrTooLarge)
	}
	return data, nil
}
