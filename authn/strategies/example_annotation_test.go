package strategies_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/kubecache"
)

// The whole chain for access keys. The fake clientset stands in for
// kubernetes.NewForConfig; everything else is as in production.
func ExampleCreatorAnnotation() {
	bindingKey := []byte("example-binding-key-of-32-bytes!") // from a Secret in production

	// What the access-key service wrote when alice created a read-only key.
	key := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "team", Name: "ambient-key-1", UID: "0c6c1d0e-5f3a-4b7e-9d21-7a8c3e2f1b40",
		Annotations: map[string]string{
			strategies.DefaultCreatorAnnotation: "alice@example.com",
			"ambient-code.io/role":              "read",
		},
	}}
	value, err := binding.Sign(bindingKey, binding.Binding{
		Namespace: key.Namespace, Name: key.Name, UID: string(key.UID), Creator: "alice@example.com",
		Attributes: map[string]string{"ambient-code.io/role": "read"},
	})
	if err != nil {
		panic(err)
	}
	key.Annotations[binding.DefaultAnnotation] = value
	// A ServiceAccount that is not a key, and one someone annotated by hand.
	ciBot := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "ci-bot", UID: "uid-ci-bot"}}
	forged := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "team", Name: "forged", UID: "uid-forged",
		Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "bob@example.com"},
	}}

	ctx, cancel := context.WithCancel(context.Background())
	sas, err := kubecache.New(ctx, fake.NewClientset(key, ciBot, forged))
	if err != nil {
		panic(err)
	}
	defer func() { cancel(); sas.Shutdown() }()
	annotation, err := strategies.CreatorAnnotation(sas,
		strategies.RequireSignedBinding(bindingKey), strategies.CopyAttributes("ambient-code.io/role"))
	if err != nil {
		panic(err)
	}
	sas.WaitForSync(ctx, time.Minute)

	trust, err := strategies.TrustPeerCIDRs("127.0.0.1/32")
	if err != nil {
		panic(err)
	}
	forwarded, err := strategies.Forwarded(trust)
	if err != nil {
		panic(err)
	}
	// The subjects below come without their tokens, to keep to the
	// annotation; a real chain verifies them first (see ExampleServiceAccount).
	believe := strategies.InsecureBelieveForwardedSubjects()
	chain, err := authn.NewChain(forwarded, strategies.ServiceAccount(believe), annotation, strategies.Synthetic())
	if err != nil {
		panic(err)
	}

	for _, user := range []string{
		"system:serviceaccount:team:ambient-key-1",
		"system:serviceaccount:team:ci-bot",
		"system:serviceaccount:team:forged",
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
		r.RemoteAddr = "127.0.0.1:52114"
		r.Header.Set("X-Forwarded-User", user)
		p, _, err := chain.Authenticate(r)
		if err != nil {
			fmt.Println(authn.StatusCode(err), err)
			continue
		}
		fmt.Println(p.User.Name, p.Synthetic, p.Actor.Subject(), p.Actor.Attributes, p.Via)
	}
	// Output:
	// alice@example.com false system:serviceaccount:team:ambient-key-1 map[ambient-code.io/role:read] [forwarded serviceaccount annotation]
	// system-serviceaccount-team-ci-bot true system:serviceaccount:team:ci-bot map[] [forwarded serviceaccount synthetic]
	// 401 authn: annotation: rejected: creator annotation failed provenance (binding signature missing)
}
