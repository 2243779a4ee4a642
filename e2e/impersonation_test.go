//go:build linux

package e2e

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/impersonate"
)

// TestImpersonationSelfSubjectReview asks the real API server who a client
// built with impersonate.For is: the human, her groups (and
// system:authenticated, which the API server adds), and the acting
// ServiceAccount in the extra that impersonate.Config records. The
// impersonating ServiceAccount holds exactly impersonateRules; one
// without them, and one allowed users and groups but not the actor's
// extra keys, are refused (403), so the actor cannot be dropped on the way.
func TestImpersonationSelfSubjectReview(t *testing.T) {
	h := requireHarness(t)
	cluster := h.StartCluster(t)
	admin := cluster.AdminClient(t)
	ctx := t.Context()

	// SelfSubjectReview is GA (authentication.k8s.io/v1) since Kubernetes 1.28.
	version, err := admin.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	resources, err := admin.Discovery().ServerResourcesForGroupVersion(authenticationv1.SchemeGroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(resources.APIResources, func(r metav1.APIResource) bool { return r.Name == "selfsubjectreviews" }) {
		t.Fatalf("kube-apiserver %s does not serve selfsubjectreviews in %s", version.GitVersion, authenticationv1.SchemeGroupVersion)
	}
	h.Report.Addf(t, "kube-apiserver %s serves %s selfsubjectreviews", version.GitVersion, authenticationv1.SchemeGroupVersion)

	const ns = "backend"
	createNamespace(t, admin, ns)
	backend := serviceAccountConfig(t, cluster, admin, ns, "backend", nil)
	grantClusterRole(t, admin, ns, "backend", impersonateRules())
	unprivileged := serviceAccountConfig(t, cluster, admin, ns, "no-impersonation", nil)
	usersOnly := serviceAccountConfig(t, cluster, admin, ns, "users-and-groups-only", nil)
	grantClusterRole(t, admin, ns, "users-and-groups-only", impersonateRules()[:1])

	p := authn.Principal{
		User:  authn.User{Name: "alice@example.com", Groups: []string{"devs", "ops"}},
		Actor: &authn.ServiceAccount{Namespace: keyNamespace, Name: "ambient-key-alice", UID: "5f0c2a3e-8d1b-4c7a-9e6f-2b3d4c5e6f70"},
	}
	review := func(t *testing.T, cfg *rest.Config, p authn.Principal) (authenticationv1.UserInfo, error) {
		t.Helper()
		as, err := impersonate.For(cfg, p)
		if err != nil {
			t.Fatal(err)
		}
		client, err := kubernetes.NewForConfig(as)
		if err != nil {
			t.Fatal(err)
		}
		got, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return authenticationv1.UserInfo{}, err
		}
		return got.Status.UserInfo, nil
	}

	t.Run("the human, acting through the key", func(t *testing.T) {
		got, err := review(t, backend, p)
		if err != nil {
			t.Fatal(err)
		}
		want := authenticationv1.UserInfo{
			Username: "alice@example.com",
			Groups:   []string{"devs", "ops", "system:authenticated"},
			Extra: map[string]authenticationv1.ExtraValue{
				impersonate.ActorExtraKey:    {"system:serviceaccount:keys:ambient-key-alice"},
				impersonate.ActorUIDExtraKey: {p.Actor.UID},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SelfSubjectReview (-want +got):\n%s", diff)
		}
	})
	for name, cfg := range map[string]*rest.Config{
		"refused without permission to impersonate":        unprivileged,
		"refused without permission for the actor's extra": usersOnly,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := review(t, cfg, p); !apierrors.IsForbidden(err) {
				t.Errorf("got %v, want 403 Forbidden", err)
			}
		})
	}
	// The refusal above is the actor's extra: the same ServiceAccount may
	// impersonate the human alone.
	t.Run("users and groups alone suffice without an actor", func(t *testing.T) {
		human := authn.Principal{User: p.User}
		got, err := review(t, usersOnly, human)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != p.User.Name || len(got.Extra) != 0 {
			t.Errorf("got %+v, want %s without extra", got, p.User.Name)
		}
	})
}

// impersonateRules are what a service needs to impersonate a Principal
// with impersonate.For: users and groups, then the actor's two extra keys
// (resource userextras/KEY of authentication.k8s.io). Users without a uid
// need no "uids".
func impersonateRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"users", "groups"}, Verbs: []string{"impersonate"}},
		{
			APIGroups: []string{authenticationv1.GroupName},
			Resources: []string{"userextras/" + impersonate.ActorExtraKey, "userextras/" + impersonate.ActorUIDExtraKey},
			Verbs:     []string{"impersonate"},
		},
	}
}

// grantClusterRole creates a ClusterRole with rules for the
// ServiceAccount ns/name alone and binds it.
func grantClusterRole(t *testing.T, admin kubernetes.Interface, ns, name string, rules []rbacv1.PolicyRule) {
	t.Helper()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ns + ":" + name}, Rules: rules}
	if _, err := admin.RbacV1().ClusterRoles().Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// serviceAccountConfig creates the ServiceAccount ns/name and returns a
// client configuration that authenticates as it to the API server, with a
// token for the API server's audience. wrap, if not nil, wraps its
// transport.
func serviceAccountConfig(t *testing.T, cluster *Cluster, admin kubernetes.Interface, ns, name string, wrap func(http.RoundTripper) http.RoundTripper) *rest.Config {
	t.Helper()
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server's audience is its issuer, cluster.URL.
	token, err := RequestToken(t.Context(), admin, ns, name, cluster.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := cluster.Config(wrap)
	cfg.BearerToken = token
	cfg.UserAgent = "authchain-e2e-" + name
	return cfg
}

func createNamespace(t *testing.T, admin kubernetes.Interface, name string) {
	t.Helper()
	if _, err := admin.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
