// Package authnconfig reads a chain from a versioned configuration file and
// builds it with the strategies' own constructors:
//
//	cfg, err := authnconfig.Load("/etc/authchain/chain.yaml")
//	...
//	built, err := cfg.Build(ctx, authnconfig.Deps{Kubernetes: clientset})
//	...
//	defer built.Close()
//	r.Use(chiadapter.Authenticate(built.Chain))
//
// The file is YAML (or JSON) with apiVersion authchain.dev/v1alpha1 and kind
// ChainConfiguration, and lists the strategies in the order they run. It is
// read strictly: an unknown or repeated field is an error, not ignored.
// Secrets (a shared secret, binding keys) and CA and key files are file
// references, never inline values, and are read and checked when the file
// is. Loading reports every problem at once, each with its field path, as
// Kubernetes does ("spec.strategies[2].jwt.audiences: Required value"),
// and never quotes the contents of a referenced file.
//
// Validation rules are CEL expressions that must hold for the resulting
// Principal (Spec.PrincipalValidationRules) or a verified token's claims
// (JWT.ClaimValidationRules); they are compiled when the file is loaded and
// fail closed when they run.
//
// Build returns the chain together with the kubecache.Projection its
// strategies read of a ServiceAccount, so that the cache keeps exactly what
// the chain needs; given a Kubernetes client and no cache, it starts that
// cache itself.
package authnconfig
