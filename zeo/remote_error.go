package zeo

import (
	"fmt"
	"sort"
	"strings"
)

// RemoteError is an exception the server raised for a call.
type RemoteError struct {
	Class string // dotted class name, "builtins.ValueError"
	Args  []any  // the exception's args; a one-element dict when it sent __dict__
}

// Error reads like Python's traceback line: "builtins.ValueError: unknown storage: nosuch".
func (e *RemoteError) Error() string {
	text := e.Text()
	if text == "" {
		return e.Class
	}
	return e.Class + ": " + text
}

// Text is the exception's message: its arguments as Python's str() of the
// exception would show them.
func (e *RemoteError) Text() string {
	switch len(e.Args) {
	case 0:
		return ""
	case 1:
		if s, ok := e.Args[0].(string); ok {
			return s
		}
		return formatValue(e.Args[0], 0)
	}
	return formatValue(e.Args, 0)
}

// remoteError reads the (class, args) pair of an error reply. ZEO 6 sends
// the class as a dotted name and the args as a tuple (or the exception's
// __dict__); older ZEO 5 pickles sent the class itself and the exception
// instance, which arrive here as Global and Instance.
func remoteError(v any) error {
	pair, ok := v.([]any)
	if !ok || len(pair) != 2 {
		return fmt.Errorf("error reply is %s, not an (exception, args) pair", describe(v))
	}
	e := &RemoteError{}
	switch c := pair[0].(type) {
	case string:
		e.Class = c
	case Global:
		e.Class = c.String()
	default:
		return fmt.Errorf("error reply names its exception with %s", describe(pair[0]))
	}
	switch a := pair[1].(type) {
	case []any:
		e.Args = a
	case Instance:
		e.Args = a.Args
	case nil:
	default:
		e.Args = []any{a}
	}
	return e
}

// formatValue writes a decoded value roughly as Python's repr would, for
// error texts; depth is bounded by the decoders already.
func formatValue(v any, depth int) string {
	if depth > maxDepth {
		return "..."
	}
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case string:
		return fmt.Sprintf("%q", v)
	case []byte:
		return fmt.Sprintf("b%q", v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = formatValue(x, depth+1)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q: %s", k, formatValue(v[k], depth+1))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case Global:
		return v.String()
	case Instance:
		return v.Class.String() + formatValue(v.Args, depth+1)
	default:
		return fmt.Sprint(v)
	}
}
