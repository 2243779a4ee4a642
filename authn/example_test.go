package authn_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/authchain/authchain/authn"
)

// A chain of two strategies: the first establishes a human from a header a
// test stands in for, the second refuses a user the service has banned.
// Authenticate returns the Principal, the Trace of decisions, or an
// *authn.Error whose StatusCode is the response status.
func ExampleNewChain() {
	fromHeader := authn.StrategyFunc("demo-user", func(r *http.Request, sofar authn.Principal) authn.Decision {
		name := r.Header.Get("X-Demo-User")
		if name == "" {
			return authn.Skip("no demo user")
		}
		if err := authn.CheckUserName(name); err != nil {
			return authn.Reject("demo user " + err.Error())
		}
		sofar.User = authn.User{Name: name}
		return authn.Contribute(sofar, "demo header")
	})
	banned := authn.StrategyFunc("banned", func(_ *http.Request, sofar authn.Principal) authn.Decision {
		if sofar.User.Name == "mallory" {
			return authn.Reject("user is banned")
		}
		return authn.Skip("not banned")
	})
	chain, err := authn.NewChain(fromHeader, banned)
	if err != nil {
		panic(err)
	}
	for _, user := range []string{"alice", "mallory", ""} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if user != "" {
			r.Header.Set("X-Demo-User", user)
		}
		p, trace, err := chain.Authenticate(r)
		if err != nil {
			fmt.Println(len(trace), authn.StatusCode(err), err)
			continue
		}
		fmt.Println(p.User.Name, p.Via, len(trace))
	}
	// Output:
	// alice [demo-user] 2
	// 2 401 authn: banned: rejected: user is banned
	// 2 401 authn: chain: unauthenticated: no identity presented
}

// StrategyFunc turns a function into a strategy, for small steps and tests.
func ExampleStrategyFunc() {
	maintenance := authn.StrategyFunc("maintenance", func(r *http.Request, _ authn.Principal) authn.Decision {
		return authn.Fail("authentication is paused for maintenance", nil)
	})
	chain, err := authn.NewChain(maintenance)
	if err != nil {
		panic(err)
	}
	_, _, err = chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(maintenance.Name(), authn.StatusCode(err))
	// Output: maintenance 503
}

// The four outcomes a strategy can return.
func ExampleDecision() {
	for _, d := range []authn.Decision{
		authn.Skip("no credential of mine"),
		authn.Contribute(authn.Principal{User: authn.User{Name: "alice"}}, "verified"),
		authn.Reject("credential refused").WithDetail("kept out of responses"),
		authn.Fail("cache not ready", errors.New("informer not synced")),
	} {
		fmt.Printf("%v: %s\n", d.Outcome, d.Reason)
	}
	// Output:
	// not-applicable: no credential of mine
	// contributed: verified
	// rejected: credential refused
	// failed: cache not ready
}

// StatusCode maps an authentication error to the response status.
func ExampleStatusCode() {
	rejected := &authn.Error{Strategy: "jwt", Kind: authn.ErrRejected, Reason: "token expired"}
	unavailable := &authn.Error{Strategy: "annotation", Kind: authn.ErrUnavailable, Reason: "ServiceAccount cache not synced"}
	fmt.Println(authn.StatusCode(rejected), authn.StatusCode(unavailable), authn.StatusCode(errors.New("other")))
	// Output: 401 503 500
}

// The chain strips every spelling of the headers in a set. A strategy
// author rarely needs a HeaderSet directly: declaring authn.HeaderReader is
// enough.
func ExampleHeaderSet() {
	custom, err := authn.NewHeaderSet("X-Api-Key", "X-Tenant-*")
	if err != nil {
		panic(err)
	}
	set := authn.DefaultIdentityHeaders().Union(custom)
	h := http.Header{
		"X-Api-Key":      {"secret"},
		"X_api_key":      {"secret"},
		"X-Tenant-Id":    {"7"},
		"X-Remote-User":  {"alice"},
		"Accept":         {"*/*"},
		"X-Request-Id":   {"42"},
		"X-Forwarded-Me": {"x"},
	}
	set.Strip(h)
	fmt.Println(slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}))
	fmt.Println(set.Contains("x_API_key"), set.Contains("X-Request-Id"))
	// Output:
	// [Accept X-Forwarded-Me X-Request-Id]
	// true false
}

// Header names are compared as a Go server or a CGI-style gateway might
// spell them: letter case and '_' for '-' do not matter.
func ExampleHeaderNameEqual() {
	fmt.Println(authn.HeaderNameEqual("X-Forwarded-User", "x_forwarded_user"))
	fmt.Println(authn.HeaderNameEqual("X-Forwarded-User", "X-Forwarded-Users"))
	// Output:
	// true
	// false
}

func ExampleHeaderNameHasPrefix() {
	fmt.Println(authn.HeaderNameHasPrefix("x_remote_extra_scopes", "X-Remote-Extra-"))
	// Output: true
}

func ExampleValidHeaderName() {
	fmt.Println(authn.ValidHeaderName("X-Api-Key"), authn.ValidHeaderName("X Api Key"), authn.ValidHeaderName(""))
	// Output: true false false
}

