package jwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/jwtcheck"
)

// This file holds the claims of ServiceAccount tokens and how a verified
// payload is read into them.

// serviceAccountClaims are the claims of bound and legacy ServiceAccount
// tokens. Names are Kubernetes'.
type serviceAccountClaims struct {
	gojwt.RegisteredClaims
	Kubernetes *kubernetesClaims `json:"kubernetes.io"`

	LegacyNamespace   string `json:"kubernetes.io/serviceaccount/namespace"`
	LegacySecretName  string `json:"kubernetes.io/serviceaccount/secret.name"`
	LegacyAccountName string `json:"kubernetes.io/serviceaccount/service-account.name"`
	LegacyAccountUID  string `json:"kubernetes.io/serviceaccount/service-account.uid"`
}

// kubernetesClaims is the "kubernetes.io" claim of a bound token. Its
// "warnafter" is not read: past it kube-apiserver only warns, and the token
// stays valid until exp.
type kubernetesClaims struct {
	Namespace      string
	ServiceAccount *objectClaim
	Pod            *objectClaim
	Node           *objectClaim
	Secret         *objectClaim
	// Attestations is the "attestations" claim, which Kubernetes puts in
	// tokens bound to webhook configurations.
	Attestations map[string][]string
	// Other holds every other key, by its exact spelling: bindings to
	// kinds this package does not check itself.
	Other map[string]json.RawMessage
}

