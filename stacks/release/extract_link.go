package release

import (
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Symlink policy.
//
// Relative targets must stay inside the tree when followed from the link's
// directory, through any other links of the tree: a release is relocatable
// and self-contained, and the instance processes must not reach a sibling
// stack through it.
//
// Absolute targets are allowed, because a release legitimately points at
// the system (a virtualenv's bin/python -> /usr/bin/python3.11), but not
// into the stack directory's parent or any of its ancestors. The parent
// holds the other slots' stacks; a link into it would tie this stack to
// one that will be retired, or let it read and write a live one. A link
// into dest itself would break relocation, which is what relative links
// are for. Where system paths themselves lead is the machine's business.

// extractMaxHops is the kernel's own limit on links followed in one path
// (ELOOP), so a chain we accept is one the kernel will follow.
const extractMaxHops = 40

// extractLinkBudget bounds the path components walked while checking all
// link chains, so a crafted archive of many long, chained links cannot
// keep Extract busy for hours.
const extractLinkBudget = 1 << 24

// symlink validates a link against what is known of it alone, and creates
// it. Chains through later entries are checked by checkLinks at the end.
func (x *extractor) symlink(raw, name, target string) error {
	if target == "" || strings.ContainsRune(target, 0) {
		return x.reject(raw, nil, "symlink has an empty or invalid target")
	}
	if path.IsAbs(target) {
		if reason := x.absoluteTargetProblem(path.Clean(target)); reason != "" {
			return x.reject(raw, nil, "symlink to %q: %s", target, reason)
		}
	} else if !extractInside(path.Join(path.Dir(name), target)) {
		return x.reject(raw, nil, "symlink to %q leaves the release tree", target)
	}
	// os.Root does not check a link's target (only paths it follows), so
	// the checks above are what keep the tree's links honest.
	if err := x.root.Symlink(target, name); err != nil {
		return x.reject(raw, nil, "create symlink: %v", extractPathErr(err))
	}
	x.links[name] = target
	return nil
}

// absoluteTargetProblem says why an absolute, clean target is refused, or
// returns "".
func (x *extractor) absoluteTargetProblem(target string) string {
	parent := filepath.Dir(x.dest)
	guarded := []string{filepath.ToSlash(parent)}
	// dest's parent may be reached through a symlink (/srv -> /data/srv);
	// a target naming the real path is just as much inside it.
	if real, err := filepath.EvalSymlinks(parent); err == nil && real != parent {
		guarded = append(guarded, filepath.ToSlash(real))
	}
	for _, g := range guarded {
		if extractUnder(target, g) {
			return "points into the stack directory's parent " + g
		}
		if extractUnder(g, target) {
			return "points at an ancestor of the stack directory"
		}
	}
	return ""
}

// checkLinks follows every relative link through the finished tree's
// links. A link that looks local on its own can still escape through
// another one: with "b" -> ".", the link "p" -> "b/.." cleans to "." but
// the kernel resolves it to the tree's parent.
func (x *extractor) checkLinks() error {
	names := make([]string, 0, len(x.links))
	for name := range x.links {
		names = append(names, name)
	}
	slices.Sort(names) // the same archive fails on the same entry every time
	budget := extractLinkBudget
	for _, name := range names {
		target := x.links[name]
		if path.IsAbs(target) {
			continue // checked when created
		}
		if reason := x.followLink(name, target, &budget); reason != "" {
			return x.reject(name, nil, "symlink to %q %s", target, reason)
		}
	}
	return nil
}

// followLink resolves target from name's directory the way the kernel
// would, using the tree's links, and says why it is refused, or "".
// Missing components are fine: a link may point at what the application
// creates later (var/, logs).
func (x *extractor) followLink(name, target string, budget *int) string {
	var cur []string
	if dir := path.Dir(name); dir != "." {
		cur = strings.Split(dir, "/")
	}
	todo := strings.Split(target, "/")
	hops := 0
	for len(todo) > 0 {
		if *budget--; *budget < 0 {
			return "is part of a link structure too complex to check"
		}
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "leaves the release tree"
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, c)
		next, isLink := x.links[strings.Join(cur, "/")]
		if !isLink {
			continue
		}
		if hops++; hops > extractMaxHops {
			return "is part of a symlink loop or a chain of more than 40 links"
		}
		cur = cur[:len(cur)-1]
		if path.IsAbs(next) {
			// The walk leaves the tree: the rest lands where an absolute
			// link to the same place would, and gets the same policy.
			rest := path.Join(append([]string{next}, todo...)...)
			if reason := x.absoluteTargetProblem(rest); reason != "" {
				return "resolves to " + rest + ", which " + reason
			}
			return ""
		}
		todo = append(strings.Split(next, "/"), todo...)
	}
	return ""
}

// extractInside reports whether a slash path joined from inside the tree
// and cleaned is still inside it.
func extractInside(p string) bool {
	return p != ".." && !strings.HasPrefix(p, "../")
}

// extractUnder reports whether p is dir or below it; both are clean slash
// paths.
func extractUnder(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}
