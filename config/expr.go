package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// state says what evaluating an optional attribute produced. Callers apply a
// default only when it is absent and skip further checks when it is invalid,
// because its problem has already been reported.
type state int

const (
	absent  state = iota // not written, or written as null
	invalid              // reported; do not check further
	valid
)

// item is one element of a list attribute with the range to blame for it.
type item struct {
	val string
	rng hcl.Range
}

// decode evaluates expr without variables or functions into a T. Null counts
// as absent so that `x = null` means "use the default", as in Terraform.
func decode[T any](c *checker, expr hcl.Expression) (T, state) {
	var zero T
	if expr == nil {
		return zero, absent
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		c.diags = append(c.diags, diags...)
		return zero, invalid
	}
	if v.IsNull() {
		return zero, absent
	}
	if !saneNumbers(v) {
		// Arithmetic can build a number that no literal could hold.
		c.diags = append(c.diags, errorf(expr.Range(), "Number out of range",
			"This value holds a number too large or too small for any setting."))
		return zero, invalid
	}
	var out T
	if diags := gohcl.DecodeExpression(expr, nil, &out); diags.HasErrors() {
		c.diags = append(c.diags, diags...)
		return zero, invalid
	}
	return out, valid
}

// stringList decodes a list of strings and pairs each element with its own
// range when the list is written literally, so that a bad element is
// underlined by itself rather than the whole list.
func (c *checker) stringList(expr hcl.Expression) ([]item, state) {
	vals, st := decode[[]string](c, expr)
	if st != valid {
		return nil, st
	}
	elems, diags := hcl.ExprList(expr)
	items := make([]item, len(vals))
	for i, v := range vals {
		items[i] = item{val: v, rng: expr.Range()}
		if !diags.HasErrors() && len(elems) == len(vals) {
			items[i].rng = elems[i].Range()
		}
	}
	return items, valid
}

// stringMap decodes a map of strings and returns the range of each key, so
// that a bad key can be pointed at.
func (c *checker) stringMap(expr hcl.Expression) (map[string]string, map[string]hcl.Range, state) {
	vals, st := decode[map[string]string](c, expr)
	if st != valid {
		return nil, nil, st
	}
	keys := make(map[string]hcl.Range, len(vals))
	for k := range vals {
		keys[k] = expr.Range()
	}
	pairs, diags := hcl.ExprMap(expr)
	if !diags.HasErrors() {
		for _, p := range pairs {
			var k string
			if diags := gohcl.DecodeExpression(p.Key, nil, &k); diags.HasErrors() {
				continue
			}
			if _, ok := keys[k]; ok {
				keys[k] = p.Key.Range()
			}
		}
	}
	return vals, keys, valid
}

// pair is one entry of a map attribute with the ranges to blame for its key
// and its value.
type pair struct {
	key, val       string
	keyRng, valRng hcl.Range
}

// stringPairs decodes a map of strings. When the map is written literally
// the pairs come in file order, each with its own ranges, and a key written
// twice comes twice (HCL would keep the last silently) so that the repeat
// can be reported; otherwise they come in key order, blaming the whole
// expression.
func (c *checker) stringPairs(expr hcl.Expression) ([]pair, state) {
	vals, st := decode[map[string]string](c, expr)
	if st != valid {
		return nil, st
	}
	if kvs, diags := hcl.ExprMap(expr); !diags.HasErrors() {
		pairs := make([]pair, 0, len(kvs))
		for _, kv := range kvs {
			p := pair{keyRng: kv.Key.Range(), valRng: kv.Value.Range()}
			if gohcl.DecodeExpression(kv.Key, nil, &p.key).HasErrors() ||
				gohcl.DecodeExpression(kv.Value, nil, &p.val).HasErrors() {
				break
			}
			pairs = append(pairs, p)
		}
		if len(pairs) == len(kvs) {
			return pairs, valid
		}
	}
	pairs := make([]pair, 0, len(vals))
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		pairs = append(pairs, pair{key: k, val: vals[k], keyRng: expr.Range(), valRng: expr.Range()})
	}
	return pairs, valid
}

