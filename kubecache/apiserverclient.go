package kubecache

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/authchain/authchain/internal/origin"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
)

// APIServerHTTPClient returns a client for jwks.OIDC in a cluster: it
// trusts the cluster's CA, as cfg says, and attaches cfg's credentials (the
// pod's ServiceAccount token from rest.InClusterConfig, re-read as the
// kubelet rotates it) only to requests for the API server: the origin of
// cfg.Host and the alsoAPIServer origins, which the caller asserts reach the
// same API server under other names. Every other request goes out with no
// credentials at all, so a discovery document or a redirect naming a
// foreign host never learns the token. A typical cluster needs two such
// names: the issuer (https://kubernetes.default.svc.cluster.local) and the
// origin of the jwks_uri its discovery document names (the API server's
// advertised address), which jwks.OIDC must also be told to allow with
// jwks.WithOrigins:
//
//	config, _ := rest.InClusterConfig()
//	client, _ := kubecache.APIServerHTTPClient(config, issuer, jwksOrigin)
//	keys, _ := jwks.OIDC(ctx, issuer,
//		jwks.WithHTTPClient(client), jwks.WithOrigins(jwksOrigin))
//
// Requests to other hosts are verified against cfg's CA alone, like the
// API server's. It returns an error if cfg is nil, cfg's transport cannot
// be built, or an alsoAPIServer value is not an https URL.
func APIServerHTTPClient(cfg *rest.Config, alsoAPIServer ...string) (*http.Client, error) {
	if cfg == nil {
		return nil, errors.New("kubecache: APIServerHTTPClient: config is nil")
	}
	host, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubecache: APIServerHTTPClient: %w", err)
	}
	origins := []string{origin.Of(host)}
	for _, o := range alsoAPIServer {
		parsed, err := origin.Parse(o)
		if err != nil {
			return nil, fmt.Errorf("kubecache: APIServerHTTPClient: %.200q: %v", o, err)
		}
		origins = append(origins, parsed)
	}
	withCredentials, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubecache: APIServerHTTPClient: %w", err)
	}
	anonymous, err := rest.TransportFor(rest.AnonymousClientConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("kubecache: APIServerHTTPClient: %w", err)
	}
	return &http.Client{
		Transport: &apiServerTransport{origins: origins, withCredentials: withCredentials, anonymous: anonymous},
		Timeout:   cfg.Timeout,
	}, nil
}

// apiServerTransport sends requests for the API server's origins through a
// transport with credentials, and all others through one without.
type apiServerTransport struct {
	origins                    []string
	withCredentials, anonymous http.RoundTripper
}

func (t *apiServerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if slices.Contains(t.origins, origin.Of(req.URL)) {
		return t.withCredentials.RoundTrip(req)
	}
	return t.anonymous.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of both transports.
func (t *apiServerTransport) CloseIdleConnections() {
	utilnet.CloseIdleConnectionsFor(t.withCredentials)
	utilnet.CloseIdleConnectionsFor(t.anonymous)
}
