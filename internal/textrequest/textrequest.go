// Package textrequest reads an HTTP request written as "Name: value" lines,
// the form of golden cases and of `whoami -explain`. It holds no test
// dependency, so the demo server and the public test kit share it.
package textrequest

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// DefaultPeer is the connection peer of a request read by Parse when
// it names none.
const DefaultPeer = "127.0.0.1:40000"

// Parse reads a GET /whoami request written as "Name: value" lines,
// the form of golden cases and of `whoami -explain`. Blank lines and lines
// starting with '#' are ignored. A value in double quotes is unquoted with
// Go syntax, so hostile bytes can be written down. Lines whose name starts
// with '@' are pseudo-headers, returned separately: "@peer" sets the
// connection's remote address; others are for the caller.
//
// Header names are canonicalized as net/http's server does.
func Parse(in io.Reader) (*http.Request, map[string]string, error) {
	r, err := http.NewRequest(http.MethodGet, "/whoami", nil)
	if err != nil {
		return nil, nil, err
	}
	r.RemoteAddr = DefaultPeer
	pseudo := map[string]string{}
	sc := bufio.NewScanner(in)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, nil, fmt.Errorf("line %d: want \"Name: value\"", n)
		}
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, `"`) {
			if value, err = strconv.Unquote(value); err != nil {
				return nil, nil, fmt.Errorf("line %d: %w", n, err)
			}
		}
		if strings.HasPrefix(name, "@") {
			pseudo[name[1:]] = value
			continue
		}
		r.Header.Add(name, value)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if peer, ok := pseudo["peer"]; ok {
		r.RemoteAddr = peer
		delete(pseudo, "peer")
	}
	return r, pseudo, nil
}