// count decodes a whole number that must lie in lo..hi and returns def when
// it is absent or wrong. tooFew, when not empty, is added to the detail of a
// number below lo to say why the lower bound exists.
func (c *checker) count(expr hcl.Expression, name string, def, lo, hi int, tooFew string) int {
	n, st := decode[int](c, expr)
	if st != valid {
		return def
	}
	if n >= lo && n <= hi {
		return n
	}
	detail := fmt.Sprintf("%s must be from %d to %d; it is %d.", name, lo, hi, n)
	if n < lo && tooFew != "" {
		detail += " " + tooFew
	}
	c.add(errorf(expr.Range(), "Invalid "+name, "%s", detail))
	return def
}

// duration decodes a duration written as a Go duration string. It must be
// positive: a zero timeout would fail every drain or readiness check.
func (c *checker) duration(expr hcl.Expression, def time.Duration) (time.Duration, state) {
	d, st := c.anyDuration(expr, def)
	if st == valid && d <= 0 {
		c.diags = append(c.diags, errorf(expr.Range(), "Invalid duration",
			"The duration must be greater than zero, such as \"30s\" or \"2m\"."))
		return 0, invalid
	}
	return d, st
}

// durationOrOff decodes a duration like duration, but also accepts zero,
// which turns off what it times; off names that for the message.
func (c *checker) durationOrOff(expr hcl.Expression, def time.Duration, off string) (time.Duration, state) {
	d, st := c.anyDuration(expr, def)
	if st == valid && d < 0 {
		c.diags = append(c.diags, errorf(expr.Range(), "Invalid duration",
			"The duration must not be negative. Write one such as \"30s\" or \"2m\", or \"0s\" to turn off %s.", off))
		return 0, invalid
	}
	return d, st
}

// anyDuration decodes a Go duration string of any sign.
func (c *checker) anyDuration(expr hcl.Expression, def time.Duration) (time.Duration, state) {
	s, st := decode[string](c, expr)
	if st == absent {
		return def, absent
	}
	if st != valid {
		return 0, st
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		c.diags = append(c.diags, errorf(expr.Range(), "Invalid duration",
			"%q is not a duration. Write a number with a unit, such as \"30s\", \"2m\" or \"1m30s\" (units: ms, s, m, h).", s))
		return 0, invalid
	}
	return d, valid
}

// path decodes a file system path and makes it absolute against the config
// file's directory, so that the daemon does not depend on its working
// directory.
func (c *checker) path(expr hcl.Expression, def string) (string, state) {
	p, st := decode[string](c, expr)
	if st == absent {
		return def, absent
	}
	if st != valid {
		return "", st
	}
	if p == "" {
		c.diags = append(c.diags, errorf(expr.Range(), "Empty path",
			"Write a path, relative to the configuration file's directory or absolute, or remove the setting to use the default."))
		return "", invalid
	}
	return c.abs(p), valid
}

// abs resolves p against the config file's directory.
func (c *checker) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.dir, p)
}

// command decodes a command: the program and its arguments. Only the
// program must be non-empty; an empty argument can mean something, as in
// grep "". example is a command to suggest, such as `["bin/check"]`.
// A missing command is left to the caller, which knows whether it is
// required.
func (c *checker) command(expr hcl.Expression, example string) ([]string, state) {
	items, st := c.stringList(expr)
	if st != valid {
		return nil, st
	}
	if len(items) == 0 {
		c.add(errorf(expr.Range(), "Empty command",
			"List the program and its arguments, such as command = %s.", example))
		return nil, invalid
	}
	if items[0].val == "" {
		c.add(errorf(items[0].rng, "Empty program",
			"The first element of command is the program to run and must not be empty, such as command = %s.", example))
		return nil, invalid
	}
	cmd := make([]string, len(items))
	for i, it := range items {
		cmd[i] = it.val
	}
	return cmd, valid
}

// setting is one of several settings of which a block takes exactly one,
// such as the kind of a check.
type setting struct {
	what string // as the message names it, such as "an http block"
	rng  hcl.Range
}

// firstSetting returns the setting written first in the file and the others
// in file order, so that a conflict is blamed on the later settings.
func firstSetting(written []setting) (setting, []setting) {
	slices.SortFunc(written, func(a, b setting) int { return a.rng.Start.Byte - b.rng.Start.Byte })
	return written[0], written[1:]
}
