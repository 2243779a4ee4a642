// Package origin compares URLs by origin (scheme, host and port), for the
// clients that may send credentials only to the hosts they were told of.
package origin

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Parse returns the origin of an absolute https URL as https://host:port,
// with the host in lower case and the port always written, so that equal
// origins compare equal as strings.
func Parse(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", errors.New("not a URL")
	case u.Scheme != "https":
		return "", errors.New("not an https URL")
	case u.Host == "" || u.User != nil:
		return "", errors.New("must be https://HOST[:PORT] without credentials")
	}
	return Of(u), nil
}

// ParseExact is Parse for a value meant to be an origin alone: a path other
// than "/", a query or a fragment is refused rather than silently dropped,
// since it would widen what is allowed from one path to the whole origin.
func ParseExact(s string) (string, error) {
	u, err := url.Parse(s)
	if err == nil && (u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery) {
		return "", errors.New("must be https://HOST[:PORT] without a path, query or fragment")
	}
	return Parse(s)
}

// Of returns scheme://host:port of u, the port filled in for the scheme's
// default.
func Of(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
