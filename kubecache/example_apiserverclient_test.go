package kubecache_test

import (
	"context"
	"log"
	"net/http"

	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

// In a pod, the cluster's keys are fetched from the API server with the
// pod's own token and the cluster's CA: by default the API server serves
// OIDC discovery only to authenticated ServiceAccounts. The token must go
// to the API server alone, under each name it is reached by: the issuer,
// and the origin of the jwks_uri the discovery document names (the API
// server's advertised address, see `kubectl get --raw
// /.well-known/openid-configuration`), which jwks.OIDC must be allowed
// to fetch from. The key set follows key rotation by itself; Synced reports
// readiness.
func ExampleAPIServerHTTPClient() {
	ctx := context.Background() // the process's lifetime
	config, err := rest.InClusterConfig()
	if err != nil {
		log.Fatal(err)
	}
	const (
		issuer     = "https://kubernetes.default.svc.cluster.local"
		jwksOrigin = "https://172.18.0.2:6443"
	)
	client, err := kubecache.APIServerHTTPClient(config, issuer, jwksOrigin)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.OIDC(ctx, issuer,
		jwks.WithHTTPClient(client), jwks.WithOrigins(jwksOrigin))
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	serviceAccountJWT, err := jwt.ServiceAccount(issuer, keys, jwt.WithAudiences("authchain"))
	if err != nil {
		log.Fatal(err)
	}

	chain, err := authn.NewChain(serviceAccountJWT, strategies.Synthetic())
	if err != nil {
		log.Fatal(err)
	}
	_ = chain

	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !keys.Synced() {
			http.Error(w, "service account keys not fetched", http.StatusServiceUnavailable)
		}
	})
}
