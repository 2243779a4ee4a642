// Package fakecluster loads ServiceAccounts written as YAML into an
// in-memory clientset and a synced kubecache.Cache. It holds no test
// dependency, so the demo server and the public test kit (authntest) share
// one loader.
package fakecluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authchain/authchain/kubecache"
)

// LoadServiceAccounts reads a multi-document YAML (or JSON) stream of
// ServiceAccounts. Any other kind is an error, so a typo cannot silently
// drop an object from a test cluster.
func LoadServiceAccounts(r io.Reader) ([]*corev1.ServiceAccount, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var out []*corev1.ServiceAccount
	for i := 0; ; i++ {
		var sa corev1.ServiceAccount
		err := dec.Decode(&sa)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if sa.Kind == "" && sa.Name == "" {
			continue // an empty document between separators
		}
		if sa.Kind != "ServiceAccount" || sa.APIVersion != "v1" {
			return nil, fmt.Errorf("document %d is %s %s, want v1 ServiceAccount", i, sa.APIVersion, sa.Kind)
		}
		if sa.Name == "" || sa.Namespace == "" {
			return nil, fmt.Errorf("document %d: ServiceAccount needs a name and a namespace", i)
		}
		out = append(out, &sa)
	}
}

// Client returns an in-memory clientset holding the ServiceAccounts.
func Client(sas []*corev1.ServiceAccount) *fake.Clientset {
	objs := make([]runtime.Object, len(sas))
	for i, sa := range sas {
		objs[i] = sa
	}
	return fake.NewClientset(objs...)
}

// Start serves the ServiceAccounts of a YAML stream from an in-memory
// clientset through a kubecache.Cache configured by opts, and waits (at
// most ten seconds) until it has synced. Stop it by cancelling ctx, then
// calling Shutdown.
func Start(ctx context.Context, yaml io.Reader, opts ...kubecache.Option) (*kubecache.Cache, *fake.Clientset, error) {
	sas, err := LoadServiceAccounts(yaml)
	if err != nil {
		return nil, nil, err
	}
	client := Client(sas)
	c, err := kubecache.New(ctx, client, opts...)
	if err != nil {
		return nil, nil, err
	}
	if !c.WaitForSync(ctx, 10*time.Second) {
		return nil, nil, errors.New("the in-memory ServiceAccount cache did not sync")
	}
	return c, client, nil
}
