package authnconfig

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/ext"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/authn"
)

// Cost limits of validation rules, as Kubernetes bounds its CEL rules: an
// estimate when the file is loaded, and a limit on every evaluation. The
// estimate assumes every string a rule reads is RuleEstimatedSize bytes
// long and every list or map holds RuleEstimatedSize entries; a rule whose
// estimated worst case then exceeds RuleCostLimit is an error of the file
// (one that compares every group with every other, say). An evaluation
// that spends more than RuleCostLimit, on larger input, stops and refuses
// the request.
const (
	// RuleCostLimit bounds one evaluation of one rule, in CEL cost units
	// (Kubernetes' per-call limit).
	RuleCostLimit = 1_000_000
	// RuleEstimatedSize is the size of input the estimate assumes: the
	// forwarded strategy's default bound on a value
	// (strategies.DefaultMaxValueLength), and four times its default bound
	// on groups.
	RuleEstimatedSize = 1 << 10
)

// Limits of what a rule's configuration may hold.
const (
	maxRuleExpressionBytes = 4 << 10
	maxRuleMessageBytes    = 256
)

// The CEL variables rules are written over.
const (
	principalVariable = "principal"
	claimsVariable    = "claims"
)

// ruleEnv returns the environment of rules over the variable name: a map
// from strings to values of any type, so that a missing key is an
// evaluation error, which fails closed, rather than a default value.
func ruleEnv(name string) (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(name, cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(),
		// Token claims are JSON numbers (doubles); a rule compares them
		// with integer literals.
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
	)
}

// compiledRule is one rule ready to evaluate.
type compiledRule struct {
	program cel.Program
	message string
	// path names the rule in details ("spec.principalValidationRules[1]").
	path string
}

// compileRules validates and compiles the rules at p over the variable
// name. Every problem is reported with its field path; an expression is
// configuration, never a secret, and may be quoted.
func compileRules(p *field.Path, name string, rules []ValidationRule) ([]compiledRule, field.ErrorList) {
	if len(rules) == 0 {
		return nil, nil
	}
	env, err := ruleEnv(name)
	if err != nil {
		return nil, field.ErrorList{field.InternalError(p, err)}
	}
	var errs field.ErrorList
	out := make([]compiledRule, 0, len(rules))
	for i, r := range rules {
		rp := p.Index(i)
		errs = append(errs, checkMessage(rp.Child("message"), r.Message)...)
		prg, ferr := compileExpression(env, rp.Child("expression"), r.Expression, boolResult)
		if ferr != nil {
			errs = append(errs, ferr)
			continue
		}
		out = append(out, compiledRule{program: prg, message: r.Message, path: rp.String()})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// checkMessage requires a message fit for a response body: one short
// printable line.
func checkMessage(p *field.Path, msg string) field.ErrorList {
	switch {
	case strings.TrimSpace(msg) == "":
		return field.ErrorList{field.Required(p, "the response to a request the rule refuses")}
	case len(msg) > maxRuleMessageBytes:
		return field.ErrorList{field.TooLong(p, nil, maxRuleMessageBytes)}
	case strings.IndexFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return field.ErrorList{field.Invalid(p, msg, "must be one line of printable characters")}
	}
	return nil
}

// boolResult accepts a rule's result type: a bool, or a value of a type
// known only when it runs, checked then.
func boolResult(t *cel.Type) string {
	if !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return "must evaluate to a bool, not " + t.String()
	}
	return ""
}

// compileExpression compiles one expression: it must parse and type-check,
// give a result type result accepts (it returns why not, or ""), and have
// an estimated cost within RuleCostLimit.
func compileExpression(env *cel.Env, p *field.Path, expr string, result func(*cel.Type) string) (cel.Program, *field.Error) {
	switch {
	case strings.TrimSpace(expr) == "":
		return nil, field.Required(p, "")
	case len(expr) > maxRuleExpressionBytes:
		return nil, field.TooLong(p, nil, maxRuleExpressionBytes)
	}
	ast, issues := env.Compile(expr)
	if issues != nil && issues.Err() != nil {
		// One line, as every other error of a configuration; the position
		// rather than the quoted source, which the value shows.
		var msgs []string
		for _, e := range issues.Errors() {
			msgs = append(msgs, fmt.Sprintf("column %d: %s", e.Location.Column()+1, e.Message))
		}
		return nil, field.Invalid(p, expr, "compile error: "+strings.Join(strings.Fields(strings.Join(msgs, "; ")), " "))
	}
	if problem := result(ast.OutputType()); problem != "" {
		return nil, field.Invalid(p, expr, problem)
	}
	est, err := env.EstimateCost(ast, sizeEstimator{})
	if err != nil {
		return nil, field.Invalid(p, expr, "cost estimate failed: "+err.Error())
	}
	if est.Max > RuleCostLimit {
		return nil, field.Invalid(p, expr, fmt.Sprintf("estimated cost %d exceeds the limit of %d: do less work for each entry of a list or map", est.Max, RuleCostLimit))
	}
	prg, err := env.Program(ast, cel.CostLimit(RuleCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, field.Invalid(p, expr, "cannot be prepared: "+err.Error())
	}
	return prg, nil
}

// sizeEstimator gives every string, list and map a rule reads the size
// RuleEstimatedSize. The variables are maps of values typed only when the
// rule runs, so the estimate cannot tell a string from a list.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: RuleEstimatedSize}
}

func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// evalRules evaluates rules over vars and returns the first that does not
// hold: its message and a detail for logs, which names the rule and what
// went wrong without quoting the input. ok is true when all hold.
func evalRules(rules []compiledRule, vars map[string]any) (message, detail string, ok bool) {
	for _, r := range rules {
		out, _, err := r.program.Eval(vars)
		switch {
		case err != nil:
			return r.message, r.path + " could not be evaluated (" + evalProblem(err) + "): fails closed", false
		case out.Value() == true:
			continue
		case out.Value() == false:
			return r.message, r.path + " is false", false
		default:
			return r.message, r.path + " did not evaluate to a bool: fails closed", false
		}
	}
	return "", "", true
}

// evalProblem classifies an evaluation error without its text, which may
// quote a value (a map key taken from the input, a string that failed to
// convert).
func evalProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "cost limit"):
		return "cost limit of " + strconv.Itoa(RuleCostLimit) + " exceeded"
	case strings.HasPrefix(msg, "no such key"), strings.HasPrefix(msg, "no such attribute"):
		return "a key or field is missing; test it with has() or 'in' first"
	case strings.HasPrefix(msg, "no such overload"), strings.HasPrefix(msg, "no matching overload"):
		return "a value has another type than the expression expects"
	}
	return "evaluation error"
}

