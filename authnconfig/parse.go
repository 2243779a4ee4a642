package authnconfig

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/authchain/authchain/internal/regularfile"
)

// MaxFileBytes bounds a configuration file and every file it refers to.
const MaxFileBytes = 1 << 20

// ParseOption configures Parse.
type ParseOption func(*parseConfig)

type parseConfig struct{ dir string }

// WithDir resolves the relative file references of the configuration
// (secret, key and CA files) against dir; the default is the working
// directory. Load uses the configuration file's directory.
func WithDir(dir string) ParseOption {
	return func(c *parseConfig) { c.dir = dir }
}

// Load reads the configuration file at path, as Parse does, with relative
// file references resolved against the file's directory.
func Load(path string) (*ChainConfiguration, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("authnconfig: %w", err)
	}
	cfg, err := Parse(data, WithDir(filepath.Dir(path)))
	if e, ok := err.(*Error); ok {
		e.File = path
	}
	return cfg, err
}

// Parse decodes a configuration from YAML (or JSON) and validates it whole:
// unknown and repeated fields are refused, every setting is checked, every
// file it refers to is read and checked, and every strategy is built once
// with stand-in dependencies (nothing is fetched, no goroutine is left), so
// that what its constructor refuses is refused here. The error is an *Error
// listing every problem with its field path; it never quotes the contents of
// a referenced file.
func Parse(data []byte, opts ...ParseOption) (*ChainConfiguration, error) {
	var pc parseConfig
	for _, o := range opts {
		if o != nil {
			o(&pc)
		}
	}
	cfg, errs := decode(data)
	if len(errs) > 0 {
		return nil, &Error{Errors: errs}
	}
	cfg.dir = pc.dir
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// check validates c, reads its files into c.files and builds its strategies
// with stand-ins. It returns nil or an *Error.
func (c *ChainConfiguration) check() *Error {
	errs := c.validate()
	files, ferrs := c.readFiles()
	errs = append(errs, ferrs...)
	if len(errs) > 0 {
		return &Error{Errors: errs}
	}
	c.files = files
	b := &builder{cfg: c, dry: true}
	b.chain()
	b.close()
	return b.err()
}

var errTooLarge = fmt.Errorf("larger than %d bytes", MaxFileBytes)

// readFile reads path, refusing one larger than MaxFileBytes and anything
// but a regular file (a FIFO would block the load).
func readFile(path string) ([]byte, error) {
	data, err := regularfile.Read(path, MaxFileBytes)
	if errors.Is(err, regularfile.ErrTooLarge) {
		return nil, fmt.Errorf("%s: %w", path, errTooLarge)
	}
	return data, err
}