// UnmarshalJSON decodes the claim matching keys exactly, unlike
// encoding/json's case-insensitive field matching, so that every key the
// strategy does not read lands in Other, where it is refused unless
// accepted, rather than being dropped or read under another spelling.
func (k *kubernetesClaims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*k = kubernetesClaims{}
	for key, v := range raw {
		var err error
		switch key {
		case "namespace":
			err = json.Unmarshal(v, &k.Namespace)
		case "serviceaccount":
			err = json.Unmarshal(v, &k.ServiceAccount)
		case "pod":
			err = json.Unmarshal(v, &k.Pod)
		case "node":
			err = json.Unmarshal(v, &k.Node)
		case "secret":
			err = json.Unmarshal(v, &k.Secret)
		case "attestations":
			err = json.Unmarshal(v, &k.Attestations)
		case "warnafter":
		default:
			if k.Other == nil {
				k.Other = make(map[string]json.RawMessage)
			}
			k.Other[key] = v
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type objectClaim struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

func (o *objectClaim) valid() bool { return o == nil || o.Name != "" && o.UID != "" }

// boundObject is o as an authn.BoundObject, the same memory: the claims are
// read for one verification and dropped, and a cached Credential is
// copied before it is handed out.
func (o *objectClaim) boundObject() *authn.BoundObject { return (*authn.BoundObject)(o) }

// Errors of ReadClaim: what json.Unmarshal would refuse, and a name
// repeated in the kubernetes.io claim, which ends the fast walk.
var (
	errClaimType = errors.New("claim of the wrong JSON type")
	errRepeated  = errors.New("repeated name")
)

// ReadClaim implements jwtcheck.ClaimReader, reading what json.Unmarshal
// reads into c at a fraction of its cost (see BenchmarkJWTColdOverBare):
// names match as encoding/json matches them (any case, the last one wins),
// and jwtcheck.ReadClaims refuses other spellings of the registered claims
// once the signature is checked. FuzzReadPayload holds it to
// json.Unmarshal.
func (c *serviceAccountClaims) ReadClaim(name, value []byte) error {
	switch string(name) {
	case "iss":
		return readString(value, &c.Issuer)
	case "sub":
		return readString(value, &c.Subject)
	case "jti":
		return readString(value, &c.ID)
	case "aud":
		return readAudience(value, &c.Audience)
	case "exp":
		return readDate(value, &c.ExpiresAt)
	case "nbf":
		return readDate(value, &c.NotBefore)
	case "iat":
		return readDate(value, &c.IssuedAt)
	case "kubernetes.io":
		return readKubernetes(value, &c.Kubernetes)
	case legacyNamespace:
		return readString(value, &c.LegacyNamespace)
	case legacySecretName:
		return readString(value, &c.LegacySecretName)
	case legacyAccountName:
		return readString(value, &c.LegacyAccountName)
	case legacyAccountUID:
		return readString(value, &c.LegacyAccountUID)
	}
	if f := jwtcheck.FoldedField(name, claimFields[:]); f != "" {
		return c.ReadClaim([]byte(f), value)
	}
	return nil
}

// The legacy claims' names, as in serviceAccountClaims' tags.
const (
	legacyNamespace   = "kubernetes.io/serviceaccount/namespace"
	legacySecretName  = "kubernetes.io/serviceaccount/secret.name"
	legacyAccountName = "kubernetes.io/serviceaccount/service-account.name"
	legacyAccountUID  = "kubernetes.io/serviceaccount/service-account.uid"
)

// claimFields are the names ReadClaim reads, all lower-case ASCII as
// jwtcheck.FoldedField needs; TestClaimFieldsInAnyCase holds them to its
// switch.
var claimFields = [...]string{
	"iss", "sub", "jti", "aud", "exp", "nbf", "iat", "kubernetes.io",
	legacyNamespace, legacySecretName, legacyAccountName, legacyAccountUID,
}

// readString reads a string field: null leaves it as it is.
func readString(value []byte, dst *string) error {
	if jwtcheck.IsNull(value) {
		return nil
	}
	s, ok := jwtcheck.String(value)
	if !ok {
		return errClaimType
	}
	*dst = s
	return nil
}

// readAudience reads aud as gojwt.ClaimStrings does: a string or an array
// of strings; null leaves it as it is.
func readAudience(value []byte, dst *gojwt.ClaimStrings) error {
	switch {
	case jwtcheck.IsNull(value):
		return nil
	case value[0] == '"':
		s, _ := jwtcheck.String(value)
		*dst = gojwt.ClaimStrings{s}
		return nil
	case value[0] != '[':
		return errClaimType
	}
	var aud gojwt.ClaimStrings
	err := jwtcheck.Elements(value, func(v []byte) error {
		s, ok := jwtcheck.String(v)
		if !ok {
			return errClaimType
		}
		aud = append(aud, s)
		return nil
	})
	if err != nil {
		return err
	}
	*dst = aud
	return nil
}

// readDate reads a NumericDate as gojwt.NumericDate does; null clears it.
// A number is parsed here; anything else (a string holding one) is left to
// NumericDate itself.
func readDate(value []byte, dst **gojwt.NumericDate) error {
	if jwtcheck.IsNull(value) {
		*dst = nil
		return nil
	}
	if c := value[0]; c != '-' && (c < '0' || c > '9') {
		d := new(gojwt.NumericDate)
		if err := d.UnmarshalJSON(value); err != nil {
			return err
		}
		*dst = d
		return nil
	}
	f, err := strconv.ParseFloat(string(value), 64)
	if err != nil {
		return err
	}
	// golang-jwt's own conversion of seconds.
	round, frac := math.Modf(f)
	*dst = gojwt.NewNumericDate(time.Unix(int64(round), int64(frac*1e9)))
	return nil
}

// readKubernetes reads the kubernetes.io claim as
// kubernetesClaims.UnmarshalJSON does, and leaves the rare claim the fast
// walk cannot judge to it; null clears it.
func readKubernetes(value []byte, dst **kubernetesClaims) error {
	if jwtcheck.IsNull(value) {
		*dst = nil
		return nil
	}
	k := new(kubernetesClaims)
	var seen [6]bool
	err := jwtcheck.Members(value, func(name, v []byte) error {
		field := -1
		switch string(name) {
		case "namespace":
			field = 0
		case "serviceaccount":
			field = 1
		case "pod":
			field = 2
		case "node":
			field = 3
		case "secret":
			field = 4
		case "attestations":
			field = 5
		case "warnafter":
			return nil
		default:
			if k.Other == nil {
				k.Other = make(map[string]json.RawMessage)
			}
			k.Other[string(name)] = bytes.Clone(v)
			return nil
		}
		if seen[field] {
			return errRepeated
		}
		seen[field] = true
		switch field {
		case 0:
			return readString(v, &k.Namespace)
		case 1:
			return readObject(v, &k.ServiceAccount)
		case 2:
			return readObject(v, &k.Pod)
		case 3:
			return readObject(v, &k.Node)
		case 4:
			return readObject(v, &k.Secret)
		}
		return json.Unmarshal(v, &k.Attestations)
	})
	if err != nil && !errors.Is(err, jwtcheck.ErrNotObject) {
		// A repeated name, or a value of the wrong type that a later
		// repetition may replace: UnmarshalJSON decides.
		k = new(kubernetesClaims)
		err = k.UnmarshalJSON(value)
	}
	if err != nil {
		return err
	}
	*dst = k
	return nil
}

// readObject reads an objectClaim as encoding/json does; null clears it.
func readObject(value []byte, dst **objectClaim) error {
	if jwtcheck.IsNull(value) {
		*dst = nil
		return nil
	}
	o := new(objectClaim)
	err := jwtcheck.Members(value, func(name, v []byte) error {
		switch objectField(name) {
		case "name":
			return readString(v, &o.Name)
		case "uid":
			return readString(v, &o.UID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*dst = o
	return nil
}

// objectFields are objectClaim's names.
var objectFields = [...]string{"name", "uid"}

// objectField returns the objectFields name encoding/json decodes the
// member name into, or "".
func objectField(name []byte) string {
	switch string(name) {
	case "name":
		return "name"
	case "uid":
		return "uid"
	}
	return jwtcheck.FoldedField(name, objectFields[:])
}