// The identity-name rule: CheckName is the format every name obeys;
// CheckUserName adds what a human's name may not claim; CheckGroupName
// what a proxy-asserted group may not; CheckSyntheticName what only a
// synthetic stand-in may be.
func ExampleCheckName() {
	for _, name := range []string{"alice@example.com", " alice", "al\u200bice", "al\x00ice"} {
		fmt.Printf("%q: %v\n", name, authn.CheckName(name))
	}
	// Output:
	// "alice@example.com": <nil>
	// " alice": contains white space other than inner U+0020
	// "al\u200bice": contains an invisible format character
	// "al\x00ice": contains a control character
}

func ExampleCheckUserName() {
	for _, name := range []string{"alice", "system:admin", "System:Admin", "system-serviceaccount-team-bot"} {
		fmt.Printf("%s: %v\n", name, authn.CheckUserName(name))
	}
	// Output:
	// alice: <nil>
	// system:admin: uses the reserved system: prefix
	// System:Admin: uses the reserved system: prefix
	// system-serviceaccount-team-bot: uses the reserved synthetic-user prefix
}

func ExampleCheckGroupName() {
	fmt.Println(authn.CheckGroupName("platform-admins"), authn.CheckGroupName("system:masters"))
	// Output: <nil> uses the reserved system: prefix
}

func ExampleCheckSyntheticName() {
	fmt.Println(authn.CheckSyntheticName("system-serviceaccount-team-bot"))
	fmt.Println(authn.CheckSyntheticName("alice"))
	// Output:
	// <nil>
	// lacks the synthetic prefix
}

func ExampleLegacyID() {
	fmt.Println(authn.LegacyID("system:serviceaccount:team:bot"), authn.LegacyID("Alice Smith/ops"))
	// Output: system-serviceaccount-team-bot Alice-Smith-ops
}

// A ServiceAccount subject, as a proxy forwards it for a token.
func ExampleParseServiceAccountSubject() {
	sa, err := authn.ParseServiceAccountSubject("system:serviceaccount:team:ci-bot")
	fmt.Println(sa.Namespace, sa.Name, err, authn.IsServiceAccountSubject("alice"))
	_, err = authn.ParseServiceAccountSubject("system:serviceaccount:team")
	fmt.Println(err)
	// Output:
	// team ci-bot <nil> false
	// ServiceAccount subject must be system:serviceaccount:NAMESPACE:NAME
}

func ExampleIsServiceAccountSubject() {
	fmt.Println(authn.IsServiceAccountSubject("system:serviceaccount:team:bot"), authn.IsServiceAccountSubject("alice"))
	// Output: true false
}

// The chi adapter puts the Principal and Trace in the request context; a
// handler reads them back. Tests of handlers put them there themselves.
// Alice acts through her key: the request is a human's (IsHuman), made
// with a ServiceAccount (Actor).
func ExampleFromContext() {
	ctx := authn.NewContext(context.Background(), authn.Principal{
		User:  authn.User{Name: "alice"},
		Actor: &authn.ServiceAccount{Namespace: "team", Name: "key-1"},
	})
	p, ok := authn.FromContext(ctx)
	fmt.Println(ok, p.User.Name, p.Actor.Subject(), p.IsHuman())
	_, ok = authn.FromContext(context.Background())
	fmt.Println(ok)
	// Output:
	// true alice system:serviceaccount:team:key-1 true
	// false
}

func ExampleNewContext() {
	ctx := authn.NewContext(context.Background(), authn.Principal{User: authn.User{Name: "alice"}})
	p, _ := authn.FromContext(ctx)
	fmt.Println(p.User.Name)
	// Output: alice
}

func ExampleTraceFromContext() {
	ctx := authn.NewTraceContext(context.Background(), authn.Trace{
		{Strategy: "forwarded", Outcome: authn.Contributed, Reason: "trusted proxy"},
	})
	for _, e := range authn.TraceFromContext(ctx) {
		fmt.Println(e.Strategy, e.Outcome, e.Reason)
	}
	// Output: forwarded contributed trusted proxy
}

func ExampleNewTraceContext() {
	ctx := authn.NewTraceContext(context.Background(), authn.Trace{{Strategy: "jwt", Outcome: authn.NotApplicable}})
	fmt.Println(len(authn.TraceFromContext(ctx)))
	// Output: 1
}

func ExampleNewRequestContext() {
	trace := authn.Trace{{Strategy: "forwarded", Outcome: authn.Contributed}}
	ctx := authn.NewRequestContext(context.Background(), authn.Principal{User: authn.User{Name: "alice"}}, trace)
	p, _ := authn.FromContext(ctx)
	fmt.Println(p.User.Name, authn.TraceFromContext(ctx)[0].Strategy)
	// Output: alice forwarded
}

func ExampleKindOf() {
	err := &authn.Error{Strategy: "jwt", Kind: authn.ErrRejected, Reason: "token expired"}
	fmt.Println(authn.KindOf(err) == authn.ErrRejected, authn.KindOf(errors.New("other")))
	// Output: true <nil>
}
