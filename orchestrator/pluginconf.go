package orchestrator

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"deploy/config"
	"deploy/plugins"
)

// schemaType is the cty type of a plugin attribute's type name.
func schemaType(name string) (cty.Type, error) {
	switch name {
	case "string":
		return cty.String, nil
	case "number":
		return cty.Number, nil
	case "bool":
		return cty.Bool, nil
	case "list(string)":
		return cty.List(cty.String), nil
	case "map(string)":
		return cty.Map(cty.String), nil
	}
	return cty.NilType, fmt.Errorf("attribute type %q is not one of string, number, bool, list(string), map(string)", name)
}

// decodeSettings checks a plugin's settings as written in the config
// against the schema the plugin reports, and returns them as plain values.
// Diagnostics point into the config file, as every config error does.
func decodeSettings(schema plugins.Schema, set config.PluginSettings) (map[string]any, hcl.Diagnostics) {
	spec := hcldec.ObjectSpec{}
	types := map[string]cty.Type{}
	for _, a := range schema.Attributes {
		t, err := schemaType(a.Type)
		if err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Plugin schema is invalid",
				Detail: fmt.Sprintf("attribute %q: %v", a.Name, err)}}
		}
		spec[a.Name] = &hcldec.AttrSpec{Name: a.Name, Type: t, Required: a.Required}
		types[a.Name] = t
	}
	var val cty.Value
	var diags hcl.Diagnostics
	switch {
	case set.Body != nil:
		val, diags = hcldec.Decode(set.Body, spec, nil)
	case set.Expr != nil:
		val, diags = decodeObjectExpr(set.Expr, schema, types)
	default:
		val, diags = hcldec.Decode(hcl.EmptyBody(), spec, nil)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return plainValues(val)
}

// decodeObjectExpr checks a `config = { ... }` object against the schema:
// every key known, every value of its type, every required key there.
func decodeObjectExpr(expr hcl.Expression, schema plugins.Schema, types map[string]cty.Type) (cty.Value, hcl.Diagnostics) {
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	vals := map[string]cty.Value{}
	for _, p := range pairs {
		k, d := p.Key.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() || k.Type() != cty.String || k.IsNull() {
			continue
		}
		name := k.AsString()
		t, ok := types[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported plugin setting",
				Detail: fmt.Sprintf("The plugin takes no setting %q; it takes %s.", name, attributeNames(schema)), Subject: p.Key.Range().Ptr()})
			continue
		}
		v, d := p.Value.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		cv, err := convert.Convert(v, t)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin setting",
				Detail: fmt.Sprintf("Setting %q must be a %s: %v.", name, t.FriendlyName(), err), Subject: p.Value.Range().Ptr()})
			continue
		}
		vals[name] = cv
	}
	for _, a := range schema.Attributes {
		if _, ok := vals[a.Name]; !ok && a.Required {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing plugin setting",
				Detail: fmt.Sprintf("The plugin needs the setting %q (%s).", a.Name, a.Description), Subject: expr.Range().Ptr()})
		}
	}
	return cty.ObjectVal(vals), diags
}

func attributeNames(s plugins.Schema) string {
	if len(s.Attributes) == 0 {
		return "none"
	}
	out := ""
	for i, a := range s.Attributes {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", a.Name)
	}
	return out
}

// plainValues turns a decoded object into the JSON-compatible values a
// plugin receives; null (unset optional) attributes are left out.
func plainValues(v cty.Value) (map[string]any, hcl.Diagnostics) {
	out := map[string]any{}
	if v.IsNull() {
		return out, nil
	}
	for name, av := range v.AsValueMap() {
		if av.IsNull() {
			continue
		}
		b, err := ctyjson.Marshal(av, av.Type())
		if err == nil {
			var x any
			if err = json.Unmarshal(b, &x); err == nil {
				out[name] = x
				continue
			}
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Plugin setting cannot be sent", Detail: fmt.Sprintf("%q: %v", name, err)}}
	}
	return out, nil
}
