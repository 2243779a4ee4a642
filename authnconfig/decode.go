package authnconfig

import (
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// decode reads data strictly: a repeated key, an unknown field or a value of
// the wrong type is an error.
func decode(data []byte) (*ChainConfiguration, field.ErrorList) {
	if len(data) > MaxFileBytes {
		return nil, field.ErrorList{field.TooLong(field.NewPath("<file>"), nil, MaxFileBytes)}
	}
	if secondDocument(data) {
		return nil, field.ErrorList{field.Invalid(field.NewPath("<file>"), field.OmitValueType{}, "holds more than one YAML document; all but the first would be ignored")}
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		// One line per error, as every other error here.
		detail := strings.Join(strings.Fields(err.Error()), " ")
		return nil, field.ErrorList{field.Invalid(field.NewPath("<file>"), field.OmitValueType{}, detail)}
	}
	var tree any
	if err := json.Unmarshal(js, &tree); err != nil {
		return nil, field.ErrorList{field.Invalid(field.NewPath("<file>"), field.OmitValueType{}, err.Error())}
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, field.ErrorList{field.Invalid(field.NewPath("<file>"), field.OmitValueType{}, "is not a mapping")}
	}
	emptyKinds(root)
	if errs := schemaErrors(tree, reflect.TypeFor[ChainConfiguration](), nil); len(errs) > 0 {
		return nil, errs
	}
	// schemaErrors checked what decoding could refuse; this only fills cfg.
	js, err = json.Marshal(tree)
	var cfg ChainConfiguration
	if err == nil {
		err = json.Unmarshal(js, &cfg)
	}
	if err != nil {
		return nil, field.ErrorList{field.InternalError(field.NewPath("<file>"), err)}
	}
	return &cfg, nil
}

// emptyKinds reads a strategy kind written without settings ("- synthetic:",
// which YAML reads as null) as one with none ("- synthetic: {}").
func emptyKinds(root map[string]any) {
	spec, _ := root["spec"].(map[string]any)
	list, _ := spec["strategies"].([]any)
	for _, s := range list {
		if m, ok := s.(map[string]any); ok {
			for k, v := range m {
				if v == nil {
					m[k] = map[string]any{}
				}
			}
		}
	}
}

// yamlLineBreaks turns every line break the YAML parser honours into "\n":
// CR alone, and the YAML 1.1 breaks NEL, LS and PS, besides LF. A "---"
// after any of them starts a document.
var yamlLineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")

// secondDocument reports whether data holds a "---" marker after content.
// A marker starts a line, and YAML allows it nowhere else at column 0.
func secondDocument(data []byte) bool {
	content := false
	for _, line := range strings.Split(yamlLineBreaks.Replace(string(data)), "\n") {
		if rest, ok := strings.CutPrefix(line, "---"); ok && (rest == "" || strings.TrimSpace(rest) == "" || rest[0] == ' ' || rest[0] == '\t') {
			if content {
				return true
			}
			continue
		}
		trimmed := strings.TrimSpace(line)
		if trimmed != "" && trimmed[0] != '#' && trimmed[0] != '%' {
			content = true
		}
	}
	return false
}

var durationType = reflect.TypeFor[metav1.Duration]()

// schemaErrors lists every key of tree that t does not have, and every
// value of the wrong type, each with its path: encoding/json would stop at
// the first and name it without list indices.
func schemaErrors(tree any, t reflect.Type, path *field.Path) field.ErrorList {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if tree == nil {
		return nil // null leaves the field unset
	}
	wrong := func(want string) field.ErrorList {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "must be "+want+", not "+jsonType(tree))}
	}
	if t == durationType {
		d, ok := tree.(string)
		if !ok {
			return wrong("a duration such as 30s")
		}
		if _, err := time.ParseDuration(d); err != nil {
			return field.ErrorList{field.Invalid(path, d, "not a duration such as 30s")}
		}
		return nil
	}
	var errs field.ErrorList
	switch t.Kind() {
	case reflect.Struct:
		m, ok := tree.(map[string]any)
		if !ok {
			return wrong("a mapping")
		}
		known := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "" && name != "-" {
				known[name] = f.Type
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft, ok := known[k]
			child := childPath(path, k)
			if !ok {
				errs = append(errs, field.Forbidden(child, "unknown field"))
				continue
			}
			errs = append(errs, schemaErrors(m[k], ft, child)...)
		}
	case reflect.Map:
		m, ok := tree.(map[string]any)
		if !ok {
			return wrong("a mapping")
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			errs = append(errs, schemaErrors(m[k], t.Elem(), path.Key(k))...)
		}
	case reflect.Slice:
		l, ok := tree.([]any)
		if !ok {
			return wrong("a list")
		}
		for i, v := range l {
			errs = append(errs, schemaErrors(v, t.Elem(), path.Index(i))...)
		}
	case reflect.String:
		if _, ok := tree.(string); !ok {
			return wrong("a string")
		}
	case reflect.Bool:
		if _, ok := tree.(bool); !ok {
			return wrong("true or false")
		}
	case reflect.Int:
		if n, ok := tree.(float64); !ok || n != math.Trunc(n) || math.Abs(n) > 1<<31 {
			return wrong("a whole number")
		}
	case reflect.Float64:
		if _, ok := tree.(float64); !ok {
			return wrong("a number")
		}
	}
	return errs
}

// jsonType names the type of a decoded JSON value.
func jsonType(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		if v == math.Trunc(v) {
			return "a whole number"
		}
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "null"
}

func childPath(path *field.Path, name string) *field.Path {
	if path == nil {
		return field.NewPath(name)
	}
	return path.Child(name)
}
