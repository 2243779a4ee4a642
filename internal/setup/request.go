package setup

import (
	"fmt"
	"io"
	"net/http"

	"github.com/authchain/authchain/internal/textrequest"
)

// DefaultPeer is the connection peer of a request read by ParseRequest when
// it names none.
const DefaultPeer = textrequest.DefaultPeer

// ParseRequest reads a GET /whoami request written as "Name: value" lines,
// the form of golden cases and of `whoami -explain`. Blank lines and lines
// starting with '#' are ignored. A value in double quotes is unquoted with
// Go syntax, so hostile bytes can be written down. Lines whose name starts
// with '@' are pseudo-headers, returned separately: "@peer" sets the
// connection's remote address; others are for the caller.
//
// Header names are canonicalized as net/http's server does.
func ParseRequest(in io.Reader) (*http.Request, map[string]string, error) {
	r, pseudo, err := textrequest.Parse(in)
	if err != nil {
		return nil, nil, fmt.Errorf("setup: %w", err)
	}
	return r, pseudo, nil
}
