package chiadapter_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// exampleGet serves one request as user (forwarded by the example's proxy
// strategy) and prints the status and the problem's detail.
func exampleGet(h http.Handler, path, user string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-Forwarded-User", user)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Printf("GET %s as %s: %d %s\n", path, user, rec.Code, strings.TrimSpace(rec.Body.String()))
}

// exampleChain trusts X-Forwarded-User and, for "key-*" users, sets an
// Actor whose role attribute follows the name, as an access-key chain would.
func exampleChain() *authn.Chain {
	proxy := authn.StrategyFunc("proxy", func(r *http.Request, _ authn.Principal) authn.Decision {
		name := r.Header.Get("X-Forwarded-User")
		if name == "" {
			return authn.Skip("no X-Forwarded-User")
		}
		p := authn.Principal{User: authn.User{Name: "alice"}}
		if role, ok := strings.CutPrefix(name, "key-"); ok {
			p.Actor = &authn.ServiceAccount{Namespace: "team-a", Name: name, Attributes: map[string]string{"example.com/role": role}}
		} else {
			p.User.Name = name
		}
		return authn.Contribute(p, "proxy header")
	})
	chain, err := authn.NewChain(proxy)
	if err != nil {
		panic(err)
	}
	return chain
}

// ExampleRequire writes a policy of its own that answers like the built-in
// Require… middlewares.
func ExampleRequire() {
	notOps := errors.New("only the ops team may do this")
	opsOnly := chiadapter.Require("require-ops", func(p authn.Principal) error {
		if !strings.HasSuffix(p.User.Name, "@ops.example.com") {
			return notOps
		}
		return nil
	})
	r := chi.NewRouter()
	r.Use(chiadapter.Authenticate(exampleChain()))
	r.With(opsOnly).Get("/deploy", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "deploying") })

	exampleGet(r, "/deploy", "sam@ops.example.com")
	exampleGet(r, "/deploy", "alice")
	// Output:
	// GET /deploy as sam@ops.example.com: 200 deploying
	// GET /deploy as alice: 403 {"type":"urn:authchain:problem:forbidden","title":"Forbidden","status":403,"detail":"only the ops team may do this","strategy":"require-ops"}
}

// ExampleRequireActorAttribute caps what an access key may do by a role its
// ServiceAccount carries; its creator, calling directly, is not capped.
func ExampleRequireActorAttribute() {
	r := chi.NewRouter()
	r.Use(chiadapter.Authenticate(exampleChain()))
	r.With(chiadapter.RequireActorAttribute("example.com/role", "editor")).Post("/projects", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "created")
	})
	post := func(user string) {
		req := httptest.NewRequest(http.MethodPost, "/projects", nil)
		req.Header.Set("X-Forwarded-User", user)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Printf("POST as %s: %d %s\n", user, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	post("alice")
	post("key-editor")
	post("key-viewer")
	// Output:
	// POST as alice: 200 created
	// POST as key-editor: 200 created
	// POST as key-viewer: 403 {"type":"urn:authchain:problem:forbidden","title":"Forbidden","status":403,"detail":"access key attribute has a value that is not allowed","strategy":"require-actor-attribute"}
}

// ExampleAuthenticate_wrapped mounts a chain wrapped in an Authenticator of
// its own, here one that counts refusals, as a metrics wrapper would.
func ExampleAuthenticate_wrapped() {
	chain := exampleChain()
	refused := 0
	counting := authn.AuthenticatorFunc(func(r *http.Request) (authn.Principal, authn.Trace, error) {
		p, trace, err := chain.Authenticate(r)
		if err != nil {
			refused++ // a real wrapper would use an atomic counter or a metric
		}
		return p, trace, err
	})
	h := chiadapter.Authenticate(counting)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authn.FromContext(r.Context())
		fmt.Fprint(w, "hello ", p.User.Name)
	}))

	exampleGet(h, "/", "alice")
	exampleGet(h, "/", "")
	fmt.Println("refused:", refused)
	// Output:
	// GET / as alice: 200 hello alice
	// GET / as : 401 {"type":"urn:authchain:problem:unauthenticated","title":"Unauthorized","status":401,"detail":"no identity presented","strategy":"chain"}
	// refused: 1
}
