package strategies_test

import (
	"fmt"

	"github.com/authchain/authchain/authn/strategies"
)

// A reader over maps fills Labels and Annotations; Label and Annotation
// read them, as they read Values for a cache that keeps them otherwise.
func ExampleServiceAccountMeta_Annotation() {
	sa := strategies.ServiceAccountMeta{
		Namespace: "team", Name: "key-1", UID: "uid-1",
		Labels:      map[string]string{"app": "ambient-access-key"},
		Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice"},
	}
	fmt.Println(sa.Annotation(strategies.DefaultCreatorAnnotation))
	fmt.Println(sa.Label("app"))
	fmt.Println(sa.Label(strategies.DefaultCreatorAnnotation))
	// Output:
	// alice true
	// ambient-access-key true
	//  false
}

// keptValues holds one label, as a cache with its own storage might.
type keptValues struct{ app string }

func (v keptValues) Label(key string) (string, bool) {
	if key != "app" {
		return "", false
	}
	return v.app, true
}

func (keptValues) Annotation(string) (string, bool) { return "", false }

// Values, when set, answers instead of the maps.
func ExampleServiceAccountMeta_Label() {
	sa := strategies.ServiceAccountMeta{
		Namespace: "team", Name: "key-1",
		Labels: map[string]string{"app": "ignored"},
		Values: keptValues{app: "ambient-access-key"},
	}
	fmt.Println(sa.Label("app"))
	// Output: ambient-access-key true
}
