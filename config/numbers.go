package config

import (
	"math"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// HCL numbers are arbitrary-precision, and cty takes minutes to turn one such
// as 1e9999999 into a string (which HCL does for "${...}" and for any number
// given where a string is expected). No setting needs a number beyond the
// float64 range, so such numbers are refused before anything is evaluated.

// checkNumberLiterals reports every number literal in body that is out of
// the float64 range.
func checkNumberLiterals(body hcl.Body) hcl.Diagnostics {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var diags hcl.Diagnostics
	hclsyntax.VisitAll(sb, func(n hclsyntax.Node) hcl.Diagnostics {
		if lit, ok := n.(*hclsyntax.LiteralValueExpr); ok && !saneNumbers(lit.Val) {
			diags = append(diags, errorf(lit.SrcRange, "Number out of range",
				"This number is too large or too small for any setting; ports, counts and durations are small numbers."))
		}
		return nil
	})
	return diags
}

// saneNumbers reports whether every number in v lies within the float64
// range (zero included).
func saneNumbers(v cty.Value) bool {
	ok := true
	_ = cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if !v.IsKnown() || v.IsNull() || !v.Type().Equals(cty.Number) {
			return true, nil
		}
		bf := v.AsBigFloat()
		f, _ := bf.Float64()
		if math.IsInf(f, 0) || (f == 0 && bf.Sign() != 0) {
			ok = false
		}
		return ok, nil
	})
	return ok
}
