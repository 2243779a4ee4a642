//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authnlog"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/chiadapter"
	"github.com/authchain/authchain/internal/logcapture"
)

// NewApp returns the service under test: a chi router that mounts, for
// each prefix, chiadapter.Authenticate with that chain in front of GET
// /PREFIX/whoami, which answers the request's Principal as JSON and sets
// WhoamiSawAuthorization. Every decision is logged through authnlog to the
// slog default logger.
func NewApp(chains map[string]*authn.Chain) http.Handler {
	r := chi.NewRouter()
	for prefix, chain := range chains {
		// Each decision is logged, to the slog default logger that TestMain
		// points at its capture, as a production app would log it.
		logged, err := authnlog.Wrap(chain, slog.Default())
		if err != nil {
			panic(err) // only for a nil chain or logger: a bug in the tier
		}
		r.Route("/"+prefix, func(r chi.Router) {
			r.Use(chiadapter.Authenticate(logged))
			r.Get("/whoami", whoami)
		})
	}
	return r
}

// WhoamiSawAuthorization is the response header in which whoami says
// whether the request it handled still had an Authorization header: "true"
// or "false". The chain strips it before the handler.
const WhoamiSawAuthorization = "Whoami-Saw-Authorization"

func whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := authn.FromContext(r.Context())
	w.Header().Set(WhoamiSawAuthorization, strconv.FormatBool(len(r.Header.Values("Authorization")) > 0))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p)
}

// Labels and annotations of access keys, as the platform writes them.
const (
	AccessKeyLabel      = "app"
	AccessKeyLabelValue = "ambient-access-key"
	// RoleAnnotation caps what a key may do; the platform signs it into
	// the key's binding.
	RoleAnnotation = "ambient-code.io/role"
)

// CreateAccessKey creates an access key the way the platform does: a
// ServiceAccount with the access-key label and the creator annotation,
// then, once the API server has assigned its uid, the signed binding of
// that incarnation to creator. extra is added to the annotations. An empty
// creator makes a key without a creator (it gets a synthetic identity).
func CreateAccessKey(ctx context.Context, client kubernetes.Interface, ns, name, creator string, bindingKey []byte, extra map[string]string) (*corev1.ServiceAccount, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name:        name,
		Labels:      map[string]string{AccessKeyLabel: AccessKeyLabelValue},
		Annotations: map[string]string{},
	}}
	for k, v := range extra {
		sa.Annotations[k] = v
	}
	if creator != "" {
		sa.Annotations[strategies.DefaultCreatorAnnotation] = creator
	}
	created, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
	if err != nil || creator == "" {
		return created, err
	}
	return SetCreator(ctx, client, created, creator, bindingKey)
}

// SetCreator records creator on sa with a binding signed for sa's uid, its
// role annotation if it has one, and, when creator is another key, that
// key's current uid, read from the API server as the platform would.
func SetCreator(ctx context.Context, client kubernetes.Interface, sa *corev1.ServiceAccount, creator string, bindingKey []byte) (*corev1.ServiceAccount, error) {
	sa = sa.DeepCopy()
	if sa.Annotations == nil {
		sa.Annotations = map[string]string{}
	}
	sa.Annotations[strategies.DefaultCreatorAnnotation] = creator
	b := binding.Binding{Namespace: sa.Namespace, Name: sa.Name, UID: string(sa.UID), Creator: creator}
	if role, ok := sa.Annotations[RoleAnnotation]; ok {
		b.Attributes = map[string]string{RoleAnnotation: role}
	}
	if authn.IsServiceAccountSubject(creator) {
		ref, err := authn.ParseServiceAccountSubject(creator)
		if err != nil {
			return nil, err
		}
		parent, err := client.CoreV1().ServiceAccounts(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		b.CreatorUID = string(parent.UID)
	}
	value, err := binding.Sign(bindingKey, b)
	if err != nil {
		return nil, err
	}
	sa.Annotations[binding.DefaultAnnotation] = value
	return client.CoreV1().ServiceAccounts(sa.Namespace).Update(ctx, sa, metav1.UpdateOptions{})
}

// mustSignBinding is binding.Sign for a binding known to be valid: a key
// of binding.MinKeyLen bytes or more and a human creator.
func mustSignBinding(key []byte, b binding.Binding) string {
	v, err := binding.Sign(key, b)
	if err != nil {
		panic(err)
	}
	return v
}

// RequestToken asks the API server for a token of the ServiceAccount, valid
// for an hour, for audience.
func RequestToken(ctx context.Context, client kubernetes.Interface, ns, name, audience string) (string, error) {
	expiry := int64(time.Hour / time.Second)
	tr, err := client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: []string{audience}, ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	issuedTokens.Add(tr.Status.Token)
	return tr.Status.Token, nil
}

// issuedTokens are the tokens the API server issued to the run, which
// TestMain looks for in every log line the run wrote.
var issuedTokens logcapture.Secrets
