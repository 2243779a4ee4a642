package authn_test

import (
	"net/http"
	"testing"

	"github.com/authchain/authchain/authn"
)

// TestAttack8StatusCodeOfTypedNilError: StatusCode maps "any other error"
// to 500; a nil *authn.Error held in an error (a wrapper's classic
// mistake) must be one of those, not a panic in errors.Is calling Unwrap
// on the nil pointer.
func TestAttack8StatusCodeOfTypedNilError(t *testing.T) {
	var e *authn.Error
	var err error = e
	got := func() (code int) {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("StatusCode panicked: %v", r)
			}
		}()
		return authn.StatusCode(err)
	}()
	if got != 0 && got != http.StatusInternalServerError {
		t.Errorf("StatusCode = %d, want 500", got)
	}
}
