package authnconfig_test

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authchain/authchain/authnconfig"
)

// Synced answers a readiness probe: the chain is ready once the
// ServiceAccount cache Build started has synced.
func ExampleBuilt_Synced() {
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
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	client := fake.NewClientset(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "ci-key"}})
	built, err := cfg.Build(context.Background(), authnconfig.Deps{Kubernetes: client})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer built.Close()
	// http.HandleFunc("/readyz", ...) would answer 503 until then.
	built.Cache.WaitForSync(context.Background(), 10*time.Second)
	fmt.Println(built.Synced())
	// Output: true
}
