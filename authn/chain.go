package authn

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/authchain/authchain/internal/nilcheck"
)

// Strategy is one step of a Chain. It reads the request and the Principal
// established so far and returns a Decision. A contribution refines sofar
// (copy it, change what the strategy knows) rather than starting afresh, so
// that what earlier strategies proved stays. A strategy never calls another
// strategy and never edits Principal.Via; the chain does that.
type Strategy interface {
	// Name identifies the strategy in Principal.Via, the Trace and errors.
	Name() string
	// Authenticate decides. It should not wait on the network: look-ups are
	// served from caches, and an unready cache is a Fail, not a wait. Where
	// a miss must ask (a TokenReview, a key-set refresh for an unknown key
	// id), the wait is bounded and shared by concurrent callers.
	Authenticate(r *http.Request, sofar Principal) Decision
}

// StrategyFunc adapts a function to a Strategy called name.
func StrategyFunc(name string, decide func(r *http.Request, sofar Principal) Decision) Strategy {
	return funcStrategy{name: name, decide: decide}
}

type funcStrategy struct {
	name   string
	decide func(*http.Request, Principal) Decision
}

func (f funcStrategy) Name() string { return f.name }
func (f funcStrategy) Authenticate(r *http.Request, p Principal) Decision {
	return f.decide(r, p)
}

// Outcome is what a strategy made of a request.
type Outcome uint8

const (
	// NotApplicable: nothing for this strategy here; the chain continues.
	NotApplicable Outcome = iota
	// Contributed: the strategy refined the Principal; the chain continues
	// with the refined one.
	Contributed
	// Rejected: a credential or header was presented and is invalid or
	// untrusted. The chain stops with ErrRejected (401).
	Rejected
	// Failed: an infrastructure error, such as an unsynced cache. The chain
	// stops with ErrUnavailable (503).
	Failed
)

var outcomeNames = [...]string{"not-applicable", "contributed", "rejected", "failed"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// MarshalText encodes the outcome by name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText decodes a name written by MarshalText.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("authn: unknown outcome %q", b)
}

// Decision is a strategy's answer. Build it with Skip, Contribute, Reject or
// Fail.
type Decision struct {
	Outcome Outcome
	// Principal is the refined Principal; the chain reads it only when
	// Outcome is Contributed.
	Principal Principal
	// Reason is a short explanation for the trace and, on rejection, the
	// response body. It names the check that failed ("creator annotation
	// failed provenance") but not the policy behind it, and must not
	// contain a token or a header value.
	Reason string
	// Detail says more about a rejection or failure for the trace, the
	// Error's message and logs, never the response body: which label or
	// namespace a policy required, say. It must not contain a token or a
	// header value either.
	Detail string
	// Cause is an underlying error for Failed (or Rejected) decisions. It
	// reaches logs (it is part of Error's message), not clients, and must
	// not carry a token either: replace an error whose message may quote
	// one, such as a client's error that quotes a response body.
	Cause error
}

// Skip: the strategy does not apply to this request.
func Skip(reason string) Decision { return Decision{Outcome: NotApplicable, Reason: reason} }

// Contribute: p is the refined Principal.
func Contribute(p Principal, reason string) Decision {
	return Decision{Outcome: Contributed, Principal: p, Reason: reason}
}

// Reject: a presented credential or header is invalid or untrusted.
func Reject(reason string) Decision { return Decision{Outcome: Rejected, Reason: reason} }

// Fail: the strategy cannot decide because a dependency is unavailable.
func Fail(reason string, cause error) Decision {
	return Decision{Outcome: Failed, Reason: reason, Cause: cause}
}

// WithDetail returns d with Detail set: what the trace and logs may say
// beyond the Reason a client sees.
func (d Decision) WithDetail(detail string) Decision {
	d.Detail = detail
	return d
}

// TraceEntry records one strategy's decision for one request.
type TraceEntry struct {
	Strategy string  `json:"strategy"`
	Outcome  Outcome `json:"outcome"`
	Reason   string  `json:"reason,omitempty"`
	// Detail is the Decision's Detail: policy details kept out of
	// responses.
	Detail string `json:"detail,omitempty"`
}

// Trace lists the decisions of the strategies that ran, in order. Strategies
// after a rejection or failure did not run and are absent.
type Trace []TraceEntry

// HeaderReader is implemented by a Strategy that reads identity headers. The
// chain strips the headers it lists from every request once the strategies
// have run, as it strips DefaultIdentityHeaders.
type HeaderReader interface {
	// Headers lists the header names, and name prefixes followed by "*",
	// that the strategy reads and a handler must never see.
	Headers() []string
}

