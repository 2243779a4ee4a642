package authnaudit

import (
	"encoding/json"
	"time"

	"github.com/authchain/authchain/authn"
)

// The type of every event, as Kubernetes' TypeMeta spells it. The group is
// authchain's own: the fields follow audit.k8s.io/v1, and a reader that
// checks apiVersion should not take the event for the API server's.
const (
	Kind       = "Event"
	APIVersion = "audit.authchain.dev/v1alpha1"
)

// LevelMetadata is the level of every event: Kubernetes' Metadata level,
// which records who and what but no request or response body.
const LevelMetadata = "Metadata"

// The stages an event is emitted at. An admitted request is recorded when
// authentication is done and before the handler runs, as the API server
// records RequestReceived; a refused one when its response is decided.
const (
	StageRequestReceived = "RequestReceived"
	StageResponseStarted = "ResponseStarted"
)

// The keys of user.extra under which an event records the credential, as
// the Kubernetes API server does for ServiceAccount tokens.
const (
	ExtraCredentialID = "authentication.kubernetes.io/credential-id"
	ExtraPodName      = "authentication.kubernetes.io/pod-name"
	ExtraPodUID       = "authentication.kubernetes.io/pod-uid"
	ExtraNodeName     = "authentication.kubernetes.io/node-name"
	ExtraNodeUID      = "authentication.kubernetes.io/node-uid"
)

// The annotations an event may carry.
const (
	// AnnotationResult: authenticated, unauthenticated, rejected,
	// forbidden, unavailable, or error (outside the authn contract).
	AnnotationResult = "authchain.dev/result"
	// AnnotationStrategy: the strategy that refused, "chain" or
	// "authenticator", or on success the last one that contributed.
	AnnotationStrategy = "authchain.dev/strategy"
	// AnnotationReason: the refusal's or the contribution's Reason.
	AnnotationReason = "authchain.dev/reason"
	// AnnotationDetail: a refusal's Detail, when not empty.
	AnnotationDetail = "authchain.dev/detail"
	// AnnotationVia: the strategies that contributed, comma-separated.
	AnnotationVia = "authchain.dev/via"
	// AnnotationSynthetic: "true" when the effective user stands in for the
	// ServiceAccount.
	AnnotationSynthetic = "authchain.dev/synthetic"
	// AnnotationCredentialType: "jwt" or "tokenreview", when a token was
	// verified.
	AnnotationCredentialType = "authchain.dev/credential-type"
	// AnnotationRequestID: the request id header's value, when valid.
	AnnotationRequestID = "authchain.dev/request-id"
	// AnnotationTraceID: the id WithTraceID found, when valid.
	AnnotationTraceID = "authchain.dev/trace-id"
)

// Event is one authentication decision. Its JSON names and meanings are
// those of the Kubernetes audit Event, except Trace, which Kubernetes does
// not have; timestamps are written in UTC with microseconds, as Kubernetes'
// MicroTime is.
type Event struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Level      string `json:"level"`
	// AuditID is a random UUID, unique to the event.
	AuditID string `json:"auditID"`
	Stage   string `json:"stage"`
	// RequestURI is the request's escaped path. The query is left out:
	// clients put tokens there.
	RequestURI string `json:"requestURI"`
	// Verb is the request's method in lower case, as Kubernetes records a
	// non-resource request.
	Verb string `json:"verb"`
	// User holds the credential: the acting ServiceAccount, or the human
	// who called directly. It is empty when the request was refused.
	User UserInfo `json:"user"`
	// ImpersonatedUser is the effective user when a ServiceAccount acts
	// for them (synthetic or not), and nil otherwise.
	ImpersonatedUser *UserInfo `json:"impersonatedUser,omitempty"`
	// SourceIPs holds the peer's address. Forwarding headers are not
	// read: a client writes them.
	SourceIPs []string `json:"sourceIPs,omitempty"`
	// UserAgent is the client's User-Agent, when it obeys the identity-name
	// rule (authn.CheckName) and is cut to 256 bytes. The client chooses it:
	// do not trust it.
	UserAgent string `json:"userAgent,omitempty"`
	// ResponseStatus is set for a refused request.
	ResponseStatus *ResponseStatus `json:"responseStatus,omitempty"`
	// RequestReceivedTimestamp is when authentication began,
	// StageTimestamp when it ended.
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time `json:"stageTimestamp"`
	// Annotations holds the Annotation… keys above.
	Annotations map[string]string `json:"annotations,omitempty"`
	// Trace holds the decision of every strategy that ran.
	Trace authn.Trace `json:"trace,omitempty"`
}

// UserInfo is an identity as Kubernetes' authentication.k8s.io/v1
// UserInfo spells it.
type UserInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// ResponseStatus is the part of a Kubernetes Status an event records:
// "Failure", the status code, a reason word (Unauthorized, Forbidden,
// ServiceUnavailable, InternalError) and the refusal's Reason as message.
type ResponseStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    int    `json:"code"`
}

// microTime is Kubernetes' MicroTime layout.
const microTime = "2006-01-02T15:04:05.000000Z07:00"

// MarshalJSON writes the event with its timestamps in UTC with
// microseconds.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event // without this method
	return json.Marshal(struct {
		plain
		RequestReceivedTimestamp string `json:"requestReceivedTimestamp"`
		StageTimestamp           string `json:"stageTimestamp"`
	}{plain(e), e.RequestReceivedTimestamp.UTC().Format(microTime), e.StageTimestamp.UTC().Format(microTime)})
}
