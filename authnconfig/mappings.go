package authnconfig

import (
	"errors"
	"reflect"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/claimmap"
)

// This file compiles the claimMappings of an oidc strategy into the
// oidc.WithClaimsMapper function that makes the User.

// mapping yields one field of the User from the claims: a claim read as
// Kubernetes reads it, or a compiled expression.
type mapping struct {
	// field names the mapping in reasons ("claimMappings.groups.expression").
	field   string
	program cel.Program
	claim   string
	prefix  string
}

// stringOrList accepts an expression that may give a string or a list of
// strings; the type is checked again when it runs.
func stringOrList(t *cel.Type) string {
	switch {
	case t.IsExactType(cel.StringType), t.IsExactType(cel.DynType), t.IsAssignableType(cel.ListType(cel.StringType)):
		return ""
	}
	return "must evaluate to a string or a list of strings, not " + t.String()
}

func stringResult(t *cel.Type) string {
	if !t.IsExactType(cel.StringType) && !t.IsExactType(cel.DynType) {
		return "must evaluate to a string, not " + t.String()
	}
	return ""
}

// compileMappings validates and compiles m at p. A nil m is the default
// mapping of oidc.New, and gives a nil function.
func compileMappings(p *field.Path, m *ClaimMappings) (func(map[string]any) (authn.User, error), field.ErrorList) {
	if m == nil {
		return nil, nil
	}
	env, err := ruleEnv(claimsVariable)
	if err != nil {
		return nil, field.ErrorList{field.InternalError(p, err)}
	}
	var errs field.ErrorList
	one := func(fp *field.Path, claim, expr string, prefix *string, prefixed bool, result func(*cel.Type) string) *mapping {
		switch {
		case claim != "" && expr != "":
			errs = append(errs, field.Forbidden(fp.Child("expression"), "set claim or expression, not both"))
			return nil
		case claim == "" && expr == "":
			errs = append(errs, field.Required(fp, "set claim or expression"))
			return nil
		case expr != "" && prefix != nil:
			errs = append(errs, field.Forbidden(fp.Child("prefix"), "may be set only with claim"))
			return nil
		case expr != "":
			prg, ferr := compileExpression(env, fp.Child("expression"), expr, result)
			if ferr != nil {
				errs = append(errs, ferr)
				return nil
			}
			return &mapping{field: "claimMappings." + strings.TrimPrefix(fp.Child("expression").String(), p.String()+"."), program: prg}
		case prefixed && prefix == nil:
			errs = append(errs, field.Required(fp.Child("prefix"), `must be set with claim; "" for none`))
			return nil
		}
		out := &mapping{claim: claim}
		if prefix != nil {
			out.prefix = *prefix
		}
		return out
	}
	var username, groups, uid, email *mapping
	if u := m.Username; u == nil {
		errs = append(errs, field.Required(p.Child("username"), "the claim or expression the user is named after"))
	} else {
		username = one(p.Child("username"), u.Claim, u.Expression, u.Prefix, true, stringResult)
	}
	if g := m.Groups; g != nil {
		groups = one(p.Child("groups"), g.Claim, g.Expression, g.Prefix, true, stringOrList)
	}
	if u := m.UID; u != nil {
		uid = one(p.Child("uid"), u.Claim, u.Expression, nil, false, stringResult)
	}
	if e := m.Email; e != nil {
		email = one(p.Child("email"), e.Claim, e.Expression, nil, false, stringResult)
	}
	extra := make([]extraMapping, 0, len(m.Extra))
	seen := map[string]bool{}
	for i, x := range m.Extra {
		xp := p.Child("extra").Index(i)
		switch kerrs := validation.IsDomainPrefixedPath(xp.Child("key"), x.Key); {
		case x.Key == "":
			errs = append(errs, field.Required(xp.Child("key"), ""))
		case len(kerrs) > 0:
			errs = append(errs, kerrs...)
		case x.Key != strings.ToLower(x.Key):
			errs = append(errs, field.Invalid(xp.Child("key"), x.Key, "must be lower case"))
		case seen[x.Key]:
			errs = append(errs, field.Duplicate(xp.Child("key"), x.Key))
		}
		seen[x.Key] = true
		if x.ValueExpression == "" {
			errs = append(errs, field.Required(xp.Child("valueExpression"), ""))
			continue
		}
		prg, ferr := compileExpression(env, xp.Child("valueExpression"), x.ValueExpression, stringOrList)
		if ferr != nil {
			errs = append(errs, ferr)
			continue
		}
		extra = append(extra, extraMapping{key: x.Key, value: mapping{field: "claimMappings.extra[" + x.Key + "]", program: prg}})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return func(claims map[string]any) (authn.User, error) {
		vars := map[string]any{claimsVariable: claims}
		var u authn.User
		var err error
		if username.program != nil {
			u.Name, err = username.str(vars)
		} else {
			u.Name, err = claimmap.Username(claims, username.claim, username.prefix)
		}
		if err != nil {
			return authn.User{}, err
		}
		if groups != nil {
			if groups.program != nil {
				u.Groups, err = groups.list(vars)
			} else {
				u.Groups, err = claimmap.Groups(claims, groups.claim, groups.prefix)
			}
			if err != nil {
				return authn.User{}, err
			}
		}
		if uid != nil {
			if uid.program != nil {
				u.UID, err = uid.str(vars)
			} else {
				u.UID, err = claimmap.UID(claims, uid.claim)
			}
			if err != nil {
				return authn.User{}, err
			}
		}
		if email != nil {
			if email.program != nil {
				u.Email, err = email.str(vars)
			} else {
				u.Email, err = claimmap.Email(claims, email.claim)
			}
			if err != nil {
				return authn.User{}, err
			}
		}
		for _, x := range extra {
			values, err := x.value.list(vars)
			if err != nil {
				return authn.User{}, err
			}
			if len(values) == 0 {
				continue
			}
			if u.Extra == nil {
				u.Extra = map[string][]string{}
			}
			u.Extra[x.key] = values
		}
		return u, nil
	}, nil
}

type extraMapping struct {
	key   string
	value mapping
}

// eval runs the expression; its errors name the field, never a value.
func (m *mapping) eval(vars map[string]any) (ref.Val, error) {
	out, _, err := m.program.Eval(vars)
	if err != nil {
		return nil, errors.New(m.field + " could not be evaluated (" + evalProblem(err) + ")")
	}
	return out, nil
}

func (m *mapping) str(vars map[string]any) (string, error) {
	out, err := m.eval(vars)
	if err != nil {
		return "", err
	}
	s, ok := out.Value().(string)
	if !ok {
		return "", errors.New(m.field + " did not evaluate to a string")
	}
	return s, nil
}

// list returns the expression's string or list of strings, without empty
// strings.
func (m *mapping) list(vars map[string]any) ([]string, error) {
	out, err := m.eval(vars)
	if err != nil {
		return nil, err
	}
	var values []string
	if s, ok := out.Value().(string); ok {
		values = []string{s}
	} else if l, ok := out.(traits.Lister); ok {
		native, err := l.ConvertToNative(reflect.TypeFor[[]string]())
		if err != nil {
			return nil, errors.New(m.field + " did not evaluate to a string or a list of strings")
		}
		values = native.([]string)
	} else {
		return nil, errors.New(m.field + " did not evaluate to a string or a list of strings")
	}
	out2 := values[:0:0]
	for _, v := range values {
		if v != "" {
			out2 = append(out2, v)
		}
	}
	return out2, nil
}

// emailVerifiedRequired refuses a username expression that reads
// claims.email while no expression of the issuer reads
// claims.email_verified, as Kubernetes' structured authentication does:
// an unverified address names whoever typed it.
func emailVerifiedRequired(p *field.Path, o *OIDC) field.ErrorList {
	m := o.ClaimMappings
	if m == nil || m.Username == nil || m.Username.Expression == "" {
		return nil
	}
	env, err := ruleEnv(claimsVariable)
	if err != nil {
		return field.ErrorList{field.InternalError(p, err)}
	}
	if !readsClaim(env, m.Username.Expression, "email") {
		return nil
	}
	exprs := []string{m.Username.Expression}
	for _, x := range m.Extra {
		exprs = append(exprs, x.ValueExpression)
	}
	for _, r := range o.ClaimValidationRules {
		exprs = append(exprs, r.Expression)
	}
	for _, e := range exprs {
		if readsClaim(env, e, "email_verified") {
			return nil
		}
	}
	return field.ErrorList{field.Invalid(p.Child("claimMappings", "username", "expression"), m.Username.Expression,
		"reads claims.email: claims.email_verified must be read too, by this expression, an extra mapping or a claimValidationRule")}
}

// readsClaim reports whether the CEL expression reads the claim name, as
// claims.name or claims['name'] (has() included). An expression that does
// not parse reads nothing; compiling it reports why.
func readsClaim(env *cel.Env, expr, name string) bool {
	parsed, iss := env.Parse(expr)
	if iss.Err() != nil {
		return false
	}
	found := false
	ast.PreOrderVisit(parsed.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		switch e.Kind() {
		case ast.SelectKind:
			s := e.AsSelect()
			found = found || s.FieldName() == name && isIdent(s.Operand(), claimsVariable)
		case ast.CallKind:
			c := e.AsCall()
			if c.FunctionName() == operators.Index && len(c.Args()) == 2 && isIdent(c.Args()[0], claimsVariable) {
				arg := c.Args()[1]
				found = found || arg.Kind() == ast.LiteralKind && arg.AsLiteral().Value() == name
			}
		}
	}))
	return found
}

func isIdent(e ast.Expr, name string) bool {
	return e.Kind() == ast.IdentKind && e.AsIdent() == name
}
