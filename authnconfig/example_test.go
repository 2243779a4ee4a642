package authnconfig_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnconfig"
)

// Load reads and checks a file and every file it refers to; Projection
// says what of a ServiceAccount the chain will read.
func ExampleLoad() {
	cfg, err := authnconfig.Load("testdata/example.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range cfg.Spec.Strategies {
		if s.JWT != nil {
			fmt.Println("issuer", s.JWT.Issuer)
		}
	}
	projection, err := cfg.Projection()
	fmt.Println(projection.Labels, err)
	// Output:
	// issuer https://kubernetes.default.svc.cluster.local
	// issuer https://partner.example.com
	// [ambient-code.io/role app] <nil>
}

// Parse reports every problem of a configuration at once, each with its
// field path.
func ExampleParse() {
	_, err := authnconfig.Parse([]byte(`
apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - jwt:
      issuer: https://kubernetes.default.svc.cluster.local
      discovery: {}
  - annotation:
      maxHops: 0
`))
	fmt.Println(err)
	// Output:
	// authnconfig: 3 errors:
	//   spec.strategies[0].jwt.audiences: Required value: a token minted for another service must not authenticate here
	//   spec.strategies[1].annotation: Required value: set requireLabels, requireNamespaces or bindingKeyFiles: anyone who may edit a ServiceAccount could otherwise name any creator
	//   spec.strategies[1].annotation.maxHops: Invalid value: 0: must be at least 1
}

// Build makes the chain and, given a Kubernetes client, the ServiceAccount
// cache projected to what the chain reads.
func ExampleChainConfiguration_Build() {
	cfg, err := authnconfig.Parse([]byte(`
apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - forwarded:
      trust:
        cidrs: [10.0.0.0/8]
  - serviceAccount:
      insecureBelieveForwardedSubjects: true
  - annotation:
      requireLabels: {app: ambient-access-key}
  - synthetic: {}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	client := fake.NewClientset(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "team-a", Name: "ci-key", UID: "uid-ci-key",
		Labels:      map[string]string{"app": "ambient-access-key"},
		Annotations: map[string]string{"ambient-code.io/created-by-user-id": "alice"},
	}})
	ctx := context.Background()
	built, err := cfg.Build(ctx, authnconfig.Deps{Kubernetes: client})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer built.Close()
	built.Cache.WaitForSync(ctx, 10*time.Second)
	fmt.Println(built.Chain.Strategies(), built.Projection.Annotations)

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:41000"
	r.Header.Set("X-Forwarded-User", "system:serviceaccount:team-a:ci-key")
	p, _, err := built.Chain.Authenticate(r)
	fmt.Println(p.User.Name, p.Actor.Subject(), err)
	// Output:
	// [forwarded serviceaccount annotation synthetic] [ambient-code.io/created-by-uid ambient-code.io/created-by-user-id]
	// alice system:serviceaccount:team-a:ci-key <nil>
}

// A principal rule refuses what the strategies established but the
// platform does not allow: here, anyone outside group devs. The client
// sees the rule's message; the trace names the rule.
func ExampleValidationRule() {
	cfg, err := authnconfig.Parse([]byte(`
apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - forwarded:
      trust: {insecureAnyPeer: true}
  principalValidationRules:
  - expression: "'devs' in principal.user.groups"
    message: only developers may use this service
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	built, err := cfg.Build(context.Background(), authnconfig.Deps{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer built.Close()
	for _, groups := range []string{"devs,ops", "sales"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Forwarded-User", "alice")
		r.Header.Set("X-Forwarded-Groups", groups)
		p, trace, err := built.Chain.Authenticate(r)
		last := trace[len(trace)-1]
		if err != nil {
			fmt.Printf("%s: %d %q (%s)\n", groups, authn.StatusCode(err), last.Reason, last.Detail)
			continue
		}
		fmt.Printf("%s: %s, %s %s\n", groups, p.User.Name, last.Strategy, last.Outcome)
	}
	// Output:
	// devs,ops: alice, rules not-applicable
	// sales: 401 "only developers may use this service" (spec.principalValidationRules[0] is false)
}
