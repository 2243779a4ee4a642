package binding_test

import (
	"fmt"

	"github.com/authchain/authchain/binding"
)

// The service that issues access keys signs the binding once the API
// server has given the new ServiceAccount its UID, and writes it next to
// the creator annotation. A key created with another key also signs that
// key's UID, and every attribute authorization reads is signed, so editing
// the role breaks the binding.
func ExampleSign() {
	key := []byte("example-binding-key-of-32-bytes!") // from a Secret; at least MinKeyLen bytes
	b := binding.Binding{
		Namespace: "team", Name: "ambient-key-2", UID: "5d0b9a4c-1e2f-4a3b-8c7d-6e5f4a3b2c1d",
		Creator:    "system:serviceaccount:team:ambient-key-1",
		CreatorUID: "0c6c1d0e-5f3a-4b7e-9d21-7a8c3e2f1b40", // the parent key's UID
		Attributes: map[string]string{"ambient-code.io/role": "read"},
	}
	value, err := binding.Sign(key, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	annotations := map[string]string{
		"ambient-code.io/created-by-user-id": b.Creator,
		binding.DefaultAnnotation:            value,
	}
	fmt.Println(value[:3], value[46:], len(annotations))

	fmt.Println(binding.Verify([][]byte{key}, b, value))
	b.Attributes["ambient-code.io/role"] = "admin"
	fmt.Println(binding.Verify([][]byte{key}, b, value))
	// Output:
	// v2. .ambient-code.io/role 2
	// <nil>
	// binding signature does not match
}

// A server that verifies on every request builds a Verifier once, with the
// new key first and the old one after it while rotating.
func ExampleVerifier() {
	oldKey := []byte("the-key-being-retired-32-bytes!!")
	newKey := []byte("the-key-now-signing-new-bindings")
	b := binding.Binding{Namespace: "team", Name: "ambient-key-1", UID: "uid-1", Creator: "alice@example.com"}
	value, err := binding.Sign(oldKey, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := binding.NewVerifier(newKey, oldKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Verify(b, value))
	// Output:
	// <nil>
}

// A caller that holds the attributes in another form than a map (labels
// and annotations of a ServiceAccount) parses the value, checks the keys
// it lists, and reads each one's value while verifying.
func ExampleVerifier_VerifyListed() {
	key := []byte("example-binding-key-of-32-bytes!")
	b := binding.Binding{Namespace: "team", Name: "ambient-key-1", UID: "uid-1", Creator: "alice@example.com",
		Attributes: map[string]string{"ambient-code.io/role": "read"}}
	value, err := binding.Sign(key, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	labels := map[string]string{"ambient-code.io/role": "read"}
	v, err := binding.NewVerifier(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := binding.Parse(value)
	if err != nil {
		fmt.Println(err)
		return
	}
	for k := range p.Keys() {
		if _, ok := labels[k]; !ok {
			fmt.Println("binding covers a missing attribute")
			return
		}
	}
	fmt.Println(p.Version(), v.VerifyListed(b, p, func(k string) string { return labels[k] }))
	// Output:
	// 2 <nil>
}

// Verify checks a value against the Binding the verifier reads from the
// cluster; any edit to a covered field, or a value signed with another
// key, is refused. Keys are tried in order, so a rotation lists the new
// key and the old one.
func ExampleVerify() {
	oldKey := []byte("old-binding-key-of-at-least-32-b")
	newKey := []byte("new-binding-key-of-at-least-32-b")
	b := binding.Binding{Namespace: "team", Name: "ambient-key-1", UID: "uid-1", Creator: "alice@example.com"}
	value, err := binding.Sign(oldKey, b)
	if err != nil {
		panic(err)
	}
	fmt.Println(binding.Verify([][]byte{newKey, oldKey}, b, value))
	fmt.Println(binding.Verify([][]byte{newKey}, b, value))
	b.UID = "uid-of-a-recreated-key"
	fmt.Println(binding.Verify([][]byte{newKey, oldKey}, b, value))
	// Output:
	// <nil>
	// binding signature does not match
	// binding signature does not match
}

// Parse checks a value's shape without a key, for tools that list which
// attributes a key's binding covers.
func ExampleParse() {
	key := []byte("example-binding-key-of-32-bytes!")
	value, err := binding.Sign(key, binding.Binding{
		Namespace: "team", Name: "ambient-key-1", UID: "uid-1", Creator: "alice@example.com",
		Attributes: map[string]string{"ambient-code.io/role": "read", "app": "ambient-access-key"},
	})
	if err != nil {
		panic(err)
	}
	v, err := binding.Parse(value)
	if err != nil {
		panic(err)
	}
	for k := range v.Keys() {
		fmt.Println(k)
	}
	fmt.Println(v.Version(), v.Covers("ambient-code.io/role"), v.Covers("team"))
	_, err = binding.Parse("v2.not-a-mac")
	fmt.Println(err)
	// Output:
	// ambient-code.io/role
	// app
	// 2 true false
	// binding is malformed
}
