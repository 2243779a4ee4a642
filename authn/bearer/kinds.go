package bearer

// Bound-object kinds Kubernetes 1.37 puts in ServiceAccount tokens besides
// a Pod, Node or Secret, spelled as in the token's kubernetes.io claim and
// in a TokenReview's user extra (authentication.kubernetes.io/KIND-name and
// KIND-uid). A token bound to one of them is meant for an admission
// webhook; the token strategies (jwt, tokenreview) refuse it unless told to accept
// the kind with their WithBoundObjectKinds option.
const (
	BoundValidatingWebhookConfiguration = "validatingwebhookconfiguration"
	BoundMutatingWebhookConfiguration   = "mutatingwebhookconfiguration"
)
