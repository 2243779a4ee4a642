package jwtcheck

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"math/big"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// This file checks a signature over the signing input where parse left it,
// in the pooled buffer. golang-jwt's methods take the input as a string
// and copy it, and hash through a hash.Hash, before calling crypto/rsa or
// crypto/ecdsa: four allocations, and the copy of a token, on every cold
// verification (BenchmarkJWTColdOverBare). For RSA PKCS #1 v1.5 and ECDSA
// it calls those packages as golang-jwt's methods do; every other
// algorithm goes to golang-jwt's method.

var errSignature = errors.New("signature invalid")

// verifySignature checks that sig over signed (data, in the buffer) is
// method's signature with key.
func verifySignature(method gojwt.SigningMethod, data string, signed, sig []byte, key crypto.PublicKey) error {
	switch m := method.(type) {
	case *gojwt.SigningMethodRSA:
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return errSignature
		}
		var sum [sha512.Size]byte
		digest, ok := hashOf(m.Hash, signed, &sum)
		if !ok {
			break
		}
		return rsa.VerifyPKCS1v15(pub, m.Hash, digest, sig)
	case *gojwt.SigningMethodECDSA:
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok || len(sig) != 2*m.KeySize {
			return errSignature
		}
		var sum [sha512.Size]byte
		digest, ok := hashOf(m.Hash, signed, &sum)
		if !ok {
			break
		}
		r := new(big.Int).SetBytes(sig[:m.KeySize])
		s := new(big.Int).SetBytes(sig[m.KeySize:])
		if !ecdsa.Verify(pub, digest, r, s) {
			return errSignature
		}
		return nil
	}
	return method.Verify(data, sig, key)
}

// hashOf hashes b with h into sum, for the hashes of the JWS algorithms;
// ok is false for another.
func hashOf(h crypto.Hash, b []byte, sum *[sha512.Size]byte) (digest []byte, ok bool) {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(b)
		return sum[:copy(sum[:], s[:])], true
	case crypto.SHA384:
		s := sha512.Sum384(b)
		return sum[:copy(sum[:], s[:])], true
	case crypto.SHA512:
		*sum = sha512.Sum512(b)
		return sum[:], true
	}
	return nil, false
}
