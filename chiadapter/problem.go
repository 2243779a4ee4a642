package chiadapter

import (
	"encoding/json"
	"errors"
	"net/http"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/authchain/authchain/authn"
)

// Problem types: the "type" member of every problem body, one per kind of
// authn error, so a client can tell a rejected credential from a missing one
// although both are 401. They are identifiers, not addresses: nothing is
// served at them. An error of no known kind (500) has type "about:blank".
const (
	ProblemTypeUnauthenticated = "urn:authchain:problem:unauthenticated"
	ProblemTypeRejected        = "urn:authchain:problem:rejected"
	ProblemTypeForbidden       = "urn:authchain:problem:forbidden"
	ProblemTypeUnavailable     = "urn:authchain:problem:unavailable"
)

// ProblemContentType is the media type of every body WriteProblem writes
// (RFC 9457).
const ProblemContentType = "application/problem+json"

// internalDetail is the whole detail of a 500: an error that is not an
// *authn.Error has no secret-free text, so none of it is echoed.
const internalDetail = "the request could not be authenticated"

// The values WriteProblem uses when nothing was configured; Authenticate
// starts from the same defaults.
const (
	defaultRealm      = "authchain"
	defaultChallenge  = `Bearer realm="` + defaultRealm + `"`
	defaultRetryAfter = "5"
)

// headerWWWAuthenticate is the canonical form http.Header stores the key
// under, needed for a direct map look-up.
const headerWWWAuthenticate = "Www-Authenticate"

// problem is the RFC 9457 body. Strategy is an extension member naming the
// strategy (or Require* middleware) that stopped the request.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Strategy string `json:"strategy,omitempty"`
}

// WriteProblem writes err as an RFC 9457 application/problem+json response.
// It is the default error writer of Authenticate and the Require*
// middlewares, and is exported so other handlers can answer the same way.
//
// The status is authn.StatusCode(err). The body has "type" (one of the
// ProblemType* constants, or "about:blank" for a 500), "title"
// (http.StatusText of the status), "status", "detail" and "strategy". Detail
// and strategy come from the *authn.Error in err's chain: detail is its
// Reason, which the authn contract keeps free of tokens and header values;
// its Cause never reaches the body. Without an *authn.Error, detail is a
// fixed generic text and err's message is never echoed; an error of no authn
// kind, or nil, is a 500.
//
// Every response carries Cache-Control: no-store and
// X-Content-Type-Options: nosniff; a 401 carries
// WWW-Authenticate: Bearer realm="authchain" and a 503 Retry-After: 5,
// unless the response already has those headers — that is how Authenticate's
// WithRealm and WithRetryAfter take precedence over these defaults.
//
// A nil err, or a nil *authn.Error, is answered like an unknown error.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	if ae, ok := err.(*authn.Error); ok && ae == nil {
		err = nil // errors.Is would call Unwrap on the nil pointer and panic.
	}
	status := authn.StatusCode(err)
	body := problem{Type: problemType(err), Title: http.StatusText(status), Status: status, Detail: internalDetail}
	if ae := asError(err); ae != nil {
		body.Detail = ae.Reason
		body.Strategy = ae.Strategy
	}
	b := body.encode()

	h := w.Header()
	setErrorHeaders(h, status, defaultChallenge, defaultRetryAfter)
	setHeader(h, nil, "Content-Type", ProblemContentType)
	// A Content-Length set for an earlier body would truncate or stall this one.
	h.Del("Content-Length")
	w.WriteHeader(status)
	// The client being gone, or a method without a body, leaves nothing to
	// do.
	_, _ = w.Write(b)
}

// problemBodies keeps the encoded bodies of recent problems. Reasons are
// fixed texts, so a flood of refused requests repeats a few bodies, and
// encoding each again was a third of a refused request's time
// (BenchmarkAuthenticateRejected). Bodies carry no token or header value
// (the authn contract for Reason). A custom strategy with ever new reasons
// only churns the cache, which holds at most 256 bodies of at most
// maxKeptProblem bytes.
var problemBodies = func() *lru.Cache[problem, []byte] {
	c, err := lru.New[problem, []byte](256)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}()

// maxKeptProblem bounds the bodies problemBodies keeps; the built-in
// strategies' are under 300 bytes.
const maxKeptProblem = 1024

// encode returns p as JSON with a final newline, in a slice of the
// caller's own: a writer that edits what it is given, as io.Writer forbids,
// still changes no other response.
func (p problem) encode() []byte {
	kept, ok := problemBodies.Get(p)
	if !ok {
		// The body holds only strings and an int, so Marshal cannot fail.
		kept, _ = json.Marshal(p)
		if len(kept) <= maxKeptProblem {
			problemBodies.Add(p, kept)
		}
	}
	b := make([]byte, len(kept)+1)
	copy(b, kept)
	b[len(kept)] = '\n'
	return b
}

// asError returns the *authn.Error err is or wraps, or nil. The direct case
// first: errors.As needs its target on the heap.
func asError(err error) *authn.Error {
	if ae, ok := err.(*authn.Error); ok {
		return ae
	}
	var ae *authn.Error
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// problemType follows the precedence of authn.StatusCode, so type and status
// never disagree for an error that wraps several kinds.
func problemType(err error) string {
	switch authn.KindOf(err) {
	case authn.ErrUnavailable:
		return ProblemTypeUnavailable
	case authn.ErrForbidden:
		return ProblemTypeForbidden
	case authn.ErrRejected:
		return ProblemTypeRejected
	case authn.ErrUnauthenticated:
		return ProblemTypeUnauthenticated
	default:
		return "about:blank"
	}
}

// setErrorHeaders sets the headers every error response needs. A challenge or
// Retry-After already present is kept, so values the middleware set from its
// options survive a writer that applies defaults.
func setErrorHeaders(h http.Header, status int, challenge, retryAfter string) {
	var vals []string
	switch status {
	case http.StatusUnauthorized:
		if _, ok := h[headerWWWAuthenticate]; !ok {
			vals = setHeader(h, vals, headerWWWAuthenticate, challenge)
		}
	case http.StatusServiceUnavailable:
		if _, ok := h["Retry-After"]; !ok {
			vals = setHeader(h, vals, "Retry-After", retryAfter)
		}
	}
	vals = setHeader(h, vals, "Cache-Control", "no-store")
	setHeader(h, vals, "X-Content-Type-Options", "nosniff")
}

// setHeader sets the canonical key to the single value v, as Header.Set
// does, and returns vals with v appended: the values of one response share
// one array, each header's slice clipped so that an append copies. A header
// that already holds exactly v is left alone: Authenticate sets the error
// headers and WriteProblem sets them again. Header.Set's allocation per
// value was a third of a refused request's (BenchmarkAuthenticateRejected).
func setHeader(h http.Header, vals []string, key, v string) []string {
	if cur := h[key]; len(cur) == 1 && cur[0] == v {
		return vals
	}
	if vals == nil {
		vals = make([]string, 0, 4)
	}
	vals = append(vals, v)
	h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
	return vals
}
