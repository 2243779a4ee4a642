// Package binding signs and verifies the binding that ties an access key's
// ServiceAccount to the user who created it and to the attributes
// authorization reads from it (its role). The service that issues keys
// signs with Sign and writes the value to DefaultAnnotation; the annotation
// strategy of package authn/strategies verifies it with a Verifier.
//
// The package imports only the standard library, so a program that only
// signs links neither client-go nor a JOSE library.
//
// The smallest use, once the API server has given the new ServiceAccount
// its UID:
//
//	value, err := binding.Sign(key, binding.Binding{
//		Namespace: sa.Namespace, Name: sa.Name, UID: string(sa.UID), Creator: user,
//	})
//	...
//	sa.Annotations[binding.DefaultAnnotation] = value
package binding
