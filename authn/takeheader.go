package authn

import (
	"errors"
	"net/http"
)

// Reasons TakeHeader refuses a header. They never quote the value.
var (
	ErrHeaderRepeated     = errors.New("is repeated")
	ErrHeaderNonCanonical = errors.New("was sent under a non-canonical name")
	ErrHeaderTooLong      = errors.New("is too long")
)

// HeaderError says which header TakeHeader refused and why. Its message
// names the header and the reason, never the value, so it may go into a
// Decision's Reason.
type HeaderError struct {
	Header string
	// Err is ErrHeaderRepeated, ErrHeaderNonCanonical, ErrHeaderTooLong or
	// one of the ErrName… reasons of CheckName.
	Err error
}

func (e *HeaderError) Error() string { return e.Header + " header " + e.Err.Error() }

// Unwrap lets errors.Is match the reason.
func (e *HeaderError) Unwrap() error { return e.Err }

// TakeHeader is the strict read of a single-valued credential or identity
// header, for strategy authors: it removes name from h in every spelling
// (any letter case, '_' for '-'), whatever the outcome, so that no handler
// sees a copy, and returns its one value. It returns "" and nil when the
// header is absent or present once with an empty value (no credential
// either way), and a *HeaderError when it is repeated (two values, or
// two spellings), sent under a spelling Go's server never produces (which
// only code or a CGI-style gateway writes), longer than maxLen bytes, or
// not a valid name value (CheckName: control characters, invalid UTF-8,
// invisible characters, surrounding spaces). name must be a valid header
// name; the canonical form is compared. It allocates nothing when the
// header is absent or valid.
func TakeHeader(h http.Header, name string, maxLen int) (string, error) {
	canonical := http.CanonicalHeaderKey(name)
	var (
		values       []string
		spellings    int
		nonCanonical bool
	)
	for k, vs := range h {
		if !HeaderNameEqual(k, canonical) {
			continue
		}
		delete(h, k)
		spellings++
		nonCanonical = nonCanonical || k != canonical
		values = vs
	}
	switch {
	case spellings == 0:
		return "", nil
	case spellings > 1 || len(values) > 1:
		return "", &HeaderError{Header: canonical, Err: ErrHeaderRepeated}
	case nonCanonical:
		return "", &HeaderError{Header: canonical, Err: ErrHeaderNonCanonical}
	case len(values) == 0:
		return "", nil
	}
	v := values[0]
	if len(v) > maxLen {
		return "", &HeaderError{Header: canonical, Err: ErrHeaderTooLong}
	}
	if err := CheckName(v); err != nil {
		return "", &HeaderError{Header: canonical, Err: err}
	}
	return v, nil
}
