package authnaudit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnaudit"
)

// Wrap a chain so that every decision is audited. An access key's request
// is recorded with the key's ServiceAccount as the user, acting for the
// human who created the key.
func ExampleWrap() {
	chain, err := authn.NewChain(authn.StrategyFunc("demo", func(r *http.Request, sofar authn.Principal) authn.Decision {
		if r.Header.Get("Authorization") == "" {
			return authn.Skip("no token")
		}
		sofar.User = authn.User{Name: "alice"}
		sofar.Actor = &authn.ServiceAccount{Namespace: "team", Name: "key"}
		sofar.Credential = &authn.Credential{Type: "jwt", ID: "JTI=7f3c"}
		return authn.Contribute(sofar, "token verified")
	}))
	if err != nil {
		panic(err)
	}
	audited, err := authnaudit.Wrap(chain, authnaudit.SinkFunc(func(e authnaudit.Event) {
		fmt.Println(e.Stage, e.Verb, e.RequestURI, e.SourceIPs)
		fmt.Println("user:", e.User.Username, e.User.Extra[authnaudit.ExtraCredentialID])
		fmt.Println("impersonated:", e.ImpersonatedUser.Username)
		fmt.Println("request id:", e.Annotations[authnaudit.AnnotationRequestID])
	}))
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/items?page=2", nil)
	r.RemoteAddr = "192.0.2.10:50000"
	r.Header.Set("Authorization", "Bearer a-token-never-recorded")
	r.Header.Set("X-Request-Id", "req-1")
	_, _, _ = audited.Authenticate(r)
	// Output:
	// RequestReceived get /api/items [192.0.2.10]
	// user: system:serviceaccount:team:key [JTI=7f3c]
	// impersonated: alice
	// request id: req-1
}

// NewJSONLines writes the events as a Kubernetes audit log file does, one
// JSON object a line.
func ExampleNewJSONLines() {
	sink := authnaudit.NewJSONLines(os.Stdout)
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	sink.Audit(authnaudit.Event{
		Kind: authnaudit.Kind, APIVersion: authnaudit.APIVersion, Level: authnaudit.LevelMetadata,
		AuditID: "8d2e0f4e-7d1c-4a8b-9a60-0c1d2e3f4a5b", Stage: authnaudit.StageResponseStarted,
		RequestURI: "/api/items", Verb: "get",
		ResponseStatus:           &authnaudit.ResponseStatus{Status: "Failure", Code: 401, Reason: "Unauthorized", Message: "token refused"},
		RequestReceivedTimestamp: at, StageTimestamp: at,
	})
	fmt.Println(sink.Err())
	// Output:
	// {"kind":"Event","apiVersion":"audit.authchain.dev/v1alpha1","level":"Metadata","auditID":"8d2e0f4e-7d1c-4a8b-9a60-0c1d2e3f4a5b","stage":"ResponseStarted","requestURI":"/api/items","verb":"get","user":{},"responseStatus":{"status":"Failure","message":"token refused","reason":"Unauthorized","code":401},"requestReceivedTimestamp":"2026-01-01T12:00:00.000000Z","stageTimestamp":"2026-01-01T12:00:00.000000Z"}
	// <nil>
}
