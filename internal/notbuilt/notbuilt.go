// Package notbuilt words the error a Validate method returns for a value
// that was not built by its constructor.
package notbuilt

import (
	"fmt"

	"github.com/authchain/authchain/authn"
)

// Error returns an error wrapping authn.ErrNotBuilt that names what was
// not built and the constructor to use.
func Error(what, constructor string) error {
	return fmt.Errorf("%w: %s; use %s", authn.ErrNotBuilt, what, constructor)
}