// Validator is implemented by a Strategy, or a dependency of one, that can
// tell whether it was built ready to run. NewChain calls Validate on every
// strategy that has it and refuses one that reports an error, so that a
// struct used without its constructor, such as a zero
// &jwt.Strategy{}, is refused when the chain is built rather than
// panicking on the first request. Every built-in strategy implements it,
// with an error wrapping ErrNotBuilt; a custom strategy whose zero value cannot run
// should too, and one that wraps another strategy (for metrics, say)
// should delegate to the wrapped one's Validate, which NewChain cannot
// see through the wrapper.
type Validator interface {
	// Validate returns nil if the value is ready to run, and otherwise an
	// error that says how to build it. It is called once, at construction.
	Validate() error
}

// Chain runs strategies in order to refine one Principal.
//
// A Chain is safe for concurrent use if its strategies are.
type Chain struct {
	strategies []Strategy
	// names are the strategies' names as NewChain checked them: the only
	// names Via, the Trace and errors show, whatever Name returns later.
	names []string
	// stripped is every identity header a handler must not see.
	stripped HeaderSet
}

// NewChain returns a chain of the given strategies, run in the given order.
// Names must be unique and non-empty so that Via and the Trace are
// unambiguous. A nil strategy, a nil pointer (or map, func, …) of a
// strategy type, a StrategyFunc of a nil function, or a Validator whose
// Validate reports an error (a strategy not built by its constructor) is
// refused here rather than panicking on the first request.
//
// The chain strips DefaultIdentityHeaders and the Headers of every strategy
// that is a HeaderReader from each request it authenticates; a strategy
// listing an invalid pattern is refused.
//
// Strategy names are 1 to 63 bytes of lower-case letters, digits, '-', '_'
// and '.', starting and ending with a letter or digit, and unique in the
// chain; "chain" and "authenticator" are reserved for the errors of the
// chain and of chiadapter. A name is what Via, the Trace, errors and logs
// show, so two strategies can never look alike there. Each Name is read
// once, here: the chain shows that name whatever Name returns later.
func NewChain(strategies ...Strategy) (*Chain, error) {
	if len(strategies) == 0 {
		return nil, errors.New("authn: a chain needs at least one strategy")
	}
	seen := make(map[string]bool, len(strategies))
	names := make([]string, len(strategies))
	stripped := []HeaderSet{DefaultIdentityHeaders()}
	for i, s := range strategies {
		if isNil(s) {
			return nil, fmt.Errorf("authn: strategy %d is nil", i)
		}
		name := s.Name()
		if err := checkStrategyName(name); err != nil {
			return nil, fmt.Errorf("authn: strategy %d: name %q %w", i, name, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("authn: strategy %d has a repeated name %q", i, name)
		}
		seen[name] = true
		names[i] = name
		if v, ok := s.(Validator); ok {
			if err := v.Validate(); err != nil {
				return nil, fmt.Errorf("authn: strategy %d (%q): %w", i, name, err)
			}
		}
		if hr, ok := s.(HeaderReader); ok {
			set, err := NewHeaderSet(hr.Headers()...)
			if err != nil {
				return nil, fmt.Errorf("authn: strategy %q: %w", name, err)
			}
			stripped = append(stripped, set)
		}
	}
	return &Chain{
		strategies: append([]Strategy(nil), strategies...),
		names:      names,
		stripped:   HeaderSet{}.Union(stripped...),
	}, nil
}

// WithStrippedHeaders returns a copy of c that also strips the headers
// patterns name (see NewHeaderSet), such as a header an ingress sets for
// another application. c itself is unchanged. An invalid pattern is an
// error.
func (c *Chain) WithStrippedHeaders(patterns ...string) (*Chain, error) {
	extra, err := NewHeaderSet(patterns...)
	if err != nil {
		return nil, err
	}
	out := *c
	out.stripped = c.stripped.Union(extra)
	return &out, nil
}

// StrippedHeaders returns the patterns of every header the chain strips,
// as HeaderSet.Patterns does.
func (c *Chain) StrippedHeaders() []string { return c.stripped.Patterns() }

// Authenticate runs the chain on r and returns the resulting Principal and
// the trace of decisions; it implements Authenticator. The error, when not
// nil, is an *Error wrapping ErrRejected, ErrUnavailable or
// ErrUnauthenticated; the Principal is then the zero value and must not be
// used.
//
// Whatever the outcome, even if a strategy panics, the chain strips every
// header of StrippedHeaders from r itself, in every spelling, once the
// strategies have read what they read (from r.Header, and from the map r
// held on entry if a strategy replaced it). Whatever runs after
// Authenticate sees the stripped request: the handler, and an observer
// (chiadapter.WithObserver) too, never sees an identity header a client
// sent.
//
// A Principal is returned only if it has an effective user, and that user is
// never a bare ServiceAccount subject: a forwarded
// system:serviceaccount:… name that no strategy moved into Actor is refused,
// so a key can never pass as a human called "system:serviceaccount:…".
// Whatever the strategies did, the result also obeys the identity-name rule:
// a human's name passes CheckUserName, a synthetic user's starts with
// SyntheticNamePrefix and passes CheckName, and every group and extra key and
// value passes CheckName. A result that does not is refused (401).
func (c *Chain) Authenticate(r *http.Request) (Principal, Trace, error) {
	// A strategy may have replaced r.Header (a clone of the request, say),
	// and the handler reads whichever map r holds at the end: strip that
	// one, and the one r came with if it is another.
	entry := r.Header
	defer func() {
		c.stripped.Strip(r.Header)
		if !sameMap(entry, r.Header) {
			c.stripped.Strip(entry)
		}
	}()
	trace, via := newRun(len(c.strategies))
	var p Principal
	for i, s := range c.strategies {
		name := c.names[i]
		d := s.Authenticate(r, p)
		trace = append(trace, TraceEntry{Strategy: name, Outcome: d.Outcome, Reason: d.Reason, Detail: d.Detail})
		switch d.Outcome {
		case NotApplicable:
		case Contributed:
			if p.Credential != nil && d.Principal.Credential == nil {
				// Strategies refine sofar; losing a verified token's record
				// is a bug in the strategy, and fails closed.
				return Principal{}, trace, &Error{Strategy: name, Kind: ErrUnavailable, Reason: "strategy dropped the verified credential"}
			}
			// Via grows in place: each strategy saw a prefix of it, and the
			// result is clipped so that an append by the caller copies.
			via = append(via, name)
			p = d.Principal
			p.Via = via[:len(via):len(via)]
		case Rejected:
			return Principal{}, trace, &Error{Strategy: name, Kind: ErrRejected, Reason: d.Reason, Detail: d.Detail, Cause: d.Cause}
		case Failed:
			return Principal{}, trace, &Error{Strategy: name, Kind: ErrUnavailable, Reason: d.Reason, Detail: d.Detail, Cause: d.Cause}
		default:
			return Principal{}, trace, &Error{Strategy: name, Kind: ErrUnavailable, Reason: "strategy returned " + d.Outcome.String()}
		}
	}
	switch {
	case p.User.IsZero() && p.Actor != nil:
		return Principal{}, trace, &Error{Strategy: "chain", Kind: ErrUnauthenticated, Reason: "ServiceAccount has no effective user"}
	case p.User.IsZero():
		return Principal{}, trace, &Error{Strategy: "chain", Kind: ErrUnauthenticated, Reason: "no identity presented"}
	case IsServiceAccountSubject(p.User.Name):
		return Principal{}, trace, &Error{Strategy: "chain", Kind: ErrUnauthenticated, Reason: "ServiceAccount subject was not resolved to an actor"}
	}
	if reason := checkResult(&p); reason != "" {
		return Principal{}, trace, &Error{Strategy: "chain", Kind: ErrUnauthenticated, Reason: reason}
	}
	return p, trace, nil
}

// checkResult applies the identity-name rule to the chain's result, so that
// no strategy, built in or custom, can hand a handler a name the rule
// refuses. It returns why p is refused, or "".
func checkResult(p *Principal) string {
	if p.Synthetic {
		if err := CheckSyntheticName(p.User.Name); err != nil {
			return "synthetic user name " + err.Error()
		}
	} else if err := CheckUserName(p.User.Name); err != nil {
		return "user name " + err.Error()
	}
	if err := CheckName(p.User.UID); err != nil {
		return "user uid " + err.Error()
	}
	if err := CheckName(p.User.Email); err != nil {
		return "user email " + err.Error()
	}
	for _, g := range p.User.Groups {
		if err := CheckName(g); err != nil {
			return "group name " + err.Error()
		}
	}
	for k, vs := range p.User.Extra {
		if err := CheckName(k); err != nil {
			return "extra key " + err.Error()
		}
		for _, v := range vs {
			if err := CheckName(v); err != nil {
				return "extra value " + err.Error()
			}
		}
	}
	return ""
}

// sameMap reports whether a and b are the same map, without allocating.
func sameMap(a, b http.Header) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// isNil reports whether s is nil, holds a nil value of a type that can be
// nil, such as a (*T)(nil) whose methods would dereference it, or is a
// StrategyFunc of a nil function.
func isNil(s Strategy) bool {
	if f, ok := s.(funcStrategy); ok {
		return f.decide == nil
	}
	return nilcheck.IsNil(s)
}

// Strategies returns the names of the chain's strategies in order.
func (c *Chain) Strategies() []string {
	return append([]string(nil), c.names...)
}

// checkStrategyName enforces the strategy-name syntax NewChain documents.
func checkStrategyName(name string) error {
	switch name {
	case "":
		return errors.New("is empty")
	case "chain", "authenticator":
		return errors.New("is reserved")
	}
	if len(name) > 63 {
		return errors.New("is longer than 63 bytes")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(name)-1 || c != '-' && c != '_' && c != '.') {
			return errors.New("must be lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
		}
	}
	return nil
}
