package assertion

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// DiscoveryPath is where DiscoveryHandler belongs: OpenID Connect
// discovery's well-known path under the issuer, which jwks.OIDC reads.
const DiscoveryPath = "/.well-known/openid-configuration"

// DiscoveryHandler returns an http.Handler that serves, to GET and HEAD,
// the discovery document of the Signer's issuer: "issuer" and "jwks_uri",
// the issuer followed by jwksPath (where KeyRing.Handler is mounted, such
// as "/.well-known/jwks.json"), with the Cache-Control of the key set.
// Mounted at DiscoveryPath under the issuer, it lets a verifier keep the
// keys current with jwks.OIDC, as Kubernetes publishes its ServiceAccount
// issuer's keys. jwksPath must start with "/".
func (s *Signer) DiscoveryHandler(jwksPath string) http.Handler {
	if !strings.HasPrefix(jwksPath, "/") {
		panic("assertion: DiscoveryHandler: jwksPath must start with /")
	}
	body, err := json.Marshal(struct {
		Issuer        string   `json:"issuer"`
		JWKSURI       string   `json:"jwks_uri"`
		Algorithms    []string `json:"id_token_signing_alg_values_supported"`
		ResponseTypes []string `json:"response_types_supported"`
		SubjectTypes  []string `json:"subject_types_supported"`
	}{
		Issuer:  s.issuer,
		JWKSURI: strings.TrimSuffix(s.issuer, "/") + jwksPath,
		// The fields discovery requires (OpenID Connect Discovery 1.0,
		// section 3), for clients that check them.
		Algorithms: []string{"ES256", "EdDSA"}, ResponseTypes: []string{"id_token"}, SubjectTypes: []string{"public"},
	})
	if err != nil {
		panic(err) // strings only
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(JWKSCacheMaxAge.Seconds())))
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
}
