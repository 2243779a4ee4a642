package binding

// IsLabelKey exposes the label-key rule to the external tests, which
// compare it with the Kubernetes validation it replaces.
var IsLabelKey = isLabelKey
