package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"deploy/plugins"
)

// placeholderNames are the placeholders command and env may use, in the
// order error messages list them.
var placeholderNames = []string{"port", "index", "var_dir", "stack_dir", "client_name"}

// errUnknownPlaceholder is wrapped by every error about a {name} that is not
// one of placeholderNames.
var errUnknownPlaceholder = errors.New("unknown placeholder")

// placeholders returns the value of each placeholder for one instance.
func placeholders(sc plugins.StackContext, in plugins.InstanceContext) map[string]string {
	return map[string]string{
		"port":        strconv.Itoa(in.Port),
		"index":       strconv.Itoa(in.Index),
		"var_dir":     in.VarDir,
		"stack_dir":   sc.StackDir,
		"client_name": in.ClientName,
	}
}

// expand replaces every {name} in s by values[name]. Only a brace around a
// name (letters, digits, _) is a placeholder, so JSON or Python literals in
// an argument pass unchanged; a name that is not known is an error rather
// than left in place, because a typo such as {prot} would otherwise reach
// the application as text. "{{" is a literal "{", for the rare argument that
// must contain "{port}" itself: write "{{port}".
func expand(s string, values map[string]string) (string, error) {
	if !strings.Contains(s, "{") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '{' {
			b.WriteByte(c)
			i++
			continue
		}
		if strings.HasPrefix(s[i:], "{{") {
			b.WriteByte('{')
			i += 2
			continue
		}
		n := nameLen(s[i+1:])
		if n == 0 || i+1+n >= len(s) || s[i+1+n] != '}' {
			b.WriteByte('{') // not a placeholder: a lone brace
			i++
			continue
		}
		name := s[i+1 : i+1+n]
		v, ok := values[name]
		if !ok {
			return "", fmt.Errorf("%w {%s}: use one of %s, or write {{ for a literal {", errUnknownPlaceholder, name, knownPlaceholders())
		}
		b.WriteString(v)
		i += n + 2
	}
	return b.String(), nil
}

// nameLen returns how many bytes at the start of s can make up a
// placeholder's name.
func nameLen(s string) int {
	for i, c := range []byte(s) {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return i
		}
	}
	return len(s)
}

func knownPlaceholders() string {
	parts := make([]string, len(placeholderNames))
	for i, n := range placeholderNames {
		parts[i] = "{" + n + "}"
	}
	return strings.Join(parts, ", ")
}
