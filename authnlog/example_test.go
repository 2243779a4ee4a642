package authnlog_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnlog"
	"github.com/authchain/authchain/chiadapter"
)

// Wrap a chain so that every decision is logged, then mount it. The token
// the request carried is in neither record.
func ExampleWrap() {
	chain, err := authn.NewChain(authn.StrategyFunc("demo", func(r *http.Request, sofar authn.Principal) authn.Decision {
		switch r.Header.Get("Authorization") {
		case "":
			return authn.Skip("no token")
		case "Bearer good-secret":
			sofar.User = authn.User{Name: "alice"}
			return authn.Contribute(sofar, "token verified")
		}
		return authn.Reject("token refused")
	}))
	if err != nil {
		panic(err)
	}
	// No time, so that the output is stable.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	logged, err := authnlog.Wrap(chain, log, authnlog.WithRequestAttrs(func(r *http.Request) []slog.Attr {
		return []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path)}
	}))
	if err != nil {
		panic(err)
	}
	h := chiadapter.Authenticate(logged)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	for _, token := range []string{"good-secret", "bad-secret"} {
		r := httptest.NewRequest(http.MethodGet, "/me", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// level=INFO msg=authenticated result=authenticated strategy=demo reason="token verified" user=alice synthetic=false via=[demo] method=GET path=/me
	// level=WARN msg=refused result=rejected strategy=demo reason="token refused" status=401 trace="[{Strategy:demo Outcome:rejected Reason:token refused Detail:}]" method=GET path=/me
}

// A Token prints as Redacted however it is logged or formatted; Reveal
// returns the value.
func ExampleNewToken() {
	tok := authnlog.NewToken("eyJhbGciOiJSUzI1NiJ9.payload.signature")
	fmt.Printf("%v %s %q %x %#v\n", tok, tok, tok, tok, tok)
	slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).Info("calling the API", "token", tok)
	fmt.Println(len(tok.Reveal()))
	// Output:
	// [REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED]
	// {"level":"INFO","msg":"calling the API","token":"[REDACTED]"}
	// 38
}
