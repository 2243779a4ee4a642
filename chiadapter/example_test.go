package chiadapter_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// Example mounts a chain on a chi router: every route needs an identity,
// /admin also needs the "admins" group.
func Example() {
	// An OAuth proxy in front sets X-Forwarded-User; a real chain would also
	// check that the header came from the proxy.
	proxy := authn.StrategyFunc("proxy", func(r *http.Request, _ authn.Principal) authn.Decision {
		name := r.Header.Get("X-Forwarded-User")
		if name == "" {
			return authn.Skip("no X-Forwarded-User")
		}
		return authn.Contribute(authn.Principal{User: authn.User{Name: name, Groups: r.Header.Values("X-Forwarded-Groups")}}, "proxy header")
	})
	chain, err := authn.NewChain(proxy)
	if err != nil {
		panic(err)
	}

	r := chi.NewRouter()
	r.Use(chiadapter.Authenticate(chain, chiadapter.WithRealm("console")))
	r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
		p, _ := authn.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s (via %v)\n", p.User.Name, p.Via)
	})
	r.With(chiadapter.RequireGroup("admins")).Get("/admin", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "welcome, admin")
	})

	get := func(path, user string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if user != "" {
			req.Header.Set("X-Forwarded-User", user)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Printf("GET %s as %q: %d\n", path, user, rec.Code)
		if challenge := rec.Header().Get("WWW-Authenticate"); challenge != "" {
			fmt.Println("WWW-Authenticate:", challenge)
		}
		fmt.Print(rec.Body.String())
	}
	get("/me", "alice")
	get("/me", "")
	get("/admin", "alice")

	// Output:
	// GET /me as "alice": 200
	// hello alice (via [proxy])
	// GET /me as "": 401
	// WWW-Authenticate: Bearer realm="console"
	// {"type":"urn:authchain:problem:unauthenticated","title":"Unauthorized","status":401,"detail":"no identity presented","strategy":"chain"}
	// GET /admin as "alice": 403
	// {"type":"urn:authchain:problem:forbidden","title":"Forbidden","status":403,"detail":"user is not in a required group","strategy":"require-group"}
}
