package jwks_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/authchain/authchain/authn/bearer/jwks"
)

// A fixed key set, from the PEM public key kube-apiserver signs with (the
// file given to --service-account-key-file). A one-key set also answers a
// token without a kid; any other kid is unknown.
func ExampleStatic() {
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&signer.PublicKey)
	if err != nil {
		panic(err)
	}
	keys, err := jwks.Static(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		panic(err)
	}
	key, err := keys.Key(context.Background(), "")
	fmt.Println(signer.PublicKey.Equal(key), err)
	_, err = keys.Key(context.Background(), "another-kid")
	fmt.Println(errors.Is(err, jwks.ErrUnknownKey))
	// Output:
	// true <nil>
	// true
}
