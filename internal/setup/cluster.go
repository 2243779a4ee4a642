package setup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"text/template"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/internal/fakecluster"
	"github.com/authchain/authchain/kubecache"
)

// LoadServiceAccounts reads a multi-document YAML (or JSON) stream of
// ServiceAccounts. Any other kind is an error, so a typo cannot silently
// drop an object from a test cluster.
func LoadServiceAccounts(r io.Reader) ([]*corev1.ServiceAccount, error) {
	sas, err := fakecluster.LoadServiceAccounts(r)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return sas, nil
}

// FakeClient returns an in-memory clientset holding the ServiceAccounts.
func FakeClient(sas []*corev1.ServiceAccount) kubernetes.Interface {
	return fakecluster.Client(sas)
}

// FakeCache serves the ServiceAccounts of a YAML stream from an in-memory
// clientset through a synced kubecache.Cache configured by opts, for the
// demo server, tests and benchmarks. Stop it by cancelling ctx, then calling
// Shutdown.
func FakeCache(ctx context.Context, yaml io.Reader, opts ...kubecache.Option) (*kubecache.Cache, error) {
	c, _, err := fakecluster.Start(ctx, yaml, opts...)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return c, nil
}

// ExpandCluster runs the cluster.yaml section of a golden case, a
// text/template with two functions that write the binding
// binding.Sign makes with bindingKey:
//
//	{{sign NS NAME UID CREATOR [KEY=VALUE …]}}
//	{{signChild NS NAME UID CREATOR CREATOR_UID [KEY=VALUE …]}}
//
// sign binds a key created by a user, signChild one created by the key
// CREATOR names, whose UID is CREATOR_UID; each KEY=VALUE is a signed
// attribute.
func ExpandCluster(yamlTemplate []byte, bindingKey string) ([]byte, error) {
	sign := func(ns, name, uid, creator, creatorUID string, attributes []string) (string, error) {
		b := binding.Binding{Namespace: ns, Name: name, UID: uid, Creator: creator, CreatorUID: creatorUID}
		for _, kv := range attributes {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return "", fmt.Errorf("sign: attribute %q is not KEY=VALUE", kv)
			}
			if b.Attributes == nil {
				b.Attributes = map[string]string{}
			}
			b.Attributes[k] = v
		}
		return binding.Sign([]byte(bindingKey), b)
	}
	tmpl, err := template.New("cluster.yaml").Option("missingkey=error").Funcs(template.FuncMap{
		"sign": func(ns, name, uid, creator string, attributes ...string) (string, error) {
			return sign(ns, name, uid, creator, "", attributes)
		},
		"signChild": func(ns, name, uid, creator, creatorUID string, attributes ...string) (string, error) {
			return sign(ns, name, uid, creator, creatorUID, attributes)
		},
	}).Parse(string(yamlTemplate))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, nil); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