// rulesStrategyName is the name of the strategy that applies
// Spec.PrincipalValidationRules.
const rulesStrategyName = "rules"

// principalRules is the strategy, last in the chain, that holds the
// Principal established to Spec.PrincipalValidationRules. It contributes
// nothing: a Principal every rule holds for passes unchanged
// (NotApplicable), and any other is rejected with the failing rule's
// message.
type principalRules struct{ rules []compiledRule }

func (principalRules) Name() string { return rulesStrategyName }

func (s principalRules) Authenticate(_ *http.Request, sofar authn.Principal) authn.Decision {
	if sofar.User.IsZero() {
		// The chain refuses a Principal without a user itself.
		return authn.Skip("no user to check")
	}
	msg, detail, ok := evalRules(s.rules, map[string]any{principalVariable: principalValue(sofar)})
	if !ok {
		return authn.Reject(msg).WithDetail(detail)
	}
	return authn.Skip("every principal rule holds")
}

// principalValue is p as rules see it: the fields of its JSON encoding,
// every one present (empty strings, lists and maps included) except that
// actor and credential, and the credential's pod, node and expiresAt, are
// null when absent.
func principalValue(p authn.Principal) map[string]any {
	v := map[string]any{
		"user": map[string]any{
			"name":   p.User.Name,
			"uid":    p.User.UID,
			"email":  p.User.Email,
			"groups": nonNilSlice(p.User.Groups),
			"extra":  nonNilMap(p.User.Extra),
		},
		"actor":      nil,
		"credential": nil,
		"synthetic":  p.Synthetic,
		"via":        nonNilSlice(p.Via),
	}
	if a := p.Actor; a != nil {
		v["actor"] = map[string]any{
			"namespace":  a.Namespace,
			"name":       a.Name,
			"uid":        a.UID,
			"attributes": nonNilMap(a.Attributes),
		}
	}
	if c := p.Credential; c != nil {
		cred := map[string]any{
			"type":         c.Type,
			"id":           c.ID,
			"issuer":       c.Issuer,
			"audiences":    nonNilSlice(c.Audiences),
			"expiresAt":    nil,
			"pod":          boundObjectValue(c.Pod),
			"node":         boundObjectValue(c.Node),
			"legacySecret": c.LegacySecret,
		}
		if !c.ExpiresAt.IsZero() {
			cred["expiresAt"] = c.ExpiresAt
		}
		bindings := make([]any, len(c.Bindings))
		for i, b := range c.Bindings {
			bindings[i] = map[string]any{"kind": b.Kind, "name": b.Name, "uid": b.UID, "attestations": nonNilMap(b.Attestations)}
		}
		cred["bindings"] = bindings
		v["credential"] = cred
	}
	return v
}

func boundObjectValue(o *authn.BoundObject) any {
	if o == nil {
		return nil
	}
	return map[string]any{"name": o.Name, "uid": o.UID}
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// claimsCheck is the jwt.WithClaimsCheck of compiled claim rules: the
// error of a rule that does not hold is its message, the rejection's
// reason.
func claimsCheck(rules []compiledRule) func(map[string]any) error {
	return func(claims map[string]any) error {
		if msg, _, ok := evalRules(rules, map[string]any{claimsVariable: claims}); !ok {
			return errors.New(msg)
		}
		return nil
	}
}
