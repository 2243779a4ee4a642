// Package authntest is the test kit for authors of authn strategies and
// users of chains: a conformance suite every strategy must pass, request
// builders, a test CA and a token issuer, a fake cluster from YAML, go-cmp
// options for Principals, and a runner for golden cases written as txtar
// files. Import it from tests only.
//
// The smallest use, in a strategy's test:
//
//	func TestAPIKeyConformance(t *testing.T) {
//		authntest.Conformance(t, apiKeyStrategy, authntest.Config{
//			Good:    authntest.Credential{Name: "known key", Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", good)}},
//			Bad:     []authntest.Credential{{Name: "unknown key", Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", bad)}}},
//			Headers: []string{"X-Api-Key"},
//			Secrets: []string{good, bad},
//		})
//	}
//
// Conformance's documentation lists what each check sends and requires.
// Secrets must be at least MinSecretLen bytes long. Some header spellings
// are drawn at random, so that a strategy cannot delete a known list: the
// seed is logged, and a failure's message names it, and setting the
// environment variable AUTHNTEST_SEED (SeedEnv) to it replays the run.
//
// # Golden cases
//
// Golden runs files such as testdata/*.txtar, each a txtar archive of
// sections:
//
//   - config.yaml or config.json (optional, one of them): whatever the
//     caller's build function reads to build its chain, such as an
//     authnconfig file;
//   - cluster.yaml (optional): ServiceAccounts for Cluster, if the build
//     function uses it;
//   - request (required): the request, below;
//   - want.json: the expected result, written by the update switch
//     (WithUpdate).
//
// A section name that appears twice fails the case, since a reader sees
// the first and a runner could check the last.
//
// The request section is a GET /whoami from DefaultPeer, written one
// header a line as "Name: value". Blank lines and lines starting with '#'
// are ignored; a value in double quotes is unquoted with Go syntax, so that
// control characters and invalid UTF-8 can be written down; names are
// canonicalized as net/http's server does (x-forwarded-user becomes
// X-Forwarded-User, and x_forwarded_user X_forwarded_user); a repeated line
// adds a value. Lines
// whose name starts with '@' set the connection:
//
//	@peer: 10.0.0.7:5000
//	@tls-client: NAME trusted|untrusted [server-only]
//
// @tls-client presents a client certificate with common name NAME, signed
// by the CA of GoldenCase.ClientCAs (trusted) or by another CA (untrusted),
// for client authentication or, with server-only, for server
// authentication only. If the section holds "{{" it is first run as a
// text/template with the functions of WithRequestFuncs, such as those of
// Issuer.TemplateFuncs, which mint tokens:
//
//	Authorization: Bearer {{serviceAccountToken "team-a" "builder" "uid-1" "api"}}
//
// want.json is a JSON object: "status" (the HTTP status the middleware
// answered), "principal" (on 200, the Principal in the handler's context),
// "problem" (otherwise, the RFC 9457 body plus "contentType"), "trace" (the
// decisions, as an observer saw them) and "headersAfter" (the request
// headers left for the handler, the values of Authorization and of the
// headers of WithRedactedHeaders written as "<token>"). A member not among
// these, such as a misspelt one, a member named twice in one object at any
// depth, also in two letter cases ("status" and "Status": encoding/json
// matches names case-insensitively and keeps the last), or data after the
// object, fails the case. See testdata/*.txtar of this package for a small
// chain's cases.
package authntest
