//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/binding"
)

const (
	// policyName names the shipped policy and its binding.
	policyName = "authchain-key-annotations"
	// issuerGroup is the group the tier makes key issuers.
	issuerGroup = "e2e:key-issuers"
	// secretValue is written into every protected annotation a denied
	// request tries, and must never come back in a message.
	secretValue = "value-that-must-not-be-echoed"
)

// TestAdmissionPolicy installs deploy/admission and proves, against the
// real API server, who may write the annotations of an access key.
func TestAdmissionPolicy(t *testing.T) {
	h := requireHarness(t)
	cluster := h.StartCluster(t)
	admin := cluster.AdminClient(t)
	ctx := t.Context()

	objs := loadDeploy(t, "admission")
	var issuer string
	for _, obj := range objs {
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			issuer = cm.Data["issuerUsername"]
			cm.Data["issuerGroup"] = issuerGroup // the shipped file names no group
		}
		if err := CreateObject(ctx, admin, obj, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(issuer, "system:serviceaccount:") {
		t.Fatalf("the shipped issuer %q is not a ServiceAccount", issuer)
	}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: keyNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	grantServiceAccountEdit(t, admin, issuer, "mallory@example.com", issuerGroup)

	as := func(user string, groups ...string) kubernetes.Interface {
		cfg := cluster.Config(nil)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return client
	}
	issuerClient := as(issuer)
	groupMember := as("carol@example.com", issuerGroup)
	mallory := as("mallory@example.com")

	took := waitForPolicy(t, mallory)
	h.Report.Addf(t, "policy enforced after %v of probing, begun once its binding was created", took.Round(time.Millisecond))

	creator := strategies.DefaultCreatorAnnotation
	creatorUID := strategies.DefaultCreatorUIDAnnotation
	bindingAnn := binding.DefaultAnnotation
	protectedAnnotations := []string{creator, creatorUID, bindingAnn, RoleAnnotation}

	t.Run("the issuer creates keys", func(t *testing.T) {
		key, err := CreateAccessKey(ctx, issuerClient, keyNamespace, "key-alice", "alice@example.com", bindingKey, map[string]string{RoleAnnotation: "read"})
		if err != nil {
			t.Fatalf("the issuer's create and seal were refused: %v", err)
		}
		if key.Annotations[bindingAnn] == "" {
			t.Fatal("the key has no binding")
		}
		// A key created by a key carries the creator's uid from the start.
		child := newServiceAccount("key-child", map[string]string{
			creator:    "system:serviceaccount:" + keyNamespace + ":key-alice",
			creatorUID: string(key.UID),
		}, nil)
		if _, err := issuerClient.CoreV1().ServiceAccounts(keyNamespace).Create(ctx, child, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := CreateAccessKey(ctx, groupMember, keyNamespace, "key-bob", "bob@example.com", bindingKey, nil); err != nil {
			t.Fatalf("a member of the issuer group was refused: %v", err)
		}
	})

	t.Run("anyone creates a ServiceAccount without them", func(t *testing.T) {
		for i, client := range []kubernetes.Interface{mallory, issuerClient, admin} {
			sa := newServiceAccount("plain-"+string(rune('a'+i)), map[string]string{"example.com/note": "hello"}, map[string]string{AccessKeyLabel: AccessKeyLabelValue})
			if _, err := client.CoreV1().ServiceAccounts(keyNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		// Other annotations of a key stay editable.
		patch := []byte(`{"metadata":{"annotations":{"example.com/note":"edited"}}}`)
		if _, err := mallory.CoreV1().ServiceAccounts(keyNamespace).Patch(ctx, "key-alice", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("another user cannot create one", func(t *testing.T) {
		for i, key := range protectedAnnotations {
			sa := newServiceAccount("forged-"+string(rune('a'+i)), map[string]string{key: secretValue}, nil)
			for who, client := range map[string]kubernetes.Interface{"mallory": mallory, "admin": admin} {
				_, err := client.CoreV1().ServiceAccounts(keyNamespace).Create(ctx, sa, metav1.CreateOptions{})
				wantDenied(t, who+" creates with "+key, err, "only the key issuer may set the annotation "+key)
			}
		}
		sa := newServiceAccount("forged-label", nil, map[string]string{RoleAnnotation: "write"})
		_, err := mallory.CoreV1().ServiceAccounts(keyNamespace).Create(ctx, sa, metav1.CreateOptions{})
		wantDenied(t, "mallory creates with the role label", err, "only the key issuer may set the label "+RoleAnnotation)
	})

	t.Run("nobody edits them", func(t *testing.T) {
		edits := []struct {
			name, want string
			edit       func(sa *corev1.ServiceAccount)
		}{
			{"change the creator", "the annotation " + creator + " of a ServiceAccount cannot be changed or removed",
				func(sa *corev1.ServiceAccount) { sa.Annotations[creator] = secretValue }},
			{"remove the creator", "the annotation " + creator + " of a ServiceAccount cannot be changed or removed",
				func(sa *corev1.ServiceAccount) { delete(sa.Annotations, creator) }},
			{"change the binding", "the annotation " + bindingAnn + " of a ServiceAccount cannot be changed or removed",
				func(sa *corev1.ServiceAccount) { sa.Annotations[bindingAnn] = secretValue }},
			{"remove the binding", "the annotation " + bindingAnn + " of a ServiceAccount cannot be changed or removed",
				func(sa *corev1.ServiceAccount) { delete(sa.Annotations, bindingAnn) }},
			{"change the role", "the annotation " + RoleAnnotation + " of a ServiceAccount cannot be changed or removed",
				func(sa *corev1.ServiceAccount) { sa.Annotations[RoleAnnotation] = secretValue }},
			{"add a creator uid", "the annotation " + creatorUID + " cannot be added to an existing ServiceAccount",
				func(sa *corev1.ServiceAccount) { sa.Annotations[creatorUID] = secretValue }},
			{"add a role label", "the label " + RoleAnnotation + " cannot be added to an existing ServiceAccount",
				func(sa *corev1.ServiceAccount) { sa.Labels[RoleAnnotation] = secretValue }},
			{"drop every annotation", "of a ServiceAccount cannot be changed or removed",
				func(sa *corev1.ServiceAccount) { sa.Annotations = nil }},
		}
		clients := map[string]kubernetes.Interface{"issuer": issuerClient, "issuer group": groupMember, "mallory": mallory, "admin": admin}
		for _, e := range edits {
			for who, client := range clients {
				sa, err := client.CoreV1().ServiceAccounts(keyNamespace).Get(ctx, "key-alice", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				e.edit(sa)
				_, err = client.CoreV1().ServiceAccounts(keyNamespace).Update(ctx, sa, metav1.UpdateOptions{})
				wantDenied(t, who+": "+e.name, err, e.want)
			}
		}
		// A patch is an update too.
		patch := []byte(`{"metadata":{"annotations":{"` + creator + `":null}}}`)
		_, err := mallory.CoreV1().ServiceAccounts(keyNamespace).Patch(ctx, "key-alice", types.MergePatchType, patch, metav1.PatchOptions{})
		wantDenied(t, "mallory patches the creator away", err, "the annotation "+creator+" of a ServiceAccount cannot be changed or removed")
	})

	t.Run("only the issuer seals, once", func(t *testing.T) {
		// Turning a plain ServiceAccount into a key afterwards is refused
		// to everyone, the issuer included.
		for who, client := range map[string]kubernetes.Interface{"issuer": issuerClient, "mallory": mallory} {
			sa, err := client.CoreV1().ServiceAccounts(keyNamespace).Get(ctx, "plain-a", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sa.Annotations[creator] = secretValue
			_, err = client.CoreV1().ServiceAccounts(keyNamespace).Update(ctx, sa, metav1.UpdateOptions{})
			wantDenied(t, who+" adds a creator", err, "the annotation "+creator+" cannot be added to an existing ServiceAccount")
		}
		// The binding annotation may be added by the issuer alone.
		sa, err := mallory.CoreV1().ServiceAccounts(keyNamespace).Get(ctx, "key-child", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sa.Annotations[bindingAnn] = secretValue
		_, err = mallory.CoreV1().ServiceAccounts(keyNamespace).Update(ctx, sa, metav1.UpdateOptions{})
		wantDenied(t, "mallory seals", err, "the annotation "+bindingAnn+" cannot be added to an existing ServiceAccount")
		if _, err := issuerClient.CoreV1().ServiceAccounts(keyNamespace).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("the issuer's seal was refused: %v", err)
		}
	})

	t.Run("without its parameters every write is refused", func(t *testing.T) {
		// Fail closed: with no issuer known, nobody's ServiceAccount write
		// gets through, not even one without the annotations.
		if err := admin.CoreV1().ConfigMaps("authchain-system").Delete(ctx, "authchain-key-issuer", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// The API server answers 422 Invalid here, not 403.
		took := waitForDenial(t, admin, newServiceAccount("plain-after", nil, nil), metav1.StatusReasonInvalid, "no params found")
		h.Report.Addf(t, "every ServiceAccount write refused %v after the parameters were deleted", took.Round(time.Millisecond))
	})
}

// TestDeployManifests proves that deploy/app is valid for the real API
// server: every object passes a server-side dry run of its create, strict
// about unknown fields, and nothing is stored.
func TestDeployManifests(t *testing.T) {
	h := requireHarness(t)
	cluster := h.StartCluster(t)
	admin := cluster.AdminClient(t)
	ctx := t.Context()
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}

	objs := loadDeploy(t, "app")
	kinds := map[string]int{}
	// Namespaced objects are checked in their namespace, so the
	// namespaces are dry-run first and then created for real.
	for _, obj := range objs {
		if _, ok := obj.(*corev1.Namespace); ok {
			if err := CreateObject(ctx, admin, obj, dryRun); err != nil {
				t.Fatal(err)
			}
			if err := CreateObject(ctx, admin, obj, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			kinds["Namespace"]++
		}
	}
	for _, obj := range objs {
		if _, ok := obj.(*corev1.Namespace); ok {
			continue
		}
		if err := CreateObject(ctx, admin, obj, dryRun); err != nil {
			t.Error(err)
		}
		kinds[obj.GetObjectKind().GroupVersionKind().Kind]++
	}
	for _, kind := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Service"} {
		if kinds[kind] == 0 {
			t.Errorf("deploy/app has no %s", kind)
		}
	}
	for _, obj := range objs {
		switch o := obj.(type) {
		case *appsv1.Deployment:
			if _, err := admin.AppsV1().Deployments(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("the dry run stored %s: %v", describe(obj), err)
			}
			checkHardened(t, o)
		case *rbacv1.ClusterRole:
			want := []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"list", "watch"}},
				{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
			}
			if diff := cmp.Diff(want, o.Rules); diff != "" {
				t.Errorf("%s grants more or less than the app needs (-want +got):\n%s", describe(obj), diff)
			}
		case *corev1.ConfigMap:
			switch o.Name {
			case "whoami-kubeconfig":
				checkKubeconfig(t, o)
			case "authchain-config":
				checkChainConfig(t, o)
			default:
				t.Errorf("%s: no check for this ConfigMap", describe(obj))
			}
		}
	}
	h.Report.Addf(t, "deploy/app: %d objects passed a server-side dry run", len(objs))
}

// checkHardened holds the Deployment to what the README promises of it.
func checkHardened(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: the pod may run as root", d.Name)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s: no securityContext", c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s: the root filesystem is writable", c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s: privilege escalation is allowed", c.Name)
		case sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL":
			t.Errorf("%s: capabilities are not all dropped", c.Name)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: no liveness probe on /healthz", c.Name)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s: no readiness probe on /readyz", c.Name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s: no resource requests", c.Name)
		}
	}
}

// checkKubeconfig holds the app's kubeconfig to the pod's own credentials:
// the API server's in-cluster name, its CA and the mounted token.
func checkKubeconfig(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	cfg, err := clientcmd.Load([]byte(cm.Data["kubeconfig"]))
	if err != nil {
		t.Fatalf("%s: %v", cm.Name, err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil || cfg.Clusters[ctx.Cluster] == nil || cfg.AuthInfos[ctx.AuthInfo] == nil {
		t.Fatalf("%s: the current context does not resolve", cm.Name)
	}
	const saDir = "/var/run/secrets/kubernetes.io/serviceaccount/"
	cluster, user := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	if cluster.Server != "https://kubernetes.default.svc" || cluster.CertificateAuthority != saDir+"ca.crt" || user.TokenFile != saDir+"token" {
		t.Errorf("%s: not the pod's in-cluster credentials: server %q, CA %q, token %q", cm.Name, cluster.Server, cluster.CertificateAuthority, user.TokenFile)
	}
}

// checkChainConfig checks that the chain's configuration file loads, with
// its binding key file replaced by a test key.
func checkChainConfig(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	const keyFile = "/etc/authchain/binding/key"
	text := cm.Data["config.yaml"]
	if !strings.Contains(text, keyFile) {
		t.Fatalf("%s: names no %s", cm.Name, keyFile)
	}
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, []byte("deploy-test-binding-key-0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := authnconfig.Parse([]byte(strings.ReplaceAll(text, keyFile, key))); err != nil {
		t.Errorf("%s: %v", cm.Name, err)
	}
}

func loadDeploy(t *testing.T, dir string) []runtime.Object {
	t.Helper()
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := LoadManifests(filepath.Join(root, "deploy", dir))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// grantServiceAccountEdit lets the issuer (a ServiceAccount), another user
// and a group create and edit ServiceAccounts, so that what refuses them
// is the policy and not RBAC.
func grantServiceAccountEdit(t *testing.T, admin kubernetes.Interface, issuer, user, group string) {
	t.Helper()
	ctx := t.Context()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-serviceaccount-editor"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"serviceaccounts"},
			Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"},
		}},
	}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(issuer, ":") // system:serviceaccount:NS:NAME
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-serviceaccount-editor"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{
			{Kind: rbacv1.ServiceAccountKind, Namespace: parts[2], Name: parts[3]},
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user},
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: group},
		},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitForPolicy returns once the API server enforces the policy with its
// parameters: a probe create with a creator annotation by a user who is
// not the issuer is refused with the policy's own message. The policy
// reaches the API server's admission through informers, so this takes a
// moment after the binding is created.
func waitForPolicy(t *testing.T, client kubernetes.Interface) time.Duration {
	t.Helper()
	probe := newServiceAccount("probe", map[string]string{strategies.DefaultCreatorAnnotation: "alice@example.com"}, nil)
	return waitForDenial(t, client, probe, metav1.StatusReasonForbidden, "only the key issuer may set")
}

// waitForDenial creates sa until the API server refuses it for reason with
// a message containing want, deleting it whenever it is allowed, and returns how
// long that took; it fails t after a minute.
func waitForDenial(t *testing.T, client kubernetes.Interface, sa *corev1.ServiceAccount, reason metav1.StatusReason, want string) time.Duration {
	t.Helper()
	ctx := t.Context()
	start := time.Now()
	for {
		_, err := client.CoreV1().ServiceAccounts(keyNamespace).Create(ctx, sa, metav1.CreateOptions{})
		switch {
		case apierrors.ReasonForError(err) == reason && strings.Contains(err.Error(), want):
			return time.Since(start)
		case err == nil:
			if err := client.CoreV1().ServiceAccounts(keyNamespace).Delete(ctx, sa.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		case !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err):
			// Another refusal by admission, while informers catch up, is
			// retried; anything else is not.
			t.Fatalf("creating %s: %v", sa.Name, err)
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("creating %s was not refused with %q within a minute; last answer: %v", sa.Name, want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantDenied fails t unless err is the API server's refusal by the policy
// with a message containing want, and without the value tried.
func wantDenied(t *testing.T, what string, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: allowed", what)
	case !apierrors.IsForbidden(err):
		t.Errorf("%s: %v, want a 403 from the policy", what, err)
	case !strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+policyName+"'") || !strings.Contains(err.Error(), want):
		t.Errorf("%s: %v, want the policy's message %q", what, err, want)
	case strings.Contains(err.Error(), secretValue):
		t.Errorf("%s: the message echoes the value: %v", what, err)
	}
}

func newServiceAccount(name string, annotations, labels map[string]string) *corev1.ServiceAccount {
	if annotations == nil {
		annotations = map[string]string{}
	}
	if labels == nil {
		labels = map[string]string{}
	}
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations, Labels: labels}}
}
